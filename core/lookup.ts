/**
 * Iterative lookups driven from the asking peer: it asks one peer at a time "who succeeds the
 * target, or who is closer?", with a per-hop timeout that falls back to the next best candidate,
 * and retries the whole operation a bounded number of times. One engine serves client puts and
 * gets, joins, finger repair and the sweep; it knows none of them: what an outcome means is the
 * `LookupUsers` table's business, which step wires (purposes.ts), so nothing here imports the
 * rules that use it.
 */
import { timeoutFor } from './config';
import { same, type Point } from './id';
import { closestPreceding, isPrimary, listed, successorAnswers } from './ring';
import type { Tx } from './tx';
import { describeError } from './errors';
import type { ClientOp, FetchStatus, Key, Msg, Op, OpError, Peer, PeerState, Purpose, Rec, StoreStatus } from './types';

const CANDIDATES = 3;

/** What the users of lookups do with an outcome (purposes.ts). */
export interface LookupUsers {
  /** A join, finger or sweep lookup learned the target's successor list, `holders`, from `answerer`. */
  readonly found: (tx: Tx, op: Op, answerer: Peer, holders: readonly Peer[]) => void;
  readonly joinFailed: (tx: Tx, reason: string) => void;
  /** A finger's lookup ran out of attempts. */
  readonly fingerFailed: (tx: Tx, index: number) => void;
  /** A put whose key this peer is primary for: stored here, or the refusal. */
  readonly storeHere: (tx: Tx, key: Key, value: Uint8Array, client: Peer, clientRid: number) => StoreStatus;
  /** A get whose key this peer is primary for: what it holds. */
  readonly fetchHere: (s: PeerState, key: Key, now: number) => { readonly status: FetchStatus; readonly rec: Rec | null };
}

export function startOp(tx: Tx, purpose: Purpose, target: Point): void {
  const op: Op = { ...purpose, rid: tx.rid(), target, stage: 'route', candidates: [], holders: [], hops: 0, attempts: 1, deadline: Infinity };
  putOp(tx, op);
  if (op.purpose === 'join') ask(tx, op, [op.bootstrap]);
  else routeLocally(tx, op);
}

function isClientOp(op: Op): op is ClientOp {
  return op.purpose === 'put' || op.purpose === 'get';
}

function putOp(tx: Tx, op: Op): void {
  const ops = new Map(tx.s.ops);
  ops.set(op.rid, op);
  tx.set({ ops });
}

function dropOp(tx: Tx, rid: number): void {
  const ops = new Map(tx.s.ops);
  ops.delete(rid);
  tx.set({ ops });
}

/** Start (or restart) an attempt from this peer's own routing state. */
function routeLocally(tx: Tx, op: Op): void {
  const s = tx.s;
  // A primary that does not hold the key's range yet answers "not ready" itself (finalLocally).
  if (isClientOp(op) && s.phase.name === 'member' && isPrimary(s, op.target)) return finalLocally(tx, op);
  if (successorAnswers(s, op.target)) return answered(tx, op, s.self, s.succs);
  const candidates = closestPreceding(s, op.target, CANDIDATES);
  if (candidates.length === 0) return attemptFailed(tx, op, 'no-route');
  ask(tx, op, candidates);
}

function ask(tx: Tx, op: Op, candidates: readonly Peer[]): void {
  if (op.hops >= tx.s.cfg.maxHops) return attemptFailed(tx, op, 'too-many-hops');
  putOp(tx, { ...op, stage: 'route', candidates, hops: op.hops + 1, deadline: tx.now + tx.s.cfg.rpcTimeout });
  tx.send(candidates[0], { t: 'find', rid: op.rid, target: op.target });
}

/**
 * The successor of the target is known: `holders` is the successor list of `answerer`, the
 * target's predecessor as far as it knows, so the head is the target's primary.
 */
