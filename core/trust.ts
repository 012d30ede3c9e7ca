/**
 * Whom a peer takes records from. The transport says who sent a message (an authenticated
 * connection, or a claim proven by a round trip), but on an open ring anyone can be someone: a
 * peer that has proven its own address is still a stranger to this one. Records change what a
 * peer serves, so each kind of message that carries them is taken only from a peer with a reason
 * to send it, by this peer's own view:
 * - a store's copy (replicate, rid > 0): from our predecessor, or from a primary that announced a
 *   range holding the key (its replicas hear its digests every round);
 * - an unanswered copy (replicate, rid 0): the answer to a `want` sent to that peer for that key,
 *   or a store's copy passed on by a successor (storage.ts, onReplicate);
 * - a hand-off: from a listed successor (it accepts us as its predecessor);
 * - a leave: from a neighbour, one we still re-probe after declaring it gone (a leaver cut off
 *   by a partition for longer than failure detection, whose leave arrives after the heal), or a
 *   primary we replicate for (a leaver's later heirs).
 * A peer between us and a neighbour is not taken for one, although a rectify would make it so:
 * the fuzzer's strangers (sim/ops.ts, forge) found that a peer back from a partition, its view
 * of the ring still stale, counts most of the ring as "between". Left open: a stranger that
 * announces a range in a digest is believed, as is one that offers a primary a newer version in
 * a digest (the sweep's path), and one that rectifies its way in; a ring key closes all three.
 */
import { inOpenClosed, same } from './id';
import { rangeTtl } from './coverage';
import { listed } from './ring';
import type { Announced, Key, Peer, PeerState } from './types';

const isPred = (s: PeerState, from: Peer): boolean => s.pred !== null && same(s.pred, from);

/** `from`'s announced range, if still within its time. */
function announced(s: PeerState, from: Peer, now: number): Announced | null {
  const a = s.ranges.get(from.id);
  return a !== undefined && now - a.at <= rangeTtl(s) ? a : null;
}

export function takesStoreCopy(s: PeerState, from: Peer, key: Key, now: number): boolean {
  const a = announced(s, from, now);
  return isPred(s, from) || (a !== null && inOpenClosed(key, a.from, from));
}

export function takesUnansweredCopy(s: PeerState, from: Peer, key: Key, now: number): boolean {
  const w = s.wanted.get(key.name);
  return (w !== undefined && w.peer === from.id && now <= w.until) || listed(s.succs, from);
}

export function takesHandoff(s: PeerState, from: Peer): boolean {
  return listed(s.succs, from);
}

export function takesLeave(s: PeerState, from: Peer, now: number): boolean {
  return isPred(s, from) || listed(s.succs, from) || s.lost.some((l) => same(l.peer, from)) || announced(s, from, now) !== null;
}
