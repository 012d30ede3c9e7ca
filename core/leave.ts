/**
 * Graceful departure: the leaver hands its records to its successor (or the next heir that
 * answers) and tells its predecessor; the neighbours splice it out with what it told them.
 */
import { timeoutFor } from './config';
import { farther, reaches } from './coverage';
import { fingersWithout } from './fingers';
import { same } from './id';
import { stop } from './join';
import { adoptPredecessor, adoptSuccessors, isMember, linked, otherPred } from './neighbours';
import { leaveOf, leavingWith } from './phase';
import { markLost } from './reprobe';
import { takesLeave } from './trust';
import { listed, without } from './ring';
import { leaveVouch, mergeRecords, sendRecords } from './storage';
import type { Tx } from './tx';
import type { Leaving, Msg, Peer } from './types';

/**
 * Graceful leave: records and predecessor to the successor, successors to the predecessor. A
 * successor that does not acknowledge in time is passed over for the next one, so that records
 * are not dropped because one neighbour is unreachable; the predecessor is the last heir, since
 * with every successor cut off it is the only peer left that can keep the records (its sweep
 * then offers them to their primary).
 */
export function leave(tx: Tx, clientRid: number): void {
  const s = tx.s;
  if (s.phase.name !== 'member') return tx.reply(clientRid, { ok: false, op: 'leave', error: 'not-member', hops: 0 });
  const pred = otherPred(s);
  const succs = s.succs.filter((p) => !same(p, s.self));
  const heirs = pred && !listed(succs, pred) ? [...succs, pred] : succs;
  const rid = tx.rid();
  // The predecessor acknowledges the notice and, as an heir, the records: apart by their rids.
  let noticeRid = 0;
  const noticed = pred !== null && !same(pred, heirs[0]) ? { to: pred, succs: s.succs } : null;
  if (noticed !== null) {
    noticeRid = tx.rid();
    tx.send(noticed.to, { t: 'leave-notice', rid: noticeRid, succs: noticed.succs });
  }
  tx.set({ phase: leavingWith({ rid, noticeRid, noticed, clientRid, heirs, heir: 0, round: 1, deadline: Infinity, heirAcked: false, predAcked: noticed === null, noticeResends: 0, noticeGivenUp: false, kept: null }) });
  if (heirs.length === 0) finishLeave(tx);
  else handTo(tx, 0);
}

/** Hands everything to `heirs[at]`; its acknowledgement, or the leave's deadline, comes next. */
function handTo(tx: Tx, at: number): void {
  const s = tx.s;
  const l = leaveOf(s) as Leaving;
  const heir = l.heirs[at];
  const records = [...s.records.values()];
  tx.set({ phase: leavingWith({ ...l, heir: at, deadline: tx.now + timeoutFor(s.cfg, records.reduce((n, r) => n + r.value.length, 0), 2) }) });
  const pred = otherPred(s);
  const from = leaveVouch(s, heir, tx.now);
  sendRecords(tx, heir, records, (batch, more) => ({ t: 'leave', rid: l.rid, pred, records: batch, from, more }));
  if (records.length > 0) tx.log({ ev: 'records-moved', to: heir, count: records.length, why: 'leave' });
}

/**
 * Every hand-over carries all the records, so an acknowledgement from any heir, even one passed
 * over because it answered late, means they are safe.
 */
export function onLeaveAck(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'leave-ack' }>): void {
  const l = leaveOf(tx.s);
  if (!l) return;
  if (msg.rid === l.rid && listed(l.heirs, from)) tx.set({ phase: leavingWith({ ...l, heirAcked: true }) });
  else if (msg.rid === l.noticeRid && l.noticed !== null && same(l.noticed.to, from)) tx.set({ phase: leavingWith({ ...l, predAcked: true }) });
  afterLeaveProgress(tx);
}

/**
 * The leave's deadline passed (failed null: the heir did not acknowledge in time, a pause ended,
 * or the lingering is over), or the send to `failed` failed: try the next successor. When every
 * one has failed, pause and go over the list again, up to opAttempts rounds, since a send can
 * fail for a moment and stopping would take the records with it; then stop. A failure report
 * about an earlier heir changes nothing.
 */
export function onLeaveStalled(tx: Tx, failed: Peer | null): void {
  const l = leaveOf(tx.s);
  if (!l || tx.s.phase.name !== 'leaving') return;
  if (l.kept !== null) {
    if (failed === null) stop(tx, leftReason(l.kept, l.predAcked));
    return;
  }
  const heir = l.heirs[l.heir] as Peer | undefined;
  // Between rounds there is no heir: a failure report is then about an earlier one.
  if (failed !== null && (heir === undefined || !same(heir, failed))) return;
  if (l.heirAcked) return awaitNotice(tx);
  if (l.heir + 1 < l.heirs.length) return handTo(tx, l.heir + 1);
  if (l.round < tx.s.cfg.opAttempts) {
    return tx.set({ phase: leavingWith({ ...l, heir: -1, round: l.round + 1, deadline: tx.now + Math.min(tx.s.cfg.rpcTimeout, tx.s.cfg.pingInterval) }) });
  }
  finishLeave(tx);
}

/**
 * The notice to the predecessor could not be sent: a connection fails for a moment, so it is
 * sent again, opAttempts times in all. After that the predecessor learns of the leave as of a
 * crash (the reply says so: with r = 1 it is left with no successor until it notices).
 */
export function onLeaveNoticeFailed(tx: Tx, rid: number): void {
  const l = leaveOf(tx.s);
  if (!l || l.kept !== null || l.predAcked || rid !== l.noticeRid) return;
  if (noticeAgain(tx)) return;
  tx.set({ phase: leavingWith({ ...l, noticeGivenUp: true }) });
  afterLeaveProgress(tx);
}