function answered(tx: Tx, op: Op, answerer: Peer, holders: readonly Peer[]): void {
  switch (op.purpose) {
    case 'sweep':
    case 'join':
    case 'finger':
      dropOp(tx, op.rid);
      return tx.users.found(tx, op, answerer, holders);
    default:
      if (same(holders[0], tx.s.self)) return finalLocally(tx, op);
      return finalRemote(tx, op, holders);
  }
}

function finalRemote(tx: Tx, op: ClientOp, holders: readonly Peer[]): void {
  // A store travels to the primary, then to its replicas, before the answer comes back.
  putOp(tx, { ...op, stage: 'final', holders, deadline: tx.now + timeoutFor(tx.s.cfg, op.purpose === 'put' ? op.value.length : 0, 2) });
  const msg: Msg = op.purpose === 'put'
    ? { t: 'store', rid: op.rid, key: op.key, value: op.value }
    : { t: 'fetch', rid: op.rid, key: op.key };
  tx.send(holders[0], msg);
}

function finalLocally(tx: Tx, op: ClientOp): void {
  if (op.purpose === 'put') {
    const status = tx.users.storeHere(tx, op.key, op.value, tx.s.self, op.rid);
    if (status !== 'ok') return attemptFailed(tx, op, status);
    // Stored here, and waiting on the replicas: the store's own deadline says when that failed.
    const waiting = tx.s.ops.get(op.rid);
    if (waiting) putOp(tx, { ...waiting, deadline: Infinity });
    return;
  }
  const answer = tx.users.fetchHere(tx.s, op.key, tx.now);
  if (answer.status === 'found' && answer.rec) return finishGet(tx, op, answer.rec, tx.s.self);
  if (answer.status === 'missing') return failOp(tx, op, 'not-found');
  attemptFailed(tx, op, refusal(answer.status));
}

/** A holder's refusal as the error the attempt fails with; "found" without a record is no answer. */
function refusal(status: StoreStatus | FetchStatus): OpError {
  return status === 'not-ready' || status === 'not-responsible' ? status : 'holder-silent';
}

function asked(op: Op, from: Peer): boolean {
  const head = op.candidates[0];
  return (op.purpose === 'join' && head === op.bootstrap) || same(head, from);
}

/** A 'found' reply to one of our hops. Replies from anyone but the peer asked are stale. */
export function onFound(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'found' }>): void {
  const op = tx.s.ops.get(msg.rid);
  if (!op || op.stage !== 'route' || !asked(op, from)) return;
  if (msg.done && msg.peers.length > 0) return answered(tx, op, from, msg.peers);
  const self = tx.s.self;
  const closer: Peer[] = [];
  for (const p of msg.peers) if (!same(p, self) && !listed(op.candidates, p)) closer.push(p);
  const rest = op.candidates.slice(1);
  const candidates = closer.concat(rest);
  if (candidates.length === 0) return attemptFailed(tx, op, 'no-route');
  ask(tx, op, candidates);
}

/** The peer asked did not answer in time, or the send failed: try the next candidate. */
export function onHopFailed(tx: Tx, rid: number): void {
  const op = tx.s.ops.get(rid);
  if (!op || op.stage === 'wait') return;
  // Routing must stop leaning on a peer that did not answer: a finger nobody watches could be
  // dead for good, and the next attempt would ask it again (a bootstrap peer is no finger).
  if (op.stage === 'route' && op.purpose !== 'join') tx.peerSilent(op.candidates[0]);
  if (op.stage === 'route' && op.candidates.length > 1) return ask(tx, op, op.candidates.slice(1));
  attemptFailed(tx, op, op.stage === 'route' ? 'no-answer' : 'holder-silent');
}

/** The peer that `op` is waiting on is gone: move on without waiting for the timeout. */
export function onPeerGone(tx: Tx, gone: Point): void {
  for (const op of tx.s.ops.values()) {
    const peer = waitingOn(op);
    if (peer && same(peer, gone)) onHopFailed(tx, op.rid);
  }
}

