/**
 * The reducer's vocabulary: what a peer knows, what it is told, what it asks the world to do.
 * Everything here is plain immutable data so that a driver (the simulator or the real runtime)
 * can copy, freeze, encode or log it freely.
 */
import type { Point } from './id';
import type { Records } from './records';

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
  readonly key: Key;
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
  /** `joining`: no member yet, but a joiner that has found its successor and waits for it to
   *  accept it (not a leaver, nor a peer restarted and knowing nobody). */
  | { readonly t: 'state'; readonly rid: number; readonly member: boolean; readonly joining: boolean; readonly pred: Peer | null; readonly succs: readonly Peer[] }
  /** Zave's rectify: "I may be your predecessor". `ready` false asks for the hand-off again
   *  (a peer restarted under the same ID is not told apart from its former self). `link`: sent
   *  to a peer back from a partition to join two rings, not because it is our successor: it is
   *  adopted only as a closer predecessor, never as a first one. */
  | { readonly t: 'rectify'; readonly ready: boolean; readonly link: boolean }
  /** Every record a new predecessor should hold, as primary or replica; the sender vouches that
   *  they are all the records acknowledged in (from, receiver] (null: it can vouch for none).
   *  Accepts the receiver into the ring. `more`: a batch of it, the last one (which vouches and
   *  accepts) still to come. Taken from a listed successor only (trust.ts). */
  | { readonly t: 'handoff'; readonly records: readonly Rec[]; readonly from: Point | null; readonly more: boolean }
  | { readonly t: 'store'; readonly rid: number; readonly key: Key; readonly value: Uint8Array }
  | { readonly t: 'stored'; readonly rid: number; readonly status: StoreStatus; readonly version: number; readonly holders: readonly Peer[] }
  | { readonly t: 'fetch'; readonly rid: number; readonly key: Key }
  | { readonly t: 'fetched'; readonly rid: number; readonly status: FetchStatus; readonly rec: Rec | null }
  /** Replica copies: a store's (rid > 0, acknowledged), or the answer to a `want` or a store's
   *  copy passed on to a new predecessor (rid 0, unanswered). Whom they are taken from: trust.ts. */
  | { readonly t: 'replicate'; readonly rid: number; readonly records: readonly Rec[] }
  | { readonly t: 'replicated'; readonly rid: number }
  /** What a primary holds, so that a replica can ask for what it lacks. The last one of a round
   *  announces the range the primary serves, (from, sender], which its replicas hold too. */
  | { readonly t: 'digest'; readonly entries: readonly DigestEntry[]; readonly from: Point | null }
  | { readonly t: 'want'; readonly keys: readonly Key[] }
  /** Graceful leave, to the successor: take my records and my predecessor; they are every record
   *  acknowledged in (from, sender] (null: the leaver vouches for none). `more`: a batch of the
   *  records, the last one (which is acknowledged) still to come. */
  | { readonly t: 'leave'; readonly rid: number; readonly pred: Peer | null; readonly records: readonly Rec[]; readonly from: Point | null; readonly more: boolean }
  /** Graceful leave, to the predecessor: splice me out, here are my successors. */
  | { readonly t: 'leave-notice'; readonly rid: number; readonly succs: readonly Peer[] }
  | { readonly t: 'leave-ack'; readonly rid: number }
  /** From a successor that has just adopted `peer`, between us, as its predecessor in our place:
   *  `peer` is our successor now, and a burst of joins into one gap is sorted out in round trips,
   *  not in one stabilize round a joiner. */
  | { readonly t: 'closer'; readonly peer: Peer };

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
  /** Time has come for whatever is due by `now` (see deadlines.ts). */
  | { readonly kind: 'tick' }
  | { readonly kind: 'command'; readonly cmd: Command }
  /** A stream send failed: connection refused or reset, or the peer is unreachable. */
  | { readonly kind: 'send-failed'; readonly to: Peer; readonly msg: Msg };

/** The rounds a member runs every so often, each with its deadline in `PeerState.due`. */
export type Periodic = 'ping' | 'stabilize' | 'fix-fingers' | 'replicate';

export type Reply =
  | { readonly ok: true; readonly op: 'put'; readonly version: number; readonly holders: readonly Peer[]; readonly hops: number }
  | { readonly ok: true; readonly op: 'get'; readonly rec: Rec; readonly holder: Peer; readonly hops: number }
  /** `kept`: records no neighbour acknowledged taking, gone with the leaver; `told`: the
   *  predecessor acknowledged its notice (else it learns of the leave as of a crash). */
  | { readonly ok: true; readonly op: 'leave'; readonly kept: number; readonly told: boolean }
  | { readonly ok: false; readonly op: Command['op']; readonly error: OpError; readonly hops: number };

