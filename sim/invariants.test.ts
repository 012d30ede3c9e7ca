import test from 'ava';
import { fingerTable } from '../core/fingers';
import { initState } from '../core/step';
import { defaultConfig } from '../core/config';
import { pointOfBigInt } from '../core/id';
import { Records } from '../core/records';
import { leavingWith } from '../core/phase';
import type { Config, Key, Leaving, Peer, PeerState, PhaseName, Rec } from '../core/types';
import {
  type Acked,
  type Finding,
  type PeerView,
  MAX_FINDINGS,
  idealRingViolations,
  participants,
  replicaViolations,
  safetyViolations,
  successorIndex,
} from './invariants';

const BITS = 8;
const SEED_RING = [2, 4, 5, 8, 9, 14, 19];

function peer(n: number): Peer {
  const p = pointOfBigInt(BigInt(n), BITS);
  return { ...p, addr: p.id };
}

function key(name: string, n: number): Key {
  return { ...pointOfBigInt(BigInt(n), BITS), name };
}

function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function rec(name: string, at: number, value: string): Rec {
  return { key: key(name, at), value: bytes(value), version: 1, writer: 'w' };
}

interface Shape {
  readonly succs: readonly number[];
  readonly pred?: number | null;
  readonly fingers?: readonly (number | null)[];
  readonly records?: readonly Rec[];
  readonly phase?: PhaseName;
}

/** A leave just begun, with nobody to hand to: what a leaving peer's shape needs. */
const LEAVE: Leaving = { rid: 1, noticeRid: 0, noticed: null, clientRid: 1, heirs: [], heir: 0, round: 1, deadline: Infinity, heirAcked: false, predAcked: true, noticeResends: 0, noticeGivenUp: false, kept: null };

function state(cfg: Config, self: number, shape: Shape): PeerState {
  return {
    ...initState(cfg, peer(self)),
    phase: shape.phase === 'leaving' ? leavingWith(LEAVE) : { name: shape.phase ?? 'member' },
    held: peer(self),
    succs: shape.succs.map(peer),
    pred: shape.pred === undefined || shape.pred === null ? null : peer(shape.pred),
    fingers: fingerTable((shape.fingers ?? Array<null>(cfg.bits).fill(null)).map((f) => (f === null ? null : peer(f)))),
    records: Records.empty.merge(shape.records ?? [], () => true).records,
  };
}

function view(cfg: Config, self: number, shape: Shape, alive = true): PeerView {
  return { state: state(cfg, self, shape), alive };
}

/** First of `ids` (ascending) at or after `x` clockwise: plain-number oracle, independent of core/id. */
function succOf(ids: readonly number[], x: number): number {
  return ids.find((id) => id >= x) ?? ids[0];
}

/** The ideal ring over `ids` (ascending), computed with plain numbers. */
function idealShape(ids: readonly number[], r: number, self: number, records: readonly Rec[] = []): Shape {
  const i = ids.indexOf(self);
  const n = ids.length;
  const succs = Array.from({ length: Math.min(r, n) }, (_, j) => ids[(i + j + 1) % n]);
  const fingers = Array.from({ length: BITS }, (_, k) => succOf(ids, (self + 2 ** k) % 2 ** BITS));
  return { succs, pred: ids[(i - 1 + n) % n], fingers, records };
}

function idealRing(ids: readonly number[], r = 3, records: (id: number) => readonly Rec[] = () => []): PeerView[] {
  const cfg = defaultConfig(BITS, r);
  return ids.map((id) => view(cfg, id, idealShape(ids, r, id, records(id))));
}

/** Replaces the view of peer `id`. */
function withPeer(views: readonly PeerView[], id: number, replacement: PeerView): PeerView[] {
  return views.map((v) => (v.state.self.id === peer(id).id ? replacement : v));
}

function names(fs: readonly Finding[]): string[] {
  return [...new Set(fs.map((f) => f.invariant))].sort();
}

const cfg3 = defaultConfig(BITS, 3);

// Records for the seed ring: "a" at 6 -> holders 8, 9, 14; "b" at 200 wraps -> 2, 4, 5.
const RECORDS = { a: rec('a', 6, 'A'), b: rec('b', 200, 'B') };
const ACKED = new Map<string, Acked>([
  ['a', { key: RECORDS.a.key, value: bytes('A'), version: RECORDS.a.version }],
  ['b', { key: RECORDS.b.key, value: bytes('B'), version: RECORDS.b.version }],
]);
function seedRecords(id: number): readonly Rec[] {
  return [...([8, 9, 14].includes(id) ? [RECORDS.a] : []), ...([2, 4, 5].includes(id) ? [RECORDS.b] : [])];
}

