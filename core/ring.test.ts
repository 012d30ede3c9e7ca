import test from 'ava';
import { pointOfBigInt } from './id';
import { successorList } from './ring';
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
