/**
 * Ring membership with Pamela Zave's corrected maintenance: a joining peer copies its
 * successor's list; stabilize asks the successor for its predecessor and list; rectify (instead
 * of notify) lets a successor adopt a closer live predecessor; pings find departed neighbours.
 * Peers declared gone are re-probed for a while, so that rings split by a partition re-merge.
 */
import { settleTime, timeoutFor } from './config';
import { farther, isReady, reaches } from './coverage';
import { fingersWithout, fingerTable } from './fingers';
import { inOpen, same } from './id';
import { closestPreceding, insertByDistance, successorList, without } from './ring';
import { failClientOps, onPeerGone, startOp } from './lookup';
import { handOff, leaveVouch, mergeRecords, onPeerGoneFromStores, sendRecords } from './storage';
import type { Tx } from './tx';
import type { Channel, Leaving, Msg, Op, Peer, PeerState, Watch } from './types';

const LOST_MAX = 8;

function isMember(s: PeerState): boolean {
  return s.phase === 'member' || s.phase === 'leaving';
}

/**
 * Keeps a successor list up: a member, a leaver, or a joiner that has found its successor (not
 * itself: one left with nobody looks the ring up again) and waits for it to accept it (its
 * hand-off), stabilizing meanwhile.
 */
function linked(s: PeerState): boolean {
  return isMember(s) || (s.phase === 'joining' && s.succs.length > 0 && !same(s.succs[0], s.self));
}

/** Stabilizes: linked, and not leaving (a leaver has told its neighbours to route around it: a rectify would undo that). */
function stabilizes(s: PeerState): boolean {
  return s.phase !== 'leaving' && linked(s);
}

function startTimers(tx: Tx): void {
  const { cfg } = tx.s;
  tx.due('ping', cfg.pingInterval);
  tx.due('stabilize', cfg.stabilizeInterval);
  tx.due('fix-fingers', cfg.fixFingersInterval);
  tx.due('replicate', cfg.replicateInterval);
}

export function create(tx: Tx): void {
  if (tx.s.phase !== 'idle') return tx.log({ ev: 'bad-input', reason: `create while ${tx.s.phase}` });
  const self = tx.s.self;
  tx.set({ phase: 'member', held: self, succs: [self], pred: self, fingers: fingerTable(tx.s.fingers.slots.map(() => self)) });
  tx.log({ ev: 'created' });
  startTimers(tx);
}

export function init(tx: Tx, succs: readonly Peer[], pred: Peer | null): void {
  if (tx.s.phase !== 'idle') return tx.log({ ev: 'bad-input', reason: `init while ${tx.s.phase}` });
  const self = tx.s.self;
  const list = successorList(self, succs.length > 0 ? succs : [self], tx.s.cfg.replicas);
  // Without a known predecessor a peer of a larger ring serves nothing until one rectifies it:
  // taking itself as predecessor would claim the whole ring. A new ring holds no records, so
  // it holds all of its range, whatever the first predecessor turns out to be.
  const known = pred ?? (same(list[0], self) ? self : null);
  tx.set({ phase: 'member', held: known, inherit: known === null, succs: list, pred: known });
  tx.log({ ev: 'initialized', succ: list[0] });
  startTimers(tx);
}

export function join(tx: Tx, via: string): void {
  if (tx.s.phase !== 'idle') return tx.log({ ev: 'bad-input', reason: `join while ${tx.s.phase}` });
  tx.set({ phase: 'joining', bootstrap: via });
  startOp(tx, 'join', 0, tx.s.self, null, null, bootstrapPeer(tx.s, via));
}

/** The bootstrap peer is known only by address; the lookup takes any answer from it. */
function bootstrapPeer(s: PeerState, via: string): Peer {
  return { id: s.self.id, k: s.self.k, addr: via };
}

/**
 * The join lookup found our successor and its list. A newcomer stays 'joining' until the
 * successor accepts it with a hand-off (onHandoff): until then nobody knows it, so a successor
 * that leaves meanwhile strands no member; it stabilizes with its successor as a member does.
 */
export function joinFound(tx: Tx, op: Op, list: readonly Peer[]): void {
  const self = tx.s.self;
  const succ = list[0];
  if (same(succ, self)) {
    if (succ.addr !== self.addr) return joinFailed(tx, `duplicate peer ID: ${self.id} is already held by ${succ.addr}`);
    // A member re-joining that finds itself is back in the ring already: nothing left to do.
    if (tx.s.phase !== 'joining') return;
    // The ring still lists a former incarnation of this peer: wait until it is declared gone.
    tx.log({ ev: 'bad-input', reason: 'the ring still lists this peer; retrying the join' });
    return retryJoinLater(tx, op);
  }
  const newcomer = tx.s.phase === 'joining';
  tx.set({ succs: successorList(self, list, tx.s.cfg.replicas) });
  if (newcomer) startTimers(tx);
  stabilizeNow(tx);
}

