/** Ring geometry over what one peer knows: successor lists, routing candidates, responsibility. */
import { cmp, inOpen, inOpenClosed, inOpenOf, same, type Point } from './id';
import type { Peer, PeerState } from './types';

/**
 * The successor list `self` derives from `candidates` (typically [successor, ...its list]):
 * entries in strictly increasing clockwise distance from self, ending at self if the ring
 * wraps (a ring smaller than r), at most r long. An out-of-order entry ends the list, which is
 * what keeps OrderedSuccessorLists and NoDuplicates true whatever a stale reply says.
 */
export function successorList(self: Peer, candidates: readonly Peer[], r: number): Peer[] {
  const list: Peer[] = [];
  for (const c of candidates) {
    if (list.length === r) break;
    if (same(c, self)) {
      list.push(self);
      break;
    }
    if (list.length > 0 && !inOpen(c, list[list.length - 1], self)) break;
    list.push(c);
  }
  return list;
}

/**
 * `list` (a successor list of `self`) with `p` put where its clockwise distance from self
 * places it; unchanged if p is in it already.
 */
export function insertByDistance(self: Peer, list: readonly Peer[], p: Peer): readonly Peer[] {
  if (listed(list, p)) return list;
  const at = list.findIndex((q) => same(q, self) || inOpen(p, self, q));
  return at < 0 ? [...list, p] : [...list.slice(0, at), p, ...list.slice(at)];
}

/** Whether `s` is primary for `key`: it has a predecessor and key is in (pred, self]. */
export function isPrimary(s: PeerState, key: Point): boolean {
  return s.pred !== null && inOpenClosed(key, s.pred, s.self);
}

/** Whether the successor list answers a lookup for `target` (target in (self, succ]). */
export function successorAnswers(s: PeerState, target: Point): boolean {
  return s.succs.length > 0 && inOpenClosed(target, s.self, s.succs[0]);
}

/**
 * Up to `max` distinct known peers strictly between self and `target`, closest to the target
 * first: where a lookup goes next, and where it falls back to when a hop times out.
 */
export function closestPreceding(s: PeerState, target: Point, max: number): Peer[] {
  // Kept ordered, closest to the target (farthest clockwise from self) first; max is tiny.
  // Every lookup hop runs this over all distinct fingers, so the interval's orientation is
  // worked out once here rather than once per candidate.
  const best: Peer[] = [];
  const toTarget = cmp(s.self, target);
  for (const f of s.fingers.distinct) consider(best, max, s.self, target, toTarget, f);
  for (const p of s.succs) consider(best, max, s.self, target, toTarget, p);
  return best;
}

/**
 * Puts `p` in its place in `best` if it is between self and target and among the `max` closest
 * to it. `toTarget` is cmp(self, target).
 */
function consider(best: Peer[], max: number, self: Point, target: Point, toTarget: number, p: Peer): void {
  if (!inOpenOf(p, self, target, toTarget)) return;
  const toP = cmp(self, p);
  let at = best.length;
  for (let i = 0; i < best.length; i++) {
    if (same(best[i], p)) return;
    if (at === best.length && inOpenOf(best[i], self, p, toP)) at = i;
  }
  if (at >= max) return;
  best.splice(at, 0, p);
  if (best.length > max) best.pop();
}

/** Whether `p` is in `list`. */
export function listed(list: readonly Point[], p: Point): boolean {
  for (const q of list) if (same(q, p)) return true;
  return false;
}

export function without(list: readonly Peer[], gone: Point): readonly Peer[] {
  for (const p of list) if (same(p, gone)) return list.filter((q) => !same(q, gone));
  return list;
}
