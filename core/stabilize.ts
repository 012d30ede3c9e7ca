/**
 * Zave's stabilize: each round a peer asks its successor for its predecessor and list,
 * reconciles its own list with the answer, and rectifies the successor, which adopts a closer
 * live predecessor. And once the predecessor is settled, its range is this peer's own.
 */
import { settleTime } from './config';
import { isReady, reaches } from './coverage';
import { declareGone } from './failure';
import { inOpen, same } from './id';
import { adoptPredecessor, adoptSuccessors, linked, otherPred, rectify, stabilizes } from './neighbours';
import { peerBack } from './reprobe';
import { insertByDistance, listed } from './ring';
import { handOff } from './storage';
import type { Tx } from './tx';
import type { Msg, Peer } from './types';

export function onStabilizeTimer(tx: Tx): void {
  tx.due('stabilize', tx.s.cfg.stabilizeInterval);
  if (stabilizes(tx.s)) stabilizeNow(tx);
}

export function stabilizeNow(tx: Tx): void {
  const s = tx.s;
  if (same(s.succs[0], s.self)) {
    // Alone (or believing so): a known predecessor is the way back into a larger ring, and is
    // asked at once; with none, this peer is its own predecessor, as its rectify to itself would
    // make it.
    if (s.pred === null) return adoptPredecessor(tx, s.self);
    if (same(s.pred, s.self)) return;
    adoptSuccessors(tx, [s.pred, s.self]);
  }
  const succ = tx.s.succs[0];
  if (same(succ, tx.s.self)) return;
  askState(tx, succ);
  tx.send(succ, rectify(tx, false));
}

/** Asks `p`, an entry of our successor list, for its predecessor and list (stabilize). */
function askState(tx: Tx, p: Peer): void {
  const rid = tx.rid();
  tx.set({ stabilizing: { rid, to: p } });
  tx.send(p, { t: 'get-state', rid });
}

/** A leaving peer answers as a non-member, so that nobody adopts it or its view any more. */
export function onGetState(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'get-state' }>): void {
  const s = tx.s;
  tx.send(from, { t: 'state', rid: msg.rid, member: s.phase.name === 'member', joining: s.phase.name === 'joining' && linked(s), pred: s.pred, succs: s.succs });
}

/**
 * A successor's answer to stabilize: usually the head's; the next entry's when the query to the
 * head failed (sendFailed), so that a list one entry short refills at once even then.
 */
export function onState(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'state' }>): void {
  const s = tx.s;
  if (s.stabilizing === null || msg.rid !== s.stabilizing.rid || !same(from, s.stabilizing.to) || !linked(s)) return;
  tx.set({ stabilizing: null });
  const at = s.succs.findIndex((p) => same(p, from));
  if (at < 0) return;
  const succ = s.succs[at];
  // A successor that is no member is not our successor: a leaving one passes on its own list
  // (as its leave-notice would, had it known about us); a restarted one has none. A joiner that
  // has found its successor is ours, about to be accepted: declared gone, it was dropped for a
  // detection period, and with it every peer it would have told us of (a burst of joins).
  if (!msg.member && !msg.joining) {
    adoptSuccessors(tx, [...s.succs.slice(0, at), ...s.succs.slice(at + 1), ...msg.succs]);
    return declareGone(tx, succ, 'not-member');
  }
  const candidates = [...s.succs.slice(0, at + 1), ...msg.succs];
  // Only the head's predecessor may be closer than the head; a later entry's is an entry before it.
  if (at === 0 && msg.pred && inOpen(msg.pred, s.self, succ)) candidates.unshift(msg.pred);
  adoptSuccessors(tx, candidates);
  // A closer head is asked in turn at once: a burst of joins into one gap is walked in round
  // trips, not one stabilize interval a joiner.
  if (!same(tx.s.succs[0], s.succs[0]) && stabilizes(tx.s)) stabilizeNow(tx);
}