/** Why a client operation failed (words for people: errors.ts). */
export type OpError =
  /** Nothing is stored under the key. */
  | 'not-found'
  /** No known peer is closer to the key. */
  | 'no-route'
  /** Every peer asked on the way timed out. */
  | 'no-answer'
  /** The key's holder did not answer in time. */
  | 'holder-silent'
  | 'too-many-hops'
  /** The key's primary does not hold its range yet (it has just joined or taken over). */
  | 'not-ready'
  | 'not-responsible'
  /** The peer asked is joining, leaving or stopped. */
  | 'not-member'
  /** The key's ID has another width than the ring's. */
  | 'other-id-space'
  | 'stopped';

/** How a peer came to be gone: declared so by failure detection, or by its own leave. */
export type GoneHow = 'missed-pings' | 'send-failed' | 'not-member' | 'left';

/**
 * An internal event: raised by one rule, reacted to by others once the rule is done (step.ts
 * routes them). `refill`: the peer was a successor, and the list is to be refilled at once.
 */
export interface PeerGone {
  readonly peer: Peer;
  readonly how: GoneHow;
  readonly refill: boolean;
}

export type LogEvent =
  | { readonly ev: 'created' }
  | { readonly ev: 'initialized'; readonly succ: Peer }
  | { readonly ev: 'joined'; readonly succ: Peer }
  | { readonly ev: 'join-failed'; readonly reason: string }
  | { readonly ev: 'successor'; readonly succ: Peer | null; readonly was: Peer | null }
  | { readonly ev: 'predecessor'; readonly pred: Peer | null; readonly was: Peer | null }
  | { readonly ev: 'peer-gone'; readonly peer: Peer; readonly how: GoneHow }
  | { readonly ev: 'peer-back'; readonly peer: Peer }
  | { readonly ev: 'records-moved'; readonly to: Peer; readonly count: number; readonly why: 'join' | 'leave' | 'replica' }
  | { readonly ev: 'records-received'; readonly from: Peer; readonly count: number; readonly why: 'join' | 'leave' | 'replica' }
  /** Records from a peer this one has no reason to take them from (trust.ts), dropped. */
  | { readonly ev: 'records-refused'; readonly from: Peer; readonly count: number; readonly what: 'replicate' | 'handoff' | 'leave' }
  | { readonly ev: 'left'; readonly kept: number; readonly told: boolean }
  | { readonly ev: 'bad-input'; readonly reason: string };

export type Effect =
  | { readonly kind: 'send'; readonly to: Peer; readonly msg: Msg; readonly channel: Channel }
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
/** What a lookup is for, with what only that purpose needs. */
export type Purpose =
  | { readonly purpose: 'put'; readonly clientRid: number; readonly key: Key; readonly value: Uint8Array }
  | { readonly purpose: 'get'; readonly clientRid: number; readonly key: Key }
  /** `bootstrap`: the peer first asked, known only by address (its id field is our own). */
  | { readonly purpose: 'join'; readonly bootstrap: Peer }
  | { readonly purpose: 'finger'; readonly index: number }
  | { readonly purpose: 'sweep' };

/** Where a lookup stands, whatever it is for. */
export interface LookupProgress {
  readonly rid: number;
  readonly target: Point;
  readonly stage: 'route' | 'final' | 'wait';
  /** Route candidates still to try, best first; the head is the one asked. */
  readonly candidates: readonly Peer[];
  /** Replica holders to try for the final RPC (head is the one asked). */
  readonly holders: readonly Peer[];
  readonly hops: number;
  readonly attempts: number;
  /** Local time the current stage gives up: the hop or final RPC times out, or the back-off
   *  before the next attempt ends ('wait'). Infinity while nothing is awaited. */
  readonly deadline: number;
}

/** A lookup under way: one of each purpose. */
export type Op = LookupProgress & Purpose;

/** A client's put or get: the lookups that end at the key's primary and answer the client. */
export type ClientOp = Op & { readonly purpose: 'put' | 'get' };

/** A store this peer accepted as primary, waiting for its replicas to acknowledge. */
export interface PendingStore {
  readonly rid: number;
  readonly client: Peer;
  readonly clientRid: number;
  readonly version: number;
  readonly waiting: readonly string[];
  readonly holders: readonly Peer[];
  /** Local time after which the replicas are taken not to have confirmed. */
  readonly deadline: number;
}

