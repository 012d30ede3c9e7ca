/**
 * The public types of the `chord-dht` package. They are written out here, not derived from the
 * core's, so that a change inside the protocol cannot change the API unnoticed (lib/public-form.ts
 * converts, and fails to compile if the core grows a case these do not name).
 *
 * One form throughout: a ring position (a peer's ID, a key's place on the ring) is a decimal
 * string, exact at any width from 8 to 160 bits, as the `chord` command prints and takes them
 * (`--id 25`, `peer 25`, `"id":"131"` in its JSON output).
 */

/** A peer as the API names it. */
export interface PeerRef {
  /** The peer's ring position, a decimal string below 2^bits. */
  readonly id: string;
  /** Where it listens for UDP and TCP, `host:port`. */
  readonly address: string;
}

/** What `startPeer` takes; every field may be left out. */
export interface PeerOptions {
  /** The address (`host:port`) of any member of the ring to join. Without it, the peer starts a ring of its own. */
  readonly join?: string;
  /** Identifier bits, 8 to 160. Every peer of a ring must use the same. Default 160. */
  readonly bits?: number;
  /** The peer's ring position, below 2^bits (decimal string or bigint). Default: SHA-1 of its address, as Chord does. */
  readonly id?: string | bigint;
  /** The address to listen on and to give to other peers. Default 127.0.0.1. */
  readonly host?: string;
  /** UDP and TCP port. Default 0: chosen by the system (read it from `address`). */
  readonly port?: number;
  /** Successor-list length and copies of each record. Default 3. */
  readonly replicas?: number;
  /** Milliseconds between pings to neighbours; stabilizing, finger repair and timeouts follow from it. Default 1000. */
  readonly pingInterval?: number;
  /** The ring key's bytes (at least 16): only holders of the same key may join, store, read or ask. Default: an open ring. */
  readonly ringKey?: Uint8Array;
  /**
   * A directory where the peer keeps its records (an LMDB database, each write flushed to disk
   * before it is acknowledged), loaded back when a peer starts again with the same ID and
   * directory. Default: records in memory only. A directory belongs to one peer: another ID is refused.
   */
  readonly dataDir?: string;
}

/** A stored record as `get` returns it. */
export interface StoredRecord {
  /** The key as given. */
  readonly key: string;
  /** The key's ring position (a non-negative integer key is its own position mod 2^bits; any other is hashed with SHA-1). */
  readonly id: string;
  readonly value: Uint8Array;
  /** Counts the writes of this key, assigned by its primary. */
  readonly version: number;
  /** The peer that answered. */
  readonly holder: PeerRef;
  /** Lookup messages the get took. */
  readonly hops: number;
}

/** What `put` resolves to once every replica has acknowledged the record. */
export interface PutResult {
  readonly key: string;
  /** The key's ring position. */
  readonly id: string;
  readonly version: number;
  /** The peers holding the record: its primary first, then the replicas. */
  readonly holders: readonly PeerRef[];
  readonly hops: number;
}

/** The phases a peer goes through: a joining peer becomes a member once its successor hands it its records. */
export type PeerPhase = 'idle' | 'joining' | 'member' | 'leaving' | 'stopped';

/** A peer's view of the ring at one moment. */
export interface PeerStatus {
  readonly id: string;
  readonly address: string;
  readonly bits: number;
  readonly replicas: number;
  readonly phase: PeerPhase;
  readonly predecessor: PeerRef | null;
  /** Nearest first. */
  readonly successors: readonly PeerRef[];
  /** Distinct finger entries, lowest finger first. */
  readonly fingers: readonly PeerRef[];
  /** Records held, as primary or replica. */
  readonly records: number;
}

/** How a peer came to be declared gone: missed pings, a failed connection, no longer a member, or its own graceful leave. */
export type GoneHow = 'missed-pings' | 'send-failed' | 'not-member' | 'left';

/** Why records moved: a join's hand-off, a leave's, or replication topping a replica up. */
export type MoveReason = 'join' | 'leave' | 'replica';