/** The stabilize query to `failed` could not be sent: ask the entry after it instead. */
export function onStateFailed(tx: Tx, failed: Peer): void {
  const s = tx.s;
  const at = s.succs.findIndex((p) => same(p, failed));
  const next = at >= 0 ? s.succs[at + 1] : undefined;
  if (next !== undefined && !same(next, s.self)) askState(tx, next);
}

/**
 * Zave's rectify: adopt `from` as predecessor if we have none or it is closer. A link rectify
 * (from a peer back from a partition) is taken only as a closer predecessor: with none, the
 * peer that links two rings is not ours, and the one that is will rectify us soon.
 */
export function onRectify(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'rectify' }>): void {
  // A leaving peer has handed its predecessor to its heir: adopting another would be unknown
  // there. One that rectifies it believes it its successor (a joiner that found it just now):
  // it is told the leaver's successors, as the predecessor was.
  if (tx.s.phase.name === 'leaving') {
    if (!same(from, tx.s.self) && !(tx.s.pred !== null && same(tx.s.pred, from))) tx.send(from, { t: 'leave-notice', rid: 0, succs: tx.s.succs });
    return;
  }
  if (!linked(tx.s) || same(from, tx.s.self)) return;
  // Only a live member rectifies: one we had declared gone is back. It rectified us, so the
  // rings are linked already.
  if (tx.s.lost.some((l) => same(l.peer, from))) peerBack(tx, from, false);
  const s = tx.s;
  if (s.pred && same(s.pred, from)) {
    // It lost its hand-off, or its state (restarted under the same ID): hand it over again.
    if (!msg.ready) handOff(tx, from, null);
    return;
  }
  const pred = otherPred(s);
  if (pred !== null && !inOpen(from, pred, s.self)) {
    // Our predecessor lies between it and us: its successor, told now rather than found by its
    // next stabilize round (a joiner that found this peer before its predecessor did).
    if (!msg.link) tx.send(from, { t: 'closer', peer: pred });
    return;
  }
  if (pred === null && msg.link && s.pred === null) return;
  adoptPredecessor(tx, from);
  handOff(tx, from, pred);
  if (pred !== null) tx.send(pred, { t: 'closer', peer: from });
  // A ring of one takes its first predecessor for its successor too, now rather than next round.
  else if (same(tx.s.succs[0], tx.s.self) && stabilizes(tx.s)) stabilizeNow(tx);
}

/**
 * Our successor took `msg.peer` for its predecessor in our place: if it lies between us, it is
 * our successor, asked at once (stabilize). Only a listed successor is heard, about a peer
 * between it and us: as a stabilize answer would be.
 */
export function onCloser(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'closer' }>): void {
  const s = tx.s;
  if (!stabilizes(s) || !listed(s.succs, from) || !inOpen(msg.peer, s.self, from)) return;
  // Where its distance puts it: a list with it twice would end at the second (successorList).
  adoptSuccessors(tx, insertByDistance(s.self, s.succs, msg.peer));
  if (!same(tx.s.succs[0], s.succs[0])) stabilizeNow(tx);
}

/**
 * Once what this peer holds reaches its predecessor through the ranges its predecessors
 * announced (it took over a dead one's range), that range is its own: the announcements of the
 * dead expire, ownership must not. Never further than the predecessor: beyond it, a replica's
 * copies stay complete only while it remains a replica.
 *
 * And a predecessor that has stood for a detection period and two stabilize rounds with nobody
 * vouching for the keys between it and what this peer holds is trusted to start its range: a
 * live peer between would have rectified us by then, so the peer the range was handed to died
 * before anyone knew it (a joiner killed just after its successor accepted it). Without this,
 * those keys would answer "not ready" for good.
 */
export function claimRange(tx: Tx): void {
  const s = tx.s;
  if (s.pred === null || s.phase.name !== 'member' || reaches(s.held, s.pred, s.self)) return;
  const settled = tx.now - s.predSince >= settleTime(s.cfg);
  if (isReady(s, tx.now) || settled) tx.set({ held: same(s.pred, s.self) ? s.self : s.pred });
}