/** A graceful leave in progress: who got the records, and which acknowledgements are in. */
export interface Leaving {
  /** Of the hand-over messages, which the heir's acknowledgement echoes. */
  readonly rid: number;
  /** Of the notice to the predecessor; 0 when it is not sent (no predecessor, or it is the first heir). */
  readonly noticeRid: number;
  /** The notice: the predecessor it is for and the successors it passes on, as they were when the
   *  leave began, whatever this peer thinks of them meanwhile. */
  readonly noticed: { readonly to: Peer; readonly succs: readonly Peer[] } | null;
  readonly clientRid: number;
  /** Who may take the records, in order: the successors when the leave began, then the predecessor. */
  readonly heirs: readonly Peer[];
  /** Index in heirs of the peer the records were last handed to; -1 between two rounds. */
  readonly heir: number;
  /** Rounds over the heirs begun, from 1: a send can fail for a moment, so up to opAttempts. */
  readonly round: number;
  /** Local time the current stage ends by itself: the heir's acknowledgement is given up on, a
   *  pause between rounds ends, the notice is sent again, or the lingering is over. */
  readonly deadline: number;
  readonly heirAcked: boolean;
  readonly predAcked: boolean;
  /** Times the notice was sent again (after a failed send, or no answer by a leave timer), up to opAttempts - 1. */
  readonly noticeResends: number;
  /** Every send of the notice failed: the leave goes on without the predecessor's answer. */
  readonly noticeGivenUp: boolean;
  /** Once handed over, what the leaver kept: it lingers a moment before it stops (see finishLeave). */
  readonly kept: number | null;
}

/** Where a peer is in its life; a leaving one carries its leave. */
export type Phase =
  | { readonly name: 'idle' | 'joining' | 'member' | 'stopped' }
  | { readonly name: 'leaving'; readonly leave: Leaving };

export type PhaseName = Phase['name'];

/** A range a primary announced in its digests: (from, announcer], held here as its replica. */
export interface Announced {
  readonly from: Point;
  /** Local time it was last announced. */
  readonly at: number;
}

/** A key asked of a peer with a `want`: its answer is taken from that peer until `until`. */
export interface Wanted {
  readonly peer: string;
  readonly until: number;
}

/** Built by `fingerTable` (fingers.ts) only, so that the two always agree. */
export interface FingerTable {
  /** bits entries; entry k is the first peer at or after self + 2^k, null while unknown. */
  readonly slots: readonly (Peer | null)[];
  /** The known fingers from the top entry down, each run of equal entries once: what routing
   *  reads (at 10,000 peers about 13 of 160 entries are distinct, and a lookup step scanned all 160). */
  readonly distinct: readonly Peer[];
}

export interface PeerState {
  readonly cfg: Config;
  readonly self: Peer;
  /** 'joining' until a successor accepts the peer with a hand-off (then 'member'). */
  readonly phase: Phase;
  /** The arc (held, self] someone vouched this peer holds every record of (see coverage.ts);
   *  self: the whole ring; null: none. */
  readonly held: Point | null;
  /** Predecessors' announced ranges, by announcer ID. */
  readonly ranges: ReadonlyMap<string, Announced>;
  /** Keys asked for with a `want`, by key name, and of whom (see trust.ts). */
  readonly wanted: ReadonlyMap<string, Wanted>;
  /** What this peer last vouched for in a hand-off, (from, to]: a predecessor that asks again
   *  (its hand-off was lost, or it restarted) is vouched for again as far. */
  readonly vouched: { readonly to: Peer; readonly from: Point } | null;
  /** The predecessor was declared gone (or left vouching for nothing): the next one adopted is
   *  trusted to start the range this peer holds, which it takes over as replica. */
  readonly inherit: boolean;
  /** Local time the predecessor last changed (see claimRange). */
  readonly predSince: number;
  readonly succs: readonly Peer[];
  readonly pred: Peer | null;
  readonly fingers: FingerTable;
  readonly fingerNext: number;
  /** By ring position (see records.ts). */
  readonly records: Records;
  readonly watch: ReadonlyMap<string, Watch>;
  readonly lost: readonly Lost[];
  readonly ops: ReadonlyMap<number, Op>;
  readonly stores: ReadonlyMap<number, PendingStore>;
  /** The outstanding stabilize query and the successor-list entry it went to, null when none. */
  readonly stabilizing: { readonly rid: number; readonly to: Peer } | null;
  /** Address this peer joined through, to find the ring again if it is ever left knowing nobody. */
  readonly bootstrap: string | null;
  /** Key of the record the last misplaced-record sweep looked at; the next starts after it. */
  readonly sweptAfter: Key | null;
  readonly nextRid: number;
  /** Local time each periodic round is next due, null while it does not run. */
  readonly due: Readonly<Record<Periodic, number | null>>;
}
