import test from 'ava';
import fc from 'fast-check';
import { defaultConfig } from '../core/config';
import { pointOfBigInt } from '../core/id';
import { MEMBER } from '../core/phase';
import { initState } from '../core/step';
import type { Key, Peer } from '../core/types';
import type { PeerView } from './invariants';
import { idealHops, routingViolations, type Route } from './routing';

const BITS = 8;
const SPACE = 2 ** BITS;
const point = (n: number) => pointOfBigInt(BigInt(n), BITS);
const peer = (n: number): Peer => ({ ...point(n), addr: `p${n}` });
const key = (name: string, n: number): Key => ({ ...point(n), name });

/** Plain-number oracle of the greedy route, independent of core/id and of sim/invariants. */
function oracleHops(ids: readonly number[], from: number, target: number, r: number): number {
  const dist = (a: number, b: number) => (b - a + SPACE) % SPACE;
  const succOf = (x: number) => ids.find((id) => id >= x) ?? ids[0];
  if (succOf(target) === ids[from]) return 0;
  let at = from;
  let hops = 0;
  for (;;) {
    const cur = ids[at];
    const next = ids[(at + 1) % ids.length];
    const d = dist(cur, target);
    if (next === cur || (d > 0 && d <= dist(cur, next))) return hops;
    const known = Array.from({ length: BITS }, (_, k) => succOf((cur + 2 ** k) % SPACE));
    for (let j = 1; j <= Math.min(r, ids.length - 1); j++) known.push(ids[(at + j) % ids.length]);
    const best = known.filter((p) => dist(cur, p) > 0 && dist(cur, p) < d).reduce((a, b) => (dist(cur, b) > dist(cur, a) ? b : a));
    at = ids.indexOf(best);
    hops++;
  }
}

test('the greedy route takes the farthest finger or successor before the target at each hop', (t) => {
  const ids = [0, 32, 64, 96, 128, 160, 192, 224];
  const ring = ids.map(point);
  // 0 knows 32, 64, 96 and 128; 128 knows 192; 192's successor holds 200.
  t.is(idealHops(ring, 0, point(200), BITS, 3), 2);
  t.is(idealHops(ring, 0, point(10), BITS, 3), 0, 'the successor answers');
  t.is(idealHops(ring, 1, point(20), BITS, 3), 0, 'the asking peer is primary');
  t.is(idealHops(ring, 1, point(100), BITS, 3), 1, 'one hop, to the predecessor of the primary');
  t.is(idealHops([point(9)], 0, point(200), BITS, 3), 0, 'a lone peer holds everything');
});

test('the greedy route agrees with a plain-number oracle on random rings', (t) => {
  const ringArb = fc.uniqueArray(fc.integer({ min: 0, max: SPACE - 1 }), { minLength: 1, maxLength: 40 }).map((a) => [...a].sort((x, y) => x - y));
  fc.assert(fc.property(ringArb, fc.nat(), fc.integer({ min: 0, max: SPACE - 1 }), fc.integer({ min: 1, max: 4 }), (ids, pick, target, r) => {
    const from = pick % ids.length;
    return idealHops(ids.map(point), from, point(target), BITS, r) === oracleHops(ids, from, target, r);
  }));
  t.pass();
});

test('a lookup that took other than the greedy route is reported, one that took it is not', (t) => {
  const ids = [0, 32, 64, 96, 128, 160, 192, 224];
  const cfg = defaultConfig(BITS, 3);
  const views: PeerView[] = ids.map((n, i) => ({
    alive: true,
    state: { ...initState(cfg, peer(n)), phase: MEMBER, succs: [peer(ids[(i + 1) % ids.length])] },
  }));
  const routes: Route[] = [
    { op: 'get', peer: point(0).id, key: key('far', 200), hops: 2 },
    { op: 'put', peer: point(32).id, key: key('near', 20), hops: 0 },
  ];
  t.deepEqual(routingViolations(views, routes), []);
  const slow = routingViolations(views, [...routes, { op: 'put', peer: point(0).id, key: key('slow', 200), hops: 5 }]);
  t.is(slow.length, 1);
  t.is(slow[0].invariant, 'Routing');
  t.regex(slow[0].detail, /put of "slow" through peer 0 took 5 hops; the greedy route on the ideal ring takes 2/);
});