function retryJoinLater(tx: Tx, op: Op): void {
  const ops = new Map(tx.s.ops);
  ops.set(op.rid, { ...op, stage: 'wait', attempts: 1, deadline: tx.now + tx.s.cfg.pingInterval * tx.s.cfg.missLimit });
  tx.set({ ops });
}

export function joinFailed(tx: Tx, reason: string): void {
  tx.log({ ev: 'join-failed', reason });
  // A member re-joining after losing every neighbour keeps going alone; a newcomer gives up.
  if (tx.s.phase === 'joining') stop(tx, `join failed: ${reason}`);
}

function stop(tx: Tx, reason: string): void {
  failClientOps(tx, 'stopped');
  tx.set({ phase: 'stopped' });
  tx.effects.push({ kind: 'stopped', reason });
}

export function onStabilizeTimer(tx: Tx): void {
  tx.due('stabilize', tx.s.cfg.stabilizeInterval);
  if (stabilizes(tx.s)) stabilizeNow(tx);
}

function stabilizeNow(tx: Tx): void {
  const s = tx.s;
  const succ = s.succs[0];
  if (same(succ, s.self)) {
    // Alone (or believing so): a known predecessor is the way back into a larger ring; with
    // none, this peer is its own predecessor, as its rectify to itself would make it.
    if (s.pred === null) adoptPredecessor(tx, s.self);
    else if (!same(s.pred, s.self)) adoptSuccessors(tx, [s.pred, s.self]);
    return;
  }
  askState(tx, succ);
  tx.send(succ, rectify(tx, false));
}

/** Asks `p`, an entry of our successor list, for its predecessor and list (stabilize). */
function askState(tx: Tx, p: Peer): void {
  const rid = tx.rid();
  tx.set({ stabilizing: { rid, to: p } });
  tx.send(p, { t: 'get-state', rid });
}

/** Our rectify: `ready` says whether we hold all of our range (false asks for the hand-off). */
function rectify(tx: Tx, link: boolean): Msg {
  const s = tx.s;
  return { t: 'rectify', ready: isReady(s, tx.now), link };
}

