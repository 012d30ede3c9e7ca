/**
 * Routing efficiency at rest. On the ideal ring every peer knows the same peers (its fingers and
 * r successors), so an iterative lookup's path is fully determined: each hop asks the known peer
 * closest before the target, until the asked peer's successor is the target's. That path is
 * Chord's O(log N) route; a lookup that takes any other number of hops routes through the wrong
 * peers, which the data checks alone cannot see (a lookup that walks successors one by one still
 * finds every record).
 */
import { decimalOf, fingerStart, inOpen, inOpenClosed, type Point } from '../core/id';
import type { Key } from '../core/types';
import { Findings, participants, successorIndex, type Finding, type PeerView } from './invariants';

/** One lookup made at rest: the peer asked by the client, the key, and the hops it reported. */
export interface Route {
  readonly op: 'put' | 'get';
  readonly peer: string;
  readonly key: Key;
  readonly hops: number;
}

/**
 * Hops of the greedy route from `ring[from]` to `target` on the ideal ring `ring` (sorted):
 * none when the asking peer is the target's primary (it serves the key itself) or its
 * successor is.
 */
export function idealHops(ring: readonly Point[], from: number, target: Point, bits: number, replicas: number): number {
  const n = ring.length;
  if (successorIndex(ring, target) === from) return 0;
  let at = from;
  let hops = 0;
  while (!inOpenClosed(target, ring[at], ring[(at + 1) % n])) {
    at = closestKnown(ring, at, target, bits, replicas);
    hops++;
  }
  return hops;
}

/** Index of the peer that `ring[at]`, with ideal fingers and successors, knows closest before `target`. */
function closestKnown(ring: readonly Point[], at: number, target: Point, bits: number, replicas: number): number {
  const self = ring[at];
  const known: number[] = [];
  for (let k = 0; k < bits; k++) known.push(successorIndex(ring, fingerStart(self, k, bits)));
  for (let j = 1; j <= Math.min(replicas, ring.length - 1); j++) known.push((at + j) % ring.length);
  let best = -1;
  for (const i of known) {
    if (!inOpen(ring[i], self, target)) continue;
    if (best === -1 || inOpen(ring[best], self, ring[i])) best = i;
  }
  // The successor precedes the target whenever the loop above runs, so best is always found.
  return best;
}

/** Every lookup made at rest that took other than the ideal ring's greedy route. */
export function routingViolations(peers: readonly PeerView[], routes: readonly Route[]): Finding[] {
  const ring = participants(peers).map((v) => v.state);
  const out = new Findings();
  if (ring.length === 0) return out.list;
  const selves = ring.map((s) => s.self);
  const { bits, replicas } = ring[0].cfg;
  const index = new Map(selves.map((p, i) => [p.id, i]));
  for (const r of routes) {
    const from = index.get(r.peer);
    if (from === undefined) continue;
    const ideal = idealHops(selves, from, r.key, bits, replicas);
    if (r.hops !== ideal) {
      out.add('Routing', 'not-greedy', `${r.op} of "${r.key.name}" through peer ${decimalOf(selves[from])} took ${r.hops} hops; the greedy route on the ideal ring takes ${ideal}`);
    }
  }
  return out.list;
}
