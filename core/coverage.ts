/**
 * What a peer holds, and so may answer for. Being the primary of a key (key in (pred, self]) is
 * not enough to answer "not found" or to number a write: the peer must also hold every record
 * acknowledged in that range. It knows that of an arc ending at itself, (lower, self]:
 *
 * - `held`: the range someone vouched for when handing it over (a successor's hand-off, a
 *   leaving predecessor's records), or that a new ring started empty with;
 * - extended back over the ranges its predecessors announce with their digests (`ranges`): a
 *   replica of a primary receives every write it acknowledges, so when that primary dies its
 *   successor takes its range over at once, with nothing to wait for or to fetch;
 * - after its predecessor is declared gone, out to the next predecessor it adopts, announced or
 *   not (neighbours.ts, adoptPredecessor): the successor takes the dead one's range over.
 *
 * A predecessor pointer alone never widens what a peer answers for: a stale rectify, or one that
 * links two rings after a partition, may name a predecessor far back across peers this one knows
 * nothing of, and answering for their keys would answer "not found" for records they hold.
 */
import { inOpen, inOpenClosed, same, type Point } from './id';
import type { PeerState } from './types';

/** How long an announced range counts: a replica hears a fresh one every replication round. */
export function rangeTtl(s: PeerState): number {
  return 3 * s.cfg.replicateInterval;
}

/**
 * The lower end of the arc (lower, self] this peer holds everything of: null when it holds
 * nothing for sure, self when it holds the whole ring. Announced ranges chain back from `held`
 * over at most r - 1 predecessors (the ones it is a replica of).
 */
export function coverLower(s: PeerState, now: number): Point | null {
  let lower = s.held;
  for (let i = 1; lower !== null && i < s.cfg.replicas && !same(lower, s.self); i++) {
    const a = s.ranges.get(lower.id);
    // Only an announcement reaching farther back extends the arc (a stale one may not).
    if (a === undefined || now - a.at > rangeTtl(s) || !(same(a.from, s.self) || inOpen(lower, a.from, s.self))) break;
    lower = a.from;
  }
  return lower;
}

/** Whether `key` lies in the arc (lower, self]: self is the whole ring, null none. */
export function within(key: Point, lower: Point | null, self: Point): boolean {
  return lower !== null && (same(lower, self) || inOpenClosed(key, lower, self));
}

/** Whether this peer holds every record acknowledged at `key`. */
export function covers(s: PeerState, key: Point, now: number): boolean {
  return within(key, coverLower(s, now), s.self);
}

/** Holds the whole of its primary range (pred, self]: it may answer for every key it is primary for. */
export function isReady(s: PeerState, now: number): boolean {
  if (s.pred === null) return false;
  const lower = coverLower(s, now);
  if (lower === null) return false;
  return reaches(lower, s.pred, s.self);
}

/**
 * The lower end of what this peer serves, (lower, self] within its primary range: its
 * predecessor when ready, the end of what it holds when not (null: it serves nothing).
 */
export function servedLower(s: PeerState, now: number): Point | null {
  if (s.pred === null) return null;
  if (isReady(s, now)) return same(s.pred, s.self) ? s.self : s.pred;
  // Not ready, so what it holds is an arc short of the predecessor (or nothing).
  return coverLower(s, now);
}

/**
 * The lower end of the range this peer can vouch for when it hands `to` the keys up to `to`:
 * (from, to] must lie in what it holds, and goes no further back than where `to`'s range begins
 * (`start`, our predecessor before `to`, when known). Null: it can vouch for nothing. Holding the
 * whole ring with `start` unknown, it vouches for all but its own remaining range: (self, to].
 */
export function vouchFor(s: PeerState, to: Point, start: Point | null, now: number): Point | null {
  const lower = coverLower(s, now);
  if (lower === null) return null;
  const whole = same(lower, s.self);
  if (!whole && !inOpen(to, lower, s.self)) return null;
  if (start !== null && !same(start, to) && (whole || same(start, lower) || inOpen(start, lower, to))) return start;
  return whole ? s.self : lower;
}

/** Whether the arc (held, self] takes in all of (p, self]. */
export function reaches(held: Point | null, p: Point, self: Point): boolean {
  if (held === null) return false;
  if (same(held, self)) return true;
  return !same(p, self) && (same(held, p) || inOpen(p, held, self));
}

/**
 * Joins two vouched arcs ending at self: the one reaching farther back. `from` may be self
 * (the whole ring).
 */
export function farther(self: Point, held: Point | null, from: Point | null): Point | null {
  if (from === null) return held;
  if (held === null || same(from, self)) return from;
  if (same(held, self)) return held;
  return inOpen(held, from, self) ? from : held;
}