export function onStored(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'stored' }>): void {
  const op = tx.s.ops.get(msg.rid);
  if (!op || op.stage !== 'final' || op.purpose !== 'put' || !same(op.holders[0], from)) return;
  if (msg.status !== 'ok') return attemptFailed(tx, op, refusal(msg.status));
  finishPut(tx, op.rid, msg.version, msg.holders);
}

/** This peer, as primary of its own put, could not get the record onto its replicas. */
export function storeRefused(tx: Tx, rid: number, status: StoreStatus): void {
  const op = tx.s.ops.get(rid);
  if (op) attemptFailed(tx, op, refusal(status));
}

/** A send to `to` failed: if `rid`'s op is still waiting on that peer, move on now. */
export function onSendFailed(tx: Tx, to: Peer, rid: number): void {
  const op = tx.s.ops.get(rid);
  const peer = op && waitingOn(op);
  if (peer && same(peer, to)) onHopFailed(tx, rid);
}

function waitingOn(op: Op): Peer | undefined {
  return op.stage === 'route' ? op.candidates[0] : op.stage === 'final' ? op.holders[0] : undefined;
}

/** Completes a put: called for remote acknowledgements and for puts this peer was primary for. */
export function finishPut(tx: Tx, rid: number, version: number, holders: readonly Peer[]): void {
  const op = tx.s.ops.get(rid);
  if (op?.purpose !== 'put') return;
  dropOp(tx, rid);
  tx.reply(op.clientRid, { ok: true, op: 'put', version, holders, hops: op.hops });
}

export function onFetched(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'fetched' }>): void {
  const op = tx.s.ops.get(msg.rid);
  if (!op || op.stage !== 'final' || op.purpose !== 'get' || !same(op.holders[0], from)) return;
  if (msg.status === 'found' && msg.rec) return finishGet(tx, op, msg.rec, from);
  if (msg.status === 'missing') return failOp(tx, op, 'not-found');
  attemptFailed(tx, op, refusal(msg.status));
}

function finishGet(tx: Tx, op: ClientOp, rec: NonNullable<Extract<Msg, { t: 'fetched' }>['rec']>, holder: Peer): void {
  dropOp(tx, op.rid);
  tx.reply(op.clientRid, { ok: true, op: 'get', rec, holder, hops: op.hops });
}

/** Back off, then try the whole operation again, up to cfg.opAttempts attempts. */
function attemptFailed(tx: Tx, op: Op, why: OpError): void {
  if (op.attempts >= tx.s.cfg.opAttempts) return failOp(tx, op, why);
  // Back off about one ping interval: long enough for the ring to notice a departure.
  putOp(tx, { ...op, stage: 'wait', candidates: [], holders: [], attempts: op.attempts + 1, deadline: tx.now + Math.min(tx.s.cfg.rpcTimeout, tx.s.cfg.pingInterval) });
}

export function onRetry(tx: Tx, rid: number): void {
  const op = tx.s.ops.get(rid);
  if (!op || op.stage !== 'wait') return;
  // A joining peer has no routing state: it can only ask its bootstrap peer again.
  if (op.purpose === 'join') return ask(tx, op, [op.bootstrap]);
  routeLocally(tx, op);
}

/** The peer stops: every client request still under way gets its answer now. */
export function failClientOps(tx: Tx, why: OpError): void {
  for (const op of tx.s.ops.values()) if (isClientOp(op)) failOp(tx, op, why);
}

function failOp(tx: Tx, op: Op, why: OpError): void {
  dropOp(tx, op.rid);
  switch (op.purpose) {
    case 'join':
      return tx.users.joinFailed(tx, why === 'no-answer' || why === 'no-route' ? 'bootstrap peer unreachable' : describeError(why));
    case 'finger':
      return tx.users.fingerFailed(tx, op.index);
    case 'sweep':
      return;
    default:
      tx.reply(op.clientRid, { ok: false, op: op.purpose, error: why, hops: op.hops });
  }
}
