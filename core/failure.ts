/**
 * Failure detection: successors and predecessor are pinged each round, and a neighbour is
 * declared gone at its missLimit-th silent round or failed send (one path counts both). What
 * follows a death (lookups and stores moving on, the list refilled, a re-join) is each rule's
 * reaction to the peer-gone event this raises.
 */
import { fingersWithout } from './fingers';
import { same } from './id';
import { closestPreceding, without } from './ring';
import { linked, stabilizes } from './neighbours';
import { markLost, onReprobeAnswer, reprobeLost } from './reprobe';
import type { Tx } from './tx';
import type { Channel, GoneHow, Msg, Peer, PeerState, Watch } from './types';

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
  const watch = new Map<string, Watch>();
  for (const w of tx.s.watch.values()) {
    watch.set(w.peer.id, { ...w, awaiting: true, failed: false });
    // The last ping before a peer is declared gone goes over the stream, which loses nothing:
    // datagram loss alone then never declares a live peer gone, at no cost in detection time.
    tx.send(w.peer, { t: 'ping', nonce: tx.rid() }, nextMissIsLast(w, missLimit) ? 'stream' : 'dgram');
  }
  tx.set({ watch });
  reprobeLost(tx);
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
  tx.send(from, { t: 'pong', nonce: msg.nonce, member: tx.s.phase.name === 'member' }, channel);
}

export function onPong(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'pong' }>): void {
  const s = tx.s;
  if (!linked(s)) return;
  const w = s.watch.get(from.id);
  if (!w) return onReprobeAnswer(tx, from, msg);
  if (msg.member) setWatch(tx, { ...w, misses: 0, awaiting: false, failed: false });
}

/**
 * A stream send to `to` failed (connection refused or reset): it counts as this ping round's
 * miss at once. Counting at most one miss a round keeps a burst of failures on one connection
 * from declaring a live peer gone faster than missed pings could. Whether this was the first
 * failure of the round to a neighbour still watched (so that what failed may be sent again once).
 */
export function countFailedSend(tx: Tx, to: Peer): boolean {
  const w = tx.s.watch.get(to.id);
  if (!w || w.failed) return false;
  if (nextMissIsLast(w, tx.s.cfg.missLimit)) declareGone(tx, w.peer, 'send-failed');
  else setWatch(tx, { ...w, misses: w.misses + 1, awaiting: true, failed: true });
  return tx.s.watch.has(to.id);
}

/** Any sign of life from a watched peer counts as an answered ping. */
export function heardFrom(tx: Tx, from: Peer): void {
  const w = tx.s.watch.get(from.id);
  if (w && (w.awaiting || w.misses > 0)) setWatch(tx, { ...w, misses: 0, awaiting: false, failed: false });
}

/**
 * `peer` is gone: drop it from the neighbours and fingers, fall back on what is left, remember
 * it for re-probing. The list is refilled from its new head at once, not a stabilize interval
 * later (`refill`): until then one more failure, or a false alarm over a lossy link, could
 * leave no live successor.
 */
export function declareGone(tx: Tx, peer: Peer, how: Exclude<GoneHow, 'left'>): void {
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
  tx.peerGone({ peer, how, refill: succs !== s.succs && stabilizes(s) });
}

function nearestKnown(s: PeerState): Peer | undefined {
  const known = closestPreceding(s, s.self, s.fingers.slots.length + 1);
  return known[known.length - 1];
}
