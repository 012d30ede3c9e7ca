/**
 * Whom a peer takes records from. The transport says who sent a message (an authenticated
 * connection, or a claim proven by a round trip), but on an open ring anyone can be someone: a
 * peer that has proven its own address is still a stranger to this one. Records change what a
 * peer serves, so each kind of message that carries them is taken only from a peer with a reason
 * to send it, by this peer's own view. A neighbour here is also a peer this one would adopt as
 * one, as Chord's rectify and stabilize do: one between it and its predecessor (or any, while it
 * has none) or between it and its successor. Refusing those would refuse a leaver its neighbours
 * had declared gone during a partition, and they are a rectify away from being neighbours anyway.
 * - a store's copy (replicate, rid > 0): from a predecessor, or from a primary that announced a
 *   range holding the key (its replicas hear its digests every round);
 * - an unanswered copy (replicate, rid 0): the answer to a `want` sent to that peer for that
 *   key, or a store's copy passed on by a successor (storage.ts, onReplicate);
 * - a hand-off: from a successor (it accepts us as its predecessor);
 * - a leave: from either neighbour (one whose successors are unreachable names us its last
 *   heir) or a primary we replicate for (a leaver's later heirs).
 * Left open: a stranger that announces a range in a digest is believed, as is one that offers a
 * primary a newer version in a digest (the sweep's path); a ring key closes both.
 */
import { inOpen, inOpenClosed, same } from './id';
import { rangeTtl } from './coverage';
import { listed } from './ring';
import type { Key, Peer, PeerState } from './types';

function asPredecessor(s: PeerState, from: Peer): boolean {
  return s.pred === null || same(s.pred, from) || inOpen(from, s.pred, s.self);
}

function asSuccessor(s: PeerState, from: Peer): boolean {
  return listed(s.succs, from) || (s.succs.length > 0 && inOpen(from, s.self, s.succs[0]));
}

/** `from` announced, within its time, a range (lower, from] that holds `key`. */
function announcedFor(s: PeerState, from: Peer, key: Key, now: number): boolean {
  const a = s.ranges.get(from.id);
  return a !== undefined && now - a.at <= rangeTtl(s) && inOpenClosed(key, a.from, from);
}

/** `from` announced any range still within its time: it names us one of its replicas. */
function replicaOf(s: PeerState, from: Peer, now: number): boolean {
  const a = s.ranges.get(from.id);
  return a !== undefined && now - a.at <= rangeTtl(s);
}

export function takesStoreCopy(s: PeerState, from: Peer, key: Key, now: number): boolean {
  return asPredecessor(s, from) || announcedFor(s, from, key, now);
}

export function takesUnansweredCopy(s: PeerState, from: Peer, key: Key, now: number): boolean {
  const w = s.wanted.get(key.name);
  return (w !== undefined && w.peer === from.id && now <= w.until) || asSuccessor(s, from);
}

export function takesHandoff(s: PeerState, from: Peer): boolean {
  return asSuccessor(s, from);
}

export function takesLeave(s: PeerState, from: Peer, now: number): boolean {
  return asPredecessor(s, from) || asSuccessor(s, from) || replicaOf(s, from, now);
}