test('successorIndex finds the first point at or after, wrapping', (t) => {
  const sorted = SEED_RING.map(peer);
  t.is(successorIndex(sorted, peer(5)), 2);
  t.is(successorIndex(sorted, peer(6)), 3);
  t.is(successorIndex(sorted, peer(0)), 0);
  t.is(successorIndex(sorted, peer(19)), 6);
  t.is(successorIndex(sorted, peer(20)), 0);
  t.is(successorIndex(sorted, peer(255)), 0);
});

test('participants are the live members, leavers and joiners with successors, sorted', (t) => {
  // A joiner that has found its successor has joined in Zave's sense: others may point at it
  // before its successor's hand-off reaches it.
  const views = [
    view(cfg3, 9, { succs: [2] }),
    view(cfg3, 2, { succs: [9], phase: 'leaving' }),
    view(cfg3, 4, { succs: [9] }, false),
    view(cfg3, 5, { succs: [9], phase: 'joining' }),
    view(cfg3, 6, { succs: [], phase: 'joining' }),
    view(cfg3, 8, { succs: [] }),
    view(cfg3, 14, { succs: [2], phase: 'stopped' }),
  ];
  t.deepEqual(
    participants(views).map((v) => v.state.self.k),
    [2, 5, 9],
  );
});

test('the ideal seed ring satisfies every invariant', (t) => {
  const views = idealRing(SEED_RING, 3, seedRecords);
  t.deepEqual(safetyViolations(views), []);
  t.deepEqual(idealRingViolations(views), []);
  t.deepEqual(replicaViolations(views, ACKED, 3), []);
});

test('a lone peer is its own successor, predecessor and fingers', (t) => {
  const views = idealRing([9], 3, () => [RECORDS.a]);
  t.deepEqual(views[0].state.succs.map((p) => p.k), [9]);
  t.deepEqual(safetyViolations(views), []);
  t.deepEqual(idealRingViolations(views), []);
  t.deepEqual(replicaViolations(views, ACKED, 3).map((f) => f.detail), ['record "b" (key 200): missing on peer 9']);
  const noPred = [view(cfg3, 9, { ...idealShape([9], 3, 9), pred: null })];
  t.deepEqual(names(idealRingViolations(noPred)), ['IdealRing']);
});

test('a 2-peer ring with r = 3 lists the other peer, then itself', (t) => {
  const views = idealRing([4, 14], 3, () => [RECORDS.a]);
  t.deepEqual(views[0].state.succs.map((p) => p.k), [14, 4]);
  t.deepEqual(safetyViolations(views), []);
  t.deepEqual(idealRingViolations(views), []);
  t.deepEqual(replicaViolations(views, new Map([['a', ACKED.get('a')!]]), 3), []);
  const short = withPeer(views, 4, view(cfg3, 4, { ...idealShape([4, 14], 3, 4), succs: [14] }));
  t.deepEqual(safetyViolations(short), []);
  t.deepEqual(
    idealRingViolations(short).map((f) => f.detail),
    ['peer 4: successors [14] expected [14,4]'],
  );
});

test('bestSucc skips dead, absent and non-participating entries', (t) => {
  // 5 is dead, 6 was never there, 8 is still joining: 4's best successor is 9.
  const views = [
    view(cfg3, 2, { succs: [4, 5, 6] }),
    view(cfg3, 4, { succs: [5, 6, 8, 9] }),
    view(cfg3, 5, { succs: [8, 9, 14] }, false),
    view(cfg3, 8, { succs: [9], phase: 'joining' }),
    view(cfg3, 9, { succs: [14, 19, 2] }),
    view(cfg3, 14, { succs: [19, 2, 4] }),
    view(cfg3, 19, { succs: [2, 4, 5] }),
  ];
  t.deepEqual(safetyViolations(views), []);
});

test('AtLeastOneRing: nobody reaches itself', (t) => {
  const views = [view(cfg3, 2, { succs: [4] }), view(cfg3, 4, { succs: [5] }), view(cfg3, 5, { succs: [9] }, false)];
  t.deepEqual(names(safetyViolations(views)), ['AtLeastOneRing']);
});

