import test from 'ava';
import fc from 'fast-check';
import { MAX_ITEMS, MAX_VERSION } from './admission';
import { deliver, drive, key, logs, peer, rec } from './testing/drive';
import type { Input, Msg } from './types';

const SEED: Input = { kind: 'init', succs: [peer(8), peer(9), peer(14)], pred: peer(4) };
const senders = fc.constantFrom(peer(4), peer(8), peer(200));

/** Messages no honest peer sends: a version past MAX_VERSION, or more items than any batch. */
const hostile: fc.Arbitrary<Msg> = fc.oneof(
  fc.integer({ min: MAX_VERSION + 1, max: Number.MAX_SAFE_INTEGER }).chain((version) => fc.constantFrom<Msg>(
    { t: 'replicate', rid: 0, records: [rec(7, version)] },
    { t: 'handoff', records: [rec(3, version)], from: null, more: false },
    { t: 'leave', rid: 1, pred: null, records: [rec(4, version)], from: null, more: false },
    { t: 'digest', entries: [{ key: key(6), version, writer: peer(4).id }], from: null },
  )),
  fc.integer({ min: MAX_ITEMS + 1, max: MAX_ITEMS + 50 }).chain((n) => fc.constantFrom<Msg>(
    { t: 'replicate', rid: 0, records: Array.from({ length: n }, (_, i) => rec(i % 256)) },
    { t: 'want', keys: Array.from({ length: n }, (_, i) => key(i % 256)) },
    { t: 'digest', entries: Array.from({ length: n }, (_, i) => ({ key: key(i % 256), version: 1, writer: peer(4).id })), from: null },
  )),
);

test('a message no honest peer sends changes nothing, and is logged as refused', (t) => {
  t.notThrows(() => fc.assert(fc.property(hostile, senders, (msg, from) => {
    const before = drive(peer(5), [SEED]).state;
    const { state, effects } = drive(peer(5), [SEED, deliver(from, msg)]);
    const after = drive(peer(5), [SEED]).effects.length;
    const own = effects.slice(after);
    return state.records === before.records && own.length === 1 && logs(own, 'bad-input')[0]?.reason.includes('refused') === true;
  })));
});

test('a version at the bound is taken in', (t) => {
  const { state } = drive(peer(5), [SEED, deliver(peer(4), { t: 'replicate', rid: 1, records: [rec(3, MAX_VERSION)] })]);
  t.is(state.records.get(key(3))?.version, MAX_VERSION);
});
