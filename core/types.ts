/**
 * The reducer's vocabulary: what a peer knows, what it is told, what it asks the world to do.
 * Everything here is plain immutable data so that a driver (the simulator or the real runtime)
 * can copy, freeze, encode or log it freely.
 */
import type { Point } from './id';

/** A peer as others know it: ring position plus the driver-level address that reaches it. */
export interface Peer extends Point {
  readonly addr: string;
}

/** A record key: the caller's name for it and its position on the ring (hashed at the edge). */
export interface Key extends Point {
  readonly name: string;
}

/** One stored record. Versions order writes; the writer's id breaks a tie. */
export interface Rec {
  readonly key: Key;
  readonly value: Uint8Array;
  readonly version: number;
  readonly writer: string;
}

export interface Config {
  readonly bits: number;
  /** Successor-list length and replication factor. */
  readonly replicas: number;
  readonly pingInterval: number;
  /** Consecutive unanswered pings after which a neighbour is declared gone. */
  readonly missLimit: number;
  readonly stabilizeInterval: number;
  readonly fixFingersInterval: number;
  readonly replicateInterval: number;
  /** Per-hop and per-RPC timeout for small messages. */
  readonly rpcTimeout: number;
  /** Bytes per ms that timeouts allow for on top of rpcTimeout when a message carries records. */
  readonly transferRate: number;
  /** Attempts of a whole client operation (lookup plus final RPC) before giving up. */
  readonly opAttempts: number;
  /** How long a peer declared gone is re-probed, so that rings split by a partition re-merge. */
  readonly lostTtl: number;
  readonly maxHops: number;
}

export type Channel = 'dgram' | 'stream';

export type StoreStatus = 'ok' | 'not-responsible' | 'not-ready';
export type FetchStatus = 'found' | 'missing' | 'not-responsible' | 'not-ready';

export interface DigestEntry {
  readonly name: string;
  readonly version: number;
  readonly writer: string;
}

export type Msg =
  | { readonly t: 'ping'; readonly nonce: number }
  | { readonly t: 'pong'; readonly nonce: number; readonly member: boolean }
  /** Iterative lookup step: "who succeeds `target`, or who is closer to it?" */
  | { readonly t: 'find'; readonly rid: number; readonly target: Point }
  /** done: `peers` is the answering peer's successor list (head = successor of target).
   *  not done: `peers` are closer candidates, best first. */
  | { readonly t: 'found'; readonly rid: number; readonly done: boolean; readonly peers: readonly Peer[] }
  | { readonly t: 'get-state'; readonly rid: number }
  | { readonly t: 'state'; readonly rid: number; readonly member: boolean; readonly pred: Peer | null; readonly succs: readonly Peer[] }
  /** Zave's rectify: "I may be your predecessor". `ready` false asks for the hand-off again
   *  (a peer restarted under the same ID is not told apart from its former self). */
  | { readonly t: 'rectify'; readonly ready: boolean }
  /** The records a new predecessor is now primary for; makes it ready to serve. */
  | { readonly t: 'handoff'; readonly records: readonly Rec[] }
  | { readonly t: 'store'; readonly rid: number; readonly key: Key; readonly value: Uint8Array }
  | { readonly t: 'stored'; readonly rid: number; readonly status: StoreStatus; readonly version: number; readonly holders: readonly Peer[] }
  | { readonly t: 'fetch'; readonly rid: number; readonly key: Key }
  | { readonly t: 'fetched'; readonly rid: number; readonly status: FetchStatus; readonly rec: Rec | null }
  /** Replica copies; rid 0 needs no acknowledgement. */
  | { readonly t: 'replicate'; readonly rid: number; readonly records: readonly Rec[] }
  | { readonly t: 'replicated'; readonly rid: number }
  /** What a primary holds, so that a replica can ask for what it lacks. */
  | { readonly t: 'digest'; readonly entries: readonly DigestEntry[] }
  | { readonly t: 'want'; readonly names: readonly string[] }
  /** Graceful leave, to the successor: take my records and my predecessor. */
  | { readonly t: 'leave'; readonly rid: number; readonly pred: Peer | null; readonly records: readonly Rec[] }
  /** Graceful leave, to the predecessor: splice me out, here are my successors. */
  | { readonly t: 'leave-notice'; readonly rid: number; readonly succs: readonly Peer[] }
  | { readonly t: 'leave-ack'; readonly rid: number };