test('AtMostOneRing: two disjoint ordered rings', (t) => {
  const views = [
    view(cfg3, 2, { succs: [5, 9, 2] }),
    view(cfg3, 5, { succs: [9, 2, 5] }),
    view(cfg3, 9, { succs: [2, 5, 9] }),
    view(cfg3, 4, { succs: [8, 14, 19] }),
    view(cfg3, 8, { succs: [14, 19, 4] }),
    view(cfg3, 14, { succs: [19, 4, 8] }),
    view(cfg3, 19, { succs: [4, 8, 14] }),
  ];
  const found = safetyViolations(views);
  t.deepEqual(names(found), ['AtMostOneRing']);
  t.is(found[0].detail, '2 rings: through 2 (3 members), through 4 (4 members)');
});

test('OrderedRing: a ring step that skips a ring member', (t) => {
  // 2 -> 4 -> 8 -> 5 -> 9 -> 14 -> 19 -> 2: 5 is on the ring but 4 jumps over it.
  const order = [2, 4, 8, 5, 9, 14, 19];
  const views = order.map((id, i) => view(cfg3, id, { succs: [order[(i + 1) % order.length]] }));
  const found = safetyViolations(views);
  t.deepEqual(names(found), ['OrderedRing']);
  t.is(found[0].detail, 'ring step 4 -> 8 skips ring member 5');
});

test('ConnectedAppendages: appendages must reach the ring', (t) => {
  const ring = idealRing([2, 9, 19]);
  // 5 hangs off the ring at 9 and is fine; 4 and 8 lead to a dead end at 14.
  t.deepEqual(safetyViolations([...ring, view(cfg3, 5, { succs: [9] })]), []);
  // Walked first, an appendage's path leads into the ring but is not part of it.
  t.deepEqual(safetyViolations([view(cfg3, 20, { succs: [2] }), ...ring]), []);
  const views = [
    ...ring,
    view(cfg3, 4, { succs: [8] }),
    view(cfg3, 8, { succs: [14] }),
    view(cfg3, 14, { succs: [15, 16] }),
  ];
  const found = safetyViolations(views);
  t.deepEqual(names(found), ['ConnectedAppendages']);
  t.deepEqual(
    found.map((f) => f.detail),
    [
      'peer 4 does not reach the ring: its best successors stop at 14, which has no live successor',
      'peer 8 does not reach the ring: its best successors stop at 14, which has no live successor',
      'peer 14 has no live successor',
    ],
  );
});

test('OrderedSuccessorLists: entries in clockwise order, self only last', (t) => {
  const ring = idealRing(SEED_RING);
  const unordered = withPeer(ring, 2, view(cfg3, 2, { succs: [5, 4, 8] }));
  const found = safetyViolations(unordered);
  t.deepEqual(names(found), ['OrderedSuccessorLists']);
  t.is(found[0].detail, 'peer 2: successors [5,4,8] out of order at 4');
  // Dead entries count too.
  const dead = withPeer(ring, 4, view(cfg3, 4, { succs: [] }, false));
  t.deepEqual(names(safetyViolations(withPeer(dead, 2, view(cfg3, 2, { succs: [5, 4, 8] })))), ['OrderedSuccessorLists']);
  const selfInside = withPeer(ring, 19, view(cfg3, 19, { succs: [2, 19, 4] }));
  t.deepEqual(names(safetyViolations(selfInside)), ['OrderedSuccessorLists']);
  const selfTwice = withPeer(ring, 19, view(cfg3, 19, { succs: [2, 19, 19] }));
  t.deepEqual(names(safetyViolations(selfTwice)), ['NoDuplicates', 'OrderedSuccessorLists']);
  // Wrapping past zero is in order.
  t.deepEqual(safetyViolations(withPeer(ring, 14, view(cfg3, 14, { succs: [19, 2, 4] }))), []);
});

test('NoDuplicates: two live peers with one id, or a repeated successor', (t) => {
  const ring = idealRing(SEED_RING);
  const twin = [...ring, view(cfg3, 8, { succs: [9, 14, 19] })];
  t.deepEqual(
    safetyViolations(twin).map((f) => f.detail),
    ['two live peers have id 8'],
  );
  // A restarted peer may share its id with its dead former self.
  t.deepEqual(safetyViolations([view(cfg3, 8, { succs: [9, 14, 19] }, false), ...ring]), []);
  const repeated = withPeer(ring, 2, view(cfg3, 2, { succs: [4, 5, 4] }));
  t.deepEqual(names(safetyViolations(repeated)), ['NoDuplicates', 'OrderedSuccessorLists']);
});

