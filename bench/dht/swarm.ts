/**
 * What bench/dht.ts asks of each system it compares: start n nodes in this process, put a value
 * through any of them, get it back through any of them, stop them all.
 */

/** One system under test, as the table names it, and what its put and get are. */
export interface DhtSystem {
  readonly name: string;
  /** What one put and one get are in this system, for the bench's header. */
  readonly put: string;
  readonly get: string;
  /** What its puts go as: the bench checks that the counters saw them (bench/dht/wire.ts wraps functions that may change). */
  readonly puts: 'datagrams' | 'frames';
  /** Starts `n` nodes on 127.0.0.1 and resolves once every one of them can serve any key. */
  start(n: number): Promise<Swarm>;
}

/** Nodes of one system in this process. */
export interface Swarm {
  readonly size: number;
  /** Milliseconds from start until the nodes were up and joined, and until they served every key. */
  readonly formedMs: number;
  readonly readyMs: number;
  /** Stores `value` through node `via`; resolves to what `get` needs to find it (a name or a hash). */
  put(via: number, value: Uint8Array): Promise<string>;
  /** Fetches the value stored under `ref` through node `via`: null if the system found none. */
  get(via: number, ref: string): Promise<Uint8Array | null>;
  /** Stops every node; resolves once all of them have closed their sockets. */
  close(): Promise<void>;
}