/** A leaving peer answers as a non-member, so that nobody adopts it or its view any more. */
export function onGetState(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'get-state' }>): void {
  const s = tx.s;
  tx.send(from, { t: 'state', rid: msg.rid, member: s.phase === 'member', pred: s.pred, succs: s.succs });
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
  // (as its leave-notice would, had it known about us); a restarted one has none.
  if (!msg.member) {
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
 * Rebuilds the successor list from `candidates`, passing over peers this one declared gone:
 * others may still list them for a while (a stale predecessor, a stale list), and taking them
 * back would only lose another detection period. A re-probe answer takes one back (onPong).
 */
function adoptSuccessors(tx: Tx, candidates: readonly Peer[]): void {
  const s = tx.s;
  const live = s.lost.length === 0 ? candidates : candidates.filter((p) => !s.lost.some((l) => same(l.peer, p)));
  const list = successorList(s.self, live, s.cfg.replicas);
  if (list.length > 0) tx.set({ succs: list });
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
  if (tx.s.phase === 'leaving') {
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
  if (pred ? !inOpen(from, pred, s.self) : msg.link && s.pred === null) return;
  adoptPredecessor(tx, from);
  handOff(tx, from, pred);
}

/**
 * Takes `p` as predecessor. After the last one was declared gone, this peer takes its range over
 * as its replica: the new one is trusted to start it, announced or not (a primary that dies
 * before its first replication round has announced nothing; r = 1 has no replicas at all). Any
 * other predecessor widens nothing by itself (see coverage.ts).
 */
function adoptPredecessor(tx: Tx, p: Peer): void {
  const s = tx.s;
  tx.set({ pred: p, held: s.inherit ? farther(s.self, s.held, p) : s.held, inherit: false });
}

/** Periodic: count unanswered pings, declare silent neighbours gone, ping again. */
export function onPingTimer(tx: Tx): void {
  tx.due('ping', tx.s.cfg.pingInterval);
  if (!linked(tx.s)) return;
  const { missLimit } = tx.s.cfg;
  for (const w of tx.s.watch.values()) {
    if (!w.awaiting || w.failed) continue;
    if (nextMissIsLast(w, missLimit)) declareGone(tx, w.peer, 'missed-pings');
    else setWatch(tx, { ...w, misses: w.misses + 1 });
  }
  for (const w of tx.s.watch.values()) {
    setWatch(tx, { ...w, awaiting: true, failed: false });
    // The last ping before a peer is declared gone goes over the stream, which loses nothing:
    // datagram loss alone then never declares a live peer gone, at no cost in detection time.
    tx.send(w.peer, { t: 'ping', nonce: tx.rid() }, nextMissIsLast(w, missLimit) ? 'stream' : 'dgram');
  }
  const lost = tx.s.lost.filter((l) => l.until > tx.now);
  if (lost.length !== tx.s.lost.length) tx.set({ lost });
  for (const l of lost) tx.send(l.peer, { t: 'ping', nonce: tx.rid() }, 'dgram');
}

/** One more silent round, or failed send, and the watched peer is declared gone. */
export function nextMissIsLast(w: Watch, missLimit: number): boolean {
  return w.misses + 1 >= missLimit;
}

function setWatch(tx: Tx, w: Watch): void {
  const watch = new Map(tx.s.watch);
  watch.set(w.peer.id, w);
  tx.set({ watch });
}

/** Answers on the ping's own channel: a ping sent over the stream must not be lost on the way back. */
export function onPing(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'ping' }>, channel: Channel): void {
  tx.send(from, { t: 'pong', nonce: msg.nonce, member: tx.s.phase === 'member' }, channel);
}

export function onPong(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'pong' }>): void {
  const s = tx.s;
  if (!linked(s)) return;
  const w = s.watch.get(from.id);
  if (w) {
    if (msg.member) setWatch(tx, { ...w, misses: 0, awaiting: false, failed: false });
    return;
  }
  // A leaver takes nobody back: it would be taken back itself.
  if (!msg.member || s.phase === 'leaving' || !s.lost.some((l) => same(l.peer, from) && msg.nonce >= l.nonceFrom)) return;
  peerBack(tx, from, true);
}

/**
 * A peer we had given up on answers a re-probe, or rectifies us: a healed partition, after which
 * each side may be a whole ring of its own. Taking it back into the successor list where it
 * belongs, and offering ourselves as its predecessor unless it is our new successor, gives the
 * two rings a link across; stabilize and rectify then fold them into one. It goes back anywhere
 * in the list, not only as a closer head: the re-probing that found it ends here, so a list
 * that skipped it would have nothing left to find it by if the peers around it then depart.
 * Without the rectify, sides that each filled their own arc (a peer joined meanwhile between us
 * and the returning one) would never meet; and a rectify must count as the peer's return, or it
 * would end the re-probing that brings it back (and needs no link back: the peer that rectified
 * us has us as its successor already).
 */
function peerBack(tx: Tx, from: Peer, link: boolean): void {
  tx.set({ lost: tx.s.lost.filter((l) => !same(l.peer, from)) });
  tx.log({ ev: 'peer-back', peer: from });
  adoptSuccessors(tx, insertByDistance(tx.s.self, tx.s.succs, from));
  if (link && !same(tx.s.succs[0], from)) tx.send(from, rectify(tx, true));
}

/** Any sign of life from a watched peer counts as an answered ping. */
export function heardFrom(tx: Tx, from: Peer): void {
  const w = tx.s.watch.get(from.id);
  if (w && (w.awaiting || w.misses > 0)) setWatch(tx, { ...w, misses: 0, awaiting: false, failed: false });
}

/** `peer` is gone: drop it everywhere, fall back on what is left, remember it for re-probing. */
export function declareGone(tx: Tx, peer: Peer, how: 'missed-pings' | 'send-failed' | 'not-member'): void {
  const s = tx.s;
  if (same(peer, s.self)) return;
  const fingers = fingersWithout(s.fingers, peer);
  let succs = without(s.succs, peer);
  // Every successor gone (more failures than the list covers): fall back on the nearest peer
  // still known, else stand alone until a predecessor or a re-probe leads back to the ring.
  const nearest = succs.length === 0 ? nearestKnown({ ...s, fingers, succs: s.pred && !same(s.pred, peer) ? [s.pred] : [] }) : undefined;
  if (succs.length === 0) succs = [nearest ?? s.self];
  const watch = new Map(s.watch);
  watch.delete(peer.id);
  const wasPred = s.pred !== null && same(s.pred, peer);
  tx.set({ succs, fingers, watch, pred: wasPred ? null : s.pred, inherit: s.inherit || wasPred });
  markLost(tx, peer);
  tx.log({ ev: 'peer-gone', peer, how });
  onPeerGone(tx, peer);
  onPeerGoneFromStores(tx, peer.id);
  // Left knowing nobody (a joiner whose only successor went away): find the ring again.
  if (same(tx.s.succs[0], s.self) && tx.s.pred === null && s.bootstrap !== null) rejoin(tx, s.bootstrap);
  // The list refills from its new head at once, not a stabilize interval later: until then one
  // more failure, or a false alarm over a lossy link, could leave no live successor.
  else if (succs !== s.succs && stabilizes(s)) stabilizeNow(tx);
}

function rejoin(tx: Tx, via: string): void {
  for (const op of tx.s.ops.values()) if (op.purpose === 'join') return;
  startOp(tx, 'join', 0, tx.s.self, null, null, bootstrapPeer(tx.s, via));
}

/**
 * Remembers a peer as gone (declared so, or left): stale views that still list it are not
 * followed back to it, and it is re-probed for a while in case it was only cut off.
 */
function markLost(tx: Tx, peer: Peer): void {
  const s = tx.s;
  const entry = { peer, until: tx.now + s.cfg.lostTtl, nonceFrom: s.nextRid };
  tx.set({ lost: [...s.lost.filter((l) => !same(l.peer, peer)), entry].slice(-LOST_MAX) });
}

function nearestKnown(s: PeerState): Peer | undefined {
  const known = closestPreceding(s, s.self, s.fingers.slots.length + 1);
  return known[known.length - 1];
}

/** Keeps the watch set equal to successors and predecessor, preserving counts of those kept. */
export function refreshWatch(tx: Tx): void {
  const s = tx.s;
  const pred = otherPred(s);
  const wanted: Peer[] = pred ? [...s.succs, pred] : [...s.succs];
  const watch = new Map<string, Watch>();
  for (const p of wanted) {
    if (same(p, s.self) || watch.has(p.id)) continue;
    watch.set(p.id, s.watch.get(p.id) ?? { peer: p, misses: 0, awaiting: false, failed: false });
  }
  tx.set({ watch });
}

/** Log successor and predecessor changes made during this step, and re-aim the pings. */
export function noteNeighbours(tx: Tx): void {
  const before = tx.base;
  const after = tx.s;
  if (before.succs === after.succs && before.pred === after.pred) return;
  const was = before.succs[0] ?? null;
  const now = after.succs[0] ?? null;
  if (!samePeer(was, now)) tx.log({ ev: 'successor', succ: now, was });
  if (!samePeer(before.pred, after.pred)) {
    tx.log({ ev: 'predecessor', pred: after.pred, was: before.pred });
    tx.set({ predSince: tx.now });
  }
  if (linked(after)) refreshWatch(tx);
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
  if (s.pred === null || s.phase !== 'member' || reaches(s.held, s.pred, s.self)) return;
  const settled = tx.now - s.predSince >= settleTime(s.cfg);
  if (isReady(s, tx.now) || settled) tx.set({ held: same(s.pred, s.self) ? s.self : s.pred });
}

/** The predecessor, unless there is none or it is this peer itself (a ring of one). */
function otherPred(s: PeerState): Peer | null {
  return s.pred && !same(s.pred, s.self) ? s.pred : null;
}

function samePeer(a: Peer | null, b: Peer | null): boolean {
  return a === b || (a !== null && b !== null && same(a, b));
}

/**
 * Graceful leave: records and predecessor to the successor, successors to the predecessor. A
 * successor that does not acknowledge in time is passed over for the next one, so that records
 * are not dropped because one neighbour is unreachable; the predecessor is the last heir, since
 * with every successor cut off it is the only peer left that can keep the records (its sweep
 * then offers them to their primary).
 */
export function leave(tx: Tx, clientRid: number): void {
  const s = tx.s;
  if (s.phase !== 'member') return tx.reply(clientRid, { ok: false, op: 'leave', error: 'not-member', hops: 0 });
  const pred = otherPred(s);
  const succs = s.succs.filter((p) => !same(p, s.self));
  const heirs = pred && !succs.some((p) => same(p, pred)) ? [...succs, pred] : succs;
  const rid = tx.rid();
  // The predecessor acknowledges the notice and, as an heir, the records: apart by their rids.
  let noticeRid = 0;
  const noticed = pred !== null && !same(pred, heirs[0]) ? { to: pred, succs: s.succs } : null;
  if (noticed !== null) {
    noticeRid = tx.rid();
    tx.send(noticed.to, { t: 'leave-notice', rid: noticeRid, succs: noticed.succs });
  }
  tx.set({ phase: 'leaving', leaving: { rid, noticeRid, noticed, clientRid, heirs, heir: 0, round: 1, deadline: Infinity, heirAcked: false, predAcked: noticed === null, noticeResends: 0, noticeGivenUp: false, kept: null } });
  if (heirs.length === 0) finishLeave(tx);
  else handTo(tx, 0);
}

/** Hands everything to `heirs[at]`; its acknowledgement, or the leave's deadline, comes next. */
function handTo(tx: Tx, at: number): void {
  const s = tx.s;
  const l = s.leaving as Leaving;
  const heir = l.heirs[at];
  const records = [...s.records.values()];
  tx.set({ leaving: { ...l, heir: at, deadline: tx.now + timeoutFor(s.cfg, records.reduce((n, r) => n + r.value.length, 0), 2) } });
  const pred = otherPred(s);
  const from = leaveVouch(s, heir, tx.now);
  sendRecords(tx, heir, records, (batch) => ({ t: 'leave', rid: l.rid, pred, records: batch, from }));
  if (records.length > 0) tx.log({ ev: 'records-moved', to: heir, count: records.length, why: 'leave' });
}

/**
 * Every hand-over carries all the records, so an acknowledgement from any heir, even one passed
 * over because it answered late, means they are safe.
 */
export function onLeaveAck(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'leave-ack' }>): void {
  const l = tx.s.leaving;
  if (!l) return;
  if (msg.rid === l.rid && l.heirs.some((p) => same(p, from))) tx.set({ leaving: { ...l, heirAcked: true } });
  else if (msg.rid === l.noticeRid && l.noticed !== null && same(l.noticed.to, from)) tx.set({ leaving: { ...l, predAcked: true } });
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
  const l = tx.s.leaving;
  if (!l || tx.s.phase !== 'leaving') return;
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
    return tx.set({ leaving: { ...l, heir: -1, round: l.round + 1, deadline: tx.now + Math.min(tx.s.cfg.rpcTimeout, tx.s.cfg.pingInterval) } });
  }
  finishLeave(tx);
}