test('findings are capped', (t) => {
  const ring = idealRing([2, 250]);
  const many = Array.from({ length: 30 }, (_, i) => view(cfg3, 100 + i, { succs: [251] }));
  t.is(safetyViolations([...ring, ...many]).length, MAX_FINDINGS);
  t.is(idealRingViolations([...ring, ...many]).length, MAX_FINDINGS);
});

test('IdealRing: wrong finger, wrong predecessor, short list, unjoined peer', (t) => {
  const ring = idealRing(SEED_RING);
  const finger = idealShape(SEED_RING, 3, 9);
  const badFinger = withPeer(ring, 9, view(cfg3, 9, { ...finger, fingers: finger.fingers!.map((f, k) => (k === 2 ? 19 : f)) }));
  t.deepEqual(
    idealRingViolations(badFinger).map((f) => f.detail),
    ['peer 9: finger 2 is 19 expected 14'],
  );
  const unknownFinger = withPeer(ring, 9, view(cfg3, 9, { ...finger, fingers: finger.fingers!.map((f, k) => (k === 7 ? null : f)) }));
  t.deepEqual(
    idealRingViolations(unknownFinger).map((f) => f.detail),
    ['peer 9: finger 7 is unknown expected 2'],
  );
  const badPred = withPeer(ring, 9, view(cfg3, 9, { ...finger, pred: 5 }));
  t.deepEqual(
    idealRingViolations(badPred).map((f) => f.detail),
    ['peer 9: predecessor 5 expected 8'],
  );
  const short = withPeer(ring, 9, view(cfg3, 9, { ...finger, succs: [14, 19] }));
  t.deepEqual(
    idealRingViolations(short).map((f) => f.detail),
    ['peer 9: successors [14,19] expected [14,19,2]'],
  );
  const joining = [...ring, view(cfg3, 12, { succs: [], phase: 'joining' })];
  t.deepEqual(
    idealRingViolations(joining).map((f) => f.detail),
    ['peer 12 has not joined (phase joining, 0 successors)'],
  );
});

test('IdealRing ignores dead peers', (t) => {
  const live = [2, 5, 9, 19];
  const views = [...idealRing(live), view(cfg3, 4, { succs: [5] }, false), view(cfg3, 14, { succs: [19] }, false)];
  t.deepEqual(idealRingViolations(views), []);
});

test('Data: missing replica, stale value, wrapping key, fewer peers than replicas', (t) => {
  const ring = idealRing(SEED_RING, 3, seedRecords);
  const missing = withPeer(ring, 9, view(cfg3, 9, idealShape(SEED_RING, 3, 9)));
  t.deepEqual(
    replicaViolations(missing, ACKED, 3).map((f) => f.detail),
    ['record "a" (key 6): missing on peer 9'],
  );
  const wrapMissing = withPeer(ring, 2, view(cfg3, 2, idealShape(SEED_RING, 3, 2)));
  t.deepEqual(
    replicaViolations(wrapMissing, ACKED, 3).map((f) => f.detail),
    ['record "b" (key 200): missing on peer 2'],
  );
  const stale = withPeer(ring, 14, view(cfg3, 14, idealShape(SEED_RING, 3, 14, [rec('a', 6, 'old')])));
  t.deepEqual(
    replicaViolations(stale, ACKED, 3).map((f) => f.detail),
    ['record "a" (key 6): peer 14 holds a stale value'],
  );
  // A dead holder no longer counts: 9 is gone, so 8, 14 and 19 must hold "a".
  const nineDead = withPeer(ring, 9, view(cfg3, 9, idealShape(SEED_RING, 3, 9, [RECORDS.a]), false));
  t.deepEqual(
    replicaViolations(nineDead, ACKED, 3).map((f) => f.detail),
    ['record "a" (key 6): missing on peer 19'],
  );
  const pair = idealRing([4, 14], 3, () => [RECORDS.b]);
  t.deepEqual(replicaViolations(pair, new Map([['b', ACKED.get('b')!]]), 3), []);
  t.deepEqual(
    replicaViolations([], new Map([['b', ACKED.get('b')!]]), 3).map((f) => f.detail),
    ['record "b" (key 200): no live peer to hold it'],
  );
});