export type MsgType = Msg['t'];

/** Client commands, from an outside program through the driver. */
export type Command =
  | { readonly op: 'put'; readonly rid: number; readonly key: Key; readonly value: Uint8Array }
  | { readonly op: 'get'; readonly rid: number; readonly key: Key }
  | { readonly op: 'leave'; readonly rid: number };

export type Input =
  /** Start a new ring alone. */
  | { readonly kind: 'create' }
  /** Start as a member of a ring whose neighbours are given, as the seed's `init` does. */
  | { readonly kind: 'init'; readonly succs: readonly Peer[]; readonly pred: Peer | null }
  /** Join the ring that `via` belongs to. */
  | { readonly kind: 'join'; readonly via: string }
  | { readonly kind: 'deliver'; readonly from: Peer; readonly msg: Msg; readonly channel: Channel }
  | { readonly kind: 'timer'; readonly name: TimerName; readonly arg: number }
  | { readonly kind: 'command'; readonly cmd: Command }
  /** A stream send failed: connection refused or reset, or the peer is unreachable. */
  | { readonly kind: 'send-failed'; readonly to: Peer; readonly msg: Msg };

export type TimerName = 'ping' | 'stabilize' | 'fix-fingers' | 'replicate' | 'rpc' | 'retry' | 'leave';

export type Reply =
  | { readonly ok: true; readonly op: 'put'; readonly version: number; readonly holders: readonly Peer[]; readonly hops: number }
  | { readonly ok: true; readonly op: 'get'; readonly rec: Rec; readonly holder: Peer; readonly hops: number }
  /** `kept`: records no neighbour acknowledged taking, gone with the leaver. */
  | { readonly ok: true; readonly op: 'leave'; readonly kept: number }
  | { readonly ok: false; readonly op: Command['op']; readonly error: string; readonly hops: number };

export type LogEvent =
  | { readonly ev: 'created' }
  | { readonly ev: 'initialized'; readonly succ: Peer }
  | { readonly ev: 'joined'; readonly succ: Peer }
  | { readonly ev: 'join-failed'; readonly reason: string }
  | { readonly ev: 'successor'; readonly succ: Peer | null; readonly was: Peer | null }
  | { readonly ev: 'predecessor'; readonly pred: Peer | null; readonly was: Peer | null }
  | { readonly ev: 'peer-gone'; readonly peer: Peer; readonly how: 'missed-pings' | 'send-failed' | 'not-member' | 'left' }
  | { readonly ev: 'peer-back'; readonly peer: Peer }
  | { readonly ev: 'records-moved'; readonly to: Peer; readonly count: number; readonly why: 'join' | 'leave' | 'replica' }
  | { readonly ev: 'records-received'; readonly from: Peer; readonly count: number; readonly why: 'join' | 'leave' | 'replica' }
  | { readonly ev: 'left'; readonly kept: number }
  | { readonly ev: 'bad-input'; readonly reason: string };

export type Effect =
  | { readonly kind: 'send'; readonly to: Peer; readonly msg: Msg; readonly channel: Channel }
  /** Arm timer (name, arg) to fire after `delay`; re-arming the same pair replaces it. */
  | { readonly kind: 'timer'; readonly name: TimerName; readonly arg: number; readonly delay: number }
  | { readonly kind: 'reply'; readonly rid: number; readonly reply: Reply }
  | { readonly kind: 'log'; readonly event: LogEvent }
  | { readonly kind: 'stopped'; readonly reason: string };

export interface StepResult {
  readonly state: PeerState;
  readonly effects: readonly Effect[];
}