/**
 * The notice to the predecessor could not be sent: a connection fails for a moment, so it is
 * sent again, opAttempts times in all. After that the predecessor learns of the leave as of a
 * crash (the reply says so: with r = 1 it is left with no successor until it notices).
 */
export function onLeaveNoticeFailed(tx: Tx, rid: number): void {
  const l = tx.s.leaving;
  if (!l || l.kept !== null || l.predAcked || rid !== l.noticeRid) return;
  if (noticeAgain(tx)) return;
  tx.set({ leaving: { ...l, noticeGivenUp: true } });
  afterLeaveProgress(tx);
}

/**
 * The heir has the records and the leave's deadline passed: the predecessor's answer is still
 * missing (lost, or the notice is on its way across a partition). The notice goes again at each
 * deadline, opAttempts rounds in all; then the leave ends, the predecessor untold.
 */
function awaitNotice(tx: Tx): void {
  const l = tx.s.leaving as Leaving;
  if (l.predAcked || !noticeAgain(tx)) return finishLeave(tx);
  tx.set({ leaving: { ...(tx.s.leaving as Leaving), deadline: tx.now + timeoutFor(tx.s.cfg, 0, 2) } });
}

/** Sends the notice once more, unless it has gone opAttempts times; whether it went. */
function noticeAgain(tx: Tx): boolean {
  const l = tx.s.leaving as Leaving;
  if (l.noticed === null || l.noticeResends + 1 >= tx.s.cfg.opAttempts) return false;
  tx.set({ leaving: { ...l, noticeResends: l.noticeResends + 1 } });
  tx.send(l.noticed.to, { t: 'leave-notice', rid: l.noticeRid, succs: l.noticed.succs });
  return true;
}

function afterLeaveProgress(tx: Tx): void {
  const l = tx.s.leaving;
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
  const l = tx.s.leaving;
  if (!l || tx.s.phase !== 'leaving' || l.kept !== null) return;
  const kept = l.heirAcked ? 0 : tx.s.records.size;
  tx.set({ leaving: { ...l, kept, deadline: tx.now + tx.s.cfg.stabilizeInterval + tx.s.cfg.rpcTimeout } });
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
  const count = mergeRecords(tx, msg.records);
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
  onPeerGone(tx, gone);
  onPeerGoneFromStores(tx, gone.id);
}