/** A protocol event of one peer, as the `event` listener gets it. */
export type PeerEvent =
  | { readonly type: 'created' }
  | { readonly type: 'initialized'; readonly successor: PeerRef }
  | { readonly type: 'joined'; readonly successor: PeerRef }
  | { readonly type: 'join-failed'; readonly reason: string }
  | { readonly type: 'successor'; readonly successor: PeerRef | null; readonly was: PeerRef | null }
  | { readonly type: 'predecessor'; readonly predecessor: PeerRef | null; readonly was: PeerRef | null }
  | { readonly type: 'peer-gone'; readonly peer: PeerRef; readonly how: GoneHow }
  | { readonly type: 'peer-back'; readonly peer: PeerRef }
  | { readonly type: 'records-moved'; readonly to: PeerRef; readonly count: number; readonly why: MoveReason }
  | { readonly type: 'records-received'; readonly from: PeerRef; readonly count: number; readonly why: MoveReason }
  /** Records from a peer with no reason to send them (a stranger's store copy, hand-off or leave), dropped. */
  | { readonly type: 'records-refused'; readonly from: PeerRef; readonly count: number; readonly what: 'replicate' | 'handoff' | 'leave' }
  /** `kept`: records no neighbour acknowledged taking, gone with the peer; `told`: its predecessor acknowledged the notice. */
  | { readonly type: 'left'; readonly kept: number; readonly told: boolean }
  /** Input dropped (malformed, unauthenticated, over a limit); such lines are rate-limited. */
  | { readonly type: 'bad-input'; readonly reason: string };

/** How a peer stopped: `left` gracefully, `failed` (its join failed), or `closed` (close(), abrupt). */
export interface StopInfo {
  readonly reason: string;
  readonly how: 'left' | 'failed' | 'closed';
}

/** The events of a peer and what each listener gets. */
export interface PeerEvents {
  /** Every protocol event, as it happens. */
  readonly event: PeerEvent;
  /** Once, when the peer has stopped and its sockets are closed. */
  readonly stopped: StopInfo;
}

/**
 * Why an operation failed, as a code a program can match (`ChordError.code`):
 * `not-found`: nothing stored under the key (only where a record must exist; `get` answers null instead);
 * `no-route`, `no-answer`, `holder-silent`, `too-many-hops`: the lookup did not get through;
 * `not-ready`: the key's primary has just joined or taken over and does not hold its range yet (try again);
 * `not-responsible`, `not-member`: the peer asked is not (yet, or any longer) serving;
 * `other-id-space`: a key of another width; `stopped`: the peer stopped meanwhile;
 * `join-failed`: `startPeer` could not join the ring; `timeout`: `createTestnet`'s ring did not form in time;
 * `bad-options`: an option out of range.
 */
export type ChordErrorCode =
  | 'not-found'
  | 'no-route'
  | 'no-answer'
  | 'holder-silent'
  | 'too-many-hops'
  | 'not-ready'
  | 'not-responsible'
  | 'not-member'
  | 'other-id-space'
  | 'stopped'
  | 'join-failed'
  | 'timeout'
  | 'bad-options';

/** The error every failed operation of the API rejects with. */
export class ChordError extends Error {
  constructor(readonly code: ChordErrorCode, message: string) {
    super(message);
    this.name = 'ChordError';
  }
}

/** One running peer. */
export interface ChordPeer {
  readonly id: string;
  readonly address: string;
  readonly bits: number;
  /** Settles once the peer has stopped, however it stopped. */
  readonly stopped: Promise<StopInfo>;
  /**
   * Stores `value` (bytes, or a string as UTF-8, at most 64 MiB) under `key` through this peer,
   * on the key's primary and its replicas; resolves once all of them acknowledged it.
   * Rejects with a ChordError (`not-ready` right after joins and failures: try again).
   */
  put(key: string, value: Uint8Array | string): Promise<PutResult>;
  /** Fetches the record of `key` through this peer: null when nothing is stored under it; rejects with a ChordError when the ring cannot answer. */
  get(key: string): Promise<StoredRecord | null>;
  /** Leaves gracefully: hands its records to its successor, tells its neighbours, and stops. */
  leave(): Promise<StopInfo>;
  /** Stops at once, telling nobody, as a crash would; the ring notices and repairs. */
  close(): Promise<StopInfo>;
  /** The peer's view of the ring now. */
  state(): PeerStatus;
  on<E extends keyof PeerEvents>(event: E, listener: (value: PeerEvents[E]) => void): this;
  once<E extends keyof PeerEvents>(event: E, listener: (value: PeerEvents[E]) => void): this;
  off<E extends keyof PeerEvents>(event: E, listener: (value: PeerEvents[E]) => void): this;
}

/** What `createTestnet` takes: the options of every peer, and how long the ring may take to form. */
export interface TestnetOptions extends Omit<PeerOptions, 'join' | 'id' | 'port'> {
  /** Milliseconds between pings. Default 100: a testnet forms in a fraction of a second per peer. */
  readonly pingInterval?: number;
  /** Milliseconds the ring may take to become ideal before createTestnet gives up. Default 30000. */
  readonly timeout?: number;
}

/** Peers in one process, forming one ring. */
export interface Testnet {
  /** By ring position, lowest first. */
  readonly peers: readonly ChordPeer[];
  /** The address the others joined through: give it to `startPeer({ join })` to add a peer. */
  readonly bootstrap: string;
  /** Stops every peer at once (abruptly: nobody hands records over). */
  close(): Promise<void>;
}