/** Liveness bookkeeping for one monitored neighbour, by ping rounds. */
export interface Watch {
  readonly peer: Peer;
  /** Rounds in a row without a sign of life. */
  readonly misses: number;
  /** This round's ping is unanswered. */
  readonly awaiting: boolean;
  /** A send to it failed this round, already counted as this round's miss. */
  readonly failed: boolean;
}

export interface Lost {
  readonly peer: Peer;
  readonly until: number;
  /** Only a pong to a ping with at least this nonce is news: earlier ones predate the loss. */
  readonly nonceFrom: number;
}

/** An outstanding client operation or maintenance lookup, driven from this peer. */
export interface Op {
  readonly rid: number;
  readonly purpose: 'put' | 'get' | 'join' | 'finger' | 'sweep';
  /** Client request id for put/get; finger index for 'finger'. */
  readonly arg: number;
  readonly target: Point;
  readonly key: Key | null;
  readonly value: Uint8Array | null;
  /** For a join: the peer first asked, known only by address (its id field is our own). */
  readonly bootstrap: Peer | null;
  readonly stage: 'route' | 'final' | 'wait';
  /** Route candidates still to try, best first; the head is the one asked. */
  readonly candidates: readonly Peer[];
  /** Replica holders to try for the final RPC (head is the one asked). */
  readonly holders: readonly Peer[];
  readonly hops: number;
  readonly attempts: number;
  /** Incremented on every send so that a stale timeout is recognised. */
  readonly seq: number;
}

/** A store this peer accepted as primary, waiting for its replicas to acknowledge. */
export interface PendingStore {
  readonly rid: number;
  readonly client: Peer;
  readonly clientRid: number;
  readonly version: number;
  readonly waiting: readonly string[];
  readonly holders: readonly Peer[];
}

/** A graceful leave in progress: who got the records, and which acknowledgements are in. */
export interface Leaving {
  /** Of the hand-over messages, which the heir's acknowledgement echoes. */
  readonly rid: number;
  /** Of the notice to the predecessor; 0 when it is not sent (no predecessor, or it is the first heir). */
  readonly noticeRid: number;
  readonly clientRid: number;
  /** Who may take the records, in order: the successors when the leave began, then the predecessor. */
  readonly heirs: readonly Peer[];
  /** Index in heirs of the peer the records were last handed to; -1 between two rounds. */
  readonly heir: number;
  /** Rounds over the heirs begun, from 1: a send can fail for a moment, so up to opAttempts. */
  readonly round: number;
  /** Hand-over steps so far (a hand-off or a pause); the leave timer carries it, so a stale one is known. */
  readonly step: number;
  readonly heirAcked: boolean;
  readonly predAcked: boolean;
}

export type Phase = 'idle' | 'joining' | 'member' | 'leaving' | 'stopped';

export interface PeerState {
  readonly cfg: Config;
  readonly self: Peer;
  readonly phase: Phase;
  /** Holds the records of its primary range: created the ring or received its hand-off. */
  readonly ready: boolean;
  readonly succs: readonly Peer[];
  readonly pred: Peer | null;
  /** bits entries; entry k is the first peer at or after self + 2^k, null while unknown. */
  readonly fingers: readonly (Peer | null)[];
  readonly fingerNext: number;
  readonly records: ReadonlyMap<string, Rec>;
  readonly watch: ReadonlyMap<string, Watch>;
  readonly lost: readonly Lost[];
  readonly ops: ReadonlyMap<number, Op>;
  readonly stores: ReadonlyMap<number, PendingStore>;
  /** rid of the outstanding stabilize query, 0 when none. */
  readonly stabilizing: number;
  /** Address this peer joined through, to find the ring again if it is ever left knowing nobody. */
  readonly bootstrap: string | null;
  /** Name of the record the last misplaced-record sweep looked at; the next starts after it. */
  readonly sweptAfter: string;
  readonly leaving: Leaving | null;
  readonly nextRid: number;
}