/**
 * The heir has the records and the leave's deadline passed: the predecessor's answer is still
 * missing (lost, or the notice is on its way across a partition). The notice goes again at each
 * deadline, opAttempts rounds in all; then the leave ends, the predecessor untold.
 */
function awaitNotice(tx: Tx): void {
  const l = leaveOf(tx.s) as Leaving;
  if (l.predAcked || !noticeAgain(tx)) return finishLeave(tx);
  tx.set({ phase: leavingWith({ ...(leaveOf(tx.s) as Leaving), deadline: tx.now + timeoutFor(tx.s.cfg, 0, 2) }) });
}

/** Sends the notice once more, unless it has gone opAttempts times; whether it went. */
function noticeAgain(tx: Tx): boolean {
  const l = leaveOf(tx.s) as Leaving;
  if (l.noticed === null || l.noticeResends + 1 >= tx.s.cfg.opAttempts) return false;
  tx.set({ phase: leavingWith({ ...l, noticeResends: l.noticeResends + 1 }) });
  tx.send(l.noticed.to, { t: 'leave-notice', rid: l.noticeRid, succs: l.noticed.succs });
  return true;
}

function afterLeaveProgress(tx: Tx): void {
  const l = leaveOf(tx.s);
  if (l && l.heirAcked && (l.predAcked || l.noticeGivenUp)) finishLeave(tx);
}

/**
 * Handed over: the reply says what went with the leaver (records no heir acknowledged, as in a
 * crash; a notice the predecessor never had), so that no client takes such a leave for a clean
 * one. It lingers a stabilize interval and an rpcTimeout before it stops, so that every peer
 * still pointing at it stabilizes with it once meanwhile and is told where to go instead of being
 * left pointing at nobody: a joiner that has just found it as its successor, or a peer whose
 * successor it was before a joiner came between them (only its predecessor had the notice).
 */
function finishLeave(tx: Tx): void {
  const l = leaveOf(tx.s);
  if (!l || tx.s.phase.name !== 'leaving' || l.kept !== null) return;
  const kept = l.heirAcked ? 0 : tx.s.records.size;
  tx.set({ phase: leavingWith({ ...l, kept, deadline: tx.now + tx.s.cfg.stabilizeInterval + tx.s.cfg.rpcTimeout }) });
  tx.reply(l.clientRid, { ok: true, op: 'leave', kept, told: l.predAcked });
  tx.log({ ev: 'left', kept, told: l.predAcked });
}

/** Why a leaver stopped: records it took along because no neighbour acknowledged them, a predecessor never told. */
export function leftReason(kept: number, told: boolean): string {
  const untold = told ? '' : ', its predecessor never told';
  return kept === 0 ? `left the ring${untold}` : `left the ring with ${kept} record(s) no neighbour acknowledged${untold}`;
}

/**
 * A leaving neighbour hands us its records: our predecessor, or our successor whose own
 * successors could not be reached. Take its records and, if it was our predecessor, its
 * predecessor (not ourselves, which is what a successor handing to us names) and its range,
 * as far as it vouches for it (and as far as what we hold reaches it).
 */
export function onLeave(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'leave' }>): void {
  const s = tx.s;
  // A peer still joining (one restarted under an ID the leaver knew) is no heir: unanswered, the
  // leaver hands over to the next one.
  if (!isMember(s)) return;
  // A stranger's leave is not acknowledged: a true leaver hands over to its next heir.
  if (!takesLeave(s, from, tx.now)) return tx.log({ ev: 'records-refused', from, count: msg.records.length, what: 'leave' });
  const count = mergeRecords(tx, msg.records);
  if (msg.more) {
    if (count > 0) tx.log({ ev: 'records-received', from, count, why: 'leave' });
    return;
  }
  spliceOut(tx, from);
  const pred = msg.pred && !same(msg.pred, from) && !same(msg.pred, s.self) ? msg.pred : null;
  if (s.pred === null || same(s.pred, from)) {
    const held = reaches(s.held, from, s.self) ? farther(s.self, s.held, msg.from) : s.held;
    // What it could not vouch for is lost with it as in a crash: its successor takes it over.
    tx.set({ held, inherit: tx.s.inherit || msg.from === null });
    if (pred !== null) adoptPredecessor(tx, pred);
    else tx.set({ pred: null });
  }
  if (count > 0) tx.log({ ev: 'records-received', from, count, why: 'leave' });
  tx.log({ ev: 'peer-gone', peer: from, how: 'left' });
  tx.send(from, { t: 'leave-ack', rid: msg.rid });
}

/** Our successor leaves: splice it out of the list using its own successors. */
export function onLeaveNotice(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'leave-notice' }>): void {
  const s = tx.s;
  if (!linked(s)) return;
  const at = s.succs.findIndex((p) => same(p, from));
  if (at >= 0) adoptSuccessors(tx, [...s.succs.slice(0, at), ...msg.succs.filter((p) => !same(p, from))]);
  spliceOut(tx, from);
  tx.log({ ev: 'peer-gone', peer: from, how: 'left' });
  tx.send(from, { t: 'leave-ack', rid: msg.rid });
}

function spliceOut(tx: Tx, gone: Peer): void {
  const s = tx.s;
  let succs = without(s.succs, gone);
  if (succs.length === 0) succs = [s.self];
  tx.set({ succs, fingers: fingersWithout(s.fingers, gone), pred: s.pred && same(s.pred, gone) ? null : s.pred });
  markLost(tx, gone);
  tx.peerGone({ peer: gone, how: 'left', refill: false });
}
