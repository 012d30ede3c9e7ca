/**
 * The outside client: connects to a peer's TCP port, speaks the client protocol, and walks the
 * ring by asking one peer after another for its state. Used by `chord put/get/ring`, the
 * launcher's console, the tests and the benchmark.
 */
import { connect } from 'node:net';
import { parseAddr } from './address';
import { CONNECTION_RID, decodeResponse, encodeRequest, type ClientRequest, type ClientResponse, type PeerStateInfo } from './client-protocol';
import { Connection } from './connection';
import { CLIENT_PREAMBLE, KEYED_CLIENT_PREAMBLE } from './framing';
import type { RingKey } from './ring-key';

/**
 * Why a request got no answer; a command line maps these to exit codes. `refused`: the peer and
 * this client do not share a ring key (one has another, or none).
 */
export class ClientError extends Error {
  constructor(readonly kind: 'unreachable' | 'protocol' | 'timeout' | 'refused', message: string) {
    super(message);
  }
}

export interface Progress {
  /** Request bytes handed to the kernel so far. */
  sent?(bytes: number, total: number): void;
  /** Response bytes received so far. */
  received?(bytes: number, total: number): void;
}

/** A request before the client numbers it. */
export type Request = ClientRequest extends infer R ? (R extends ClientRequest ? Omit<R, 'rid'> : never) : never;

export class Client {
  private readonly waiting = new Map<number, { resolve: (r: ClientResponse) => void; reject: (e: Error) => void }>();
  private nextRid = 1;
  private progress: Progress = {};
  private closedBy: ClientError | null = null;

  private constructor(private readonly conn: Connection, readonly addr: string) {}

  /**
   * Opens a connection, through the handshake with `key`; rejects with a ClientError:
   * 'unreachable' when nobody answers, 'refused' when the handshake fails.
   */
  static open(addr: string, timeoutMs = 5000, key: RingKey | null = null): Promise<Client> {
    const hp = parseAddr(addr);
    if (hp === null) return Promise.reject(new ClientError('unreachable', `"${addr}" is not a host:port address`));
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hp.host, port: hp.port });
      const opening = key?.initiate(KEYED_CLIENT_PREAMBLE);
      socket.write(opening?.hello ?? CLIENT_PREAMBLE);
      socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no connection within ${timeoutMs} ms`)));
      let connected = false;
      socket.once('connect', () => (connected = true));
      let client: Client | null = null;
      const conn = new Connection(socket, {
        message: (bytes) => client?.receive(bytes),
        progress: (received, total) => client?.progress.received?.(received, total),
        ready: () => {
          client = new Client(conn, addr);
          resolve(client);
        },
        close: (error) => {
          if (client) return client.abort(new ClientError('unreachable', `peer ${addr} closed the connection${error ? `: ${error}` : ''}`));
          if (opening && connected) return reject(new ClientError('refused', `the ring-key handshake with peer ${addr} failed: ${error ?? 'it closed the connection (it holds another key, or none)'}`));
          reject(new ClientError('unreachable', `cannot reach peer ${addr}: ${error ?? 'connection closed'}`));
        },
      }, { opening });
    });
  }

  /** Sends one request and waits for its answer, at most `timeoutMs`. */
  request(req: Request, timeoutMs: number, progress: Progress = {}): Promise<ClientResponse> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    const rid = this.nextRid++;
    this.progress = progress;
    let bytes: Buffer;
    try {
      bytes = encodeRequest({ ...req, rid } as ClientRequest);
    } catch (e) {
      return Promise.reject(new ClientError('protocol', (e as Error).message));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(rid);
        reject(new ClientError('timeout', `no answer from ${this.addr} within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = <A>(f: (a: A) => void) => (a: A) => {
        clearTimeout(timer);
        this.waiting.delete(rid);
        f(a);
      };
      this.waiting.set(rid, { resolve: settle(resolve), reject: settle(reject) });
      this.conn.send(bytes, undefined, progress.sent);
    });
  }

  close(): void {
    this.conn.fail('client done');
  }

  private receive(bytes: Buffer): void {
    const d = decodeResponse(bytes);
    if (!d.ok) return this.abort(new ClientError('protocol', `bad answer from ${this.addr}: ${d.error}`));
    if (d.value.rid === CONNECTION_RID && d.value.t === 'error') return this.abort(new ClientError(d.value.code === 'refused' ? 'refused' : 'protocol', `peer ${this.addr} refused the connection: ${d.value.error}`));
    this.waiting.get(d.value.rid)?.resolve(d.value);
  }

  private abort(e: ClientError): void {
    this.closedBy ??= e;
    for (const w of [...this.waiting.values()]) w.reject(e);
    this.conn.fail(e.message);
  }
}

export interface AskOptions {
  readonly progress?: Progress;
  /** The ring key, for a keyed ring; null or absent for an open one. */
  readonly key?: RingKey | null;
}

/** One request on a connection of its own. */
export async function ask(addr: string, req: Request, timeoutMs: number, o: AskOptions = {}): Promise<ClientResponse> {
  const client = await Client.open(addr, Math.min(timeoutMs, 5000), o.key ?? null);
  try {
    return await client.request(req, timeoutMs, o.progress);
  } finally {
    client.close();
  }
}

export async function peerState(addr: string, timeoutMs: number, key: RingKey | null = null): Promise<PeerStateInfo> {
  const r = await ask(addr, { t: 'state' }, timeoutMs, { key });
  if (r.t !== 'state') throw new ClientError('protocol', `peer ${addr} answered a state request with ${r.t}`);
  return r;
}

export interface RingWalk {
  /** Peers in the order the walk met them, following first successors. */
  readonly peers: readonly PeerStateInfo[];
  /** Whether the walk came back to the peer it started from. */
  readonly closed: boolean;
  /** Peers listed as successors that did not answer. */
  readonly unreachable: readonly string[];
}

const MAX_WALK = 4096;

/**
 * Follows successors from `via` until the walk returns to it. A successor that does not answer
 * is skipped for the next one in the list, as a lookup would; the walk reports it.
 */
export async function walkRing(via: string, timeoutMs: number, key: RingKey | null = null): Promise<RingWalk> {
  const start = await peerState(via, timeoutMs, key);
  const peers = [start];
  const seen = new Set([start.self.addr]);
  const unreachable: string[] = [];
  let current = start;
  while (peers.length < MAX_WALK) {
    let next: PeerStateInfo | null = null;
    for (const s of current.succs) {
      if (s.addr === current.self.addr || unreachable.includes(s.addr)) continue;
      if (seen.has(s.addr)) return { peers, closed: s.addr === start.self.addr, unreachable };
      try {
        next = await peerState(s.addr, timeoutMs, key);
        break;
      } catch {
        unreachable.push(s.addr);
      }
    }
    if (next === null) return { peers, closed: current === start, unreachable };
    peers.push(next);
    seen.add(next.self.addr);
    current = next;
  }
  return { peers, closed: false, unreachable };
}
