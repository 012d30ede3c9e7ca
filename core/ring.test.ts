import test from 'ava';
import fc from 'fast-check';
import { defaultConfig } from './config';
import { pointOfBigInt } from './id';
import { fingerTable } from './fingers';
import { closestPreceding, successorList } from './ring';
import { initState } from './step';
import type { Peer } from './types';

const peer = (n: number): Peer => ({ ...pointOfBigInt(BigInt(n), 8), addr: `p${n}` });
const ids = (ps: readonly Peer[]) => ps.map((p) => parseInt(p.id, 16));

test('a successor list is ordered from self, stops at self, and is at most r long', (t) => {
  t.deepEqual(ids(successorList(peer(5), [8, 9, 14, 19].map(peer), 3)), [8, 9, 14]);
  t.deepEqual(ids(successorList(peer(5), [8, 5, 9].map(peer), 3)), [8, 5]);
  t.deepEqual(ids(successorList(peer(5), [8, 19, 9].map(peer), 3)), [8, 19]);
  t.deepEqual(ids(successorList(peer(250), [2, 4, 5].map(peer), 3)), [2, 4, 5]);
  t.deepEqual(ids(successorList(peer(5), [8, 8].map(peer), 3)), [8]);
  t.deepEqual(ids(successorList(peer(5), [5].map(peer), 3)), [5]);
});

test('closestPreceding gives the known peers strictly between self and the target, closest to the target first, at most max', (t) => {
  const cfg = defaultConfig(8, 3);
  fc.assert(
    fc.property(
      fc.nat({ max: 255 }),
      fc.nat({ max: 255 }),
      fc.array(fc.option(fc.nat({ max: 255 }), { nil: null }), { minLength: 8, maxLength: 8 }),
      fc.array(fc.nat({ max: 255 }), { maxLength: 4 }),
      fc.integer({ min: 1, max: 5 }),
      (self, target, fingers, succs, max) => {
        const s = { ...initState(cfg, peer(self)), fingers: fingerTable(fingers.map((f) => (f === null ? null : peer(f)))), succs: succs.map(peer) };
        // Reference: distances measured clockwise from self, in plain integers.
        const dist = (n: number) => (n - self + 256) % 256;
        const span = dist(target) === 0 ? 256 : dist(target);
        const known = [...new Set([...fingers.filter((f): f is number => f !== null), ...succs])];
        const expected = known.filter((n) => dist(n) > 0 && dist(n) < span).sort((a, b) => dist(b) - dist(a)).slice(0, max);
        t.deepEqual(ids(closestPreceding(s, peer(target), max)), expected);
      },
    ),
    { numRuns: 2000 },
  );
});
