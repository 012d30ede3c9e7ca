import test from 'ava';
import fc from 'fast-check';
import { cmp, inOpenClosed, pointOfBigInt, type Point } from './id';
import { Records } from './records';
import type { Rec } from './types';

const BITS = 8;
const point = (n: number): Point => pointOfBigInt(BigInt(n), BITS);
// Few positions and few names, so that keys share positions and writes hit the same key.
const recArb: fc.Arbitrary<Rec> = fc.record({
  at: fc.integer({ min: 0, max: 15 }),
  name: fc.constantFrom('a', 'b', 'zz', ''),
  version: fc.integer({ min: 1, max: 4 }),
}).map(({ at, name, version }) => ({ key: { ...point(at * 16), name }, value: new Uint8Array([version]), version, writer: 'w' }));
const pointArb = fc.integer({ min: 0, max: 255 }).map(point);
const newer = (a: Rec, b: Rec): boolean => a.version > b.version;
/** The same records, the very same objects, in the same order. */
const same = (a: readonly Rec[], b: readonly Rec[]): boolean => a.length === b.length && a.every((r, i) => r === b[i]);

/** The model: a plain list, the newest version of each key, in ring then name order. */
function model(batches: readonly (readonly Rec[])[]): Rec[] {
  const byKey = new Map<string, Rec>();
  for (const batch of batches) {
    for (const rec of batch) {
      const id = `${rec.key.id}/${rec.key.name}`;
      const have = byKey.get(id);
      if (have === undefined || newer(rec, have)) byKey.set(id, rec);
    }
  }
  return [...byKey.values()].sort((a, b) => cmp(a.key, b.key) || (a.key.name < b.key.name ? -1 : a.key.name > b.key.name ? 1 : 0));
}

function build(batches: readonly (readonly Rec[])[]): Records[] {
  const out = [Records.empty];
  for (const batch of batches) out.push(out[out.length - 1].merge(batch, newer).records);
  return out;
}

test('merges keep the newest version of each key, in ring order, and leave earlier sets as they were', (t) => {
  t.notThrows(() => fc.assert(fc.property(fc.array(fc.array(recArb, { maxLength: 8 }), { maxLength: 6 }), (batches) => {
    return build(batches).every((set, i) => {
      const want = model(batches.slice(0, i));
      return same([...set.values()], want) && set.size === want.length && want.every((rec) => set.get(rec.key) === rec);
    });
  })));
});

test('merge counts what it stored and returns the same set when nothing won', (t) => {
  const rec = (version: number): Rec => ({ key: { ...point(5), name: 'k' }, value: new Uint8Array(), version, writer: 'w' });
  const one = Records.empty.merge([rec(2)], newer);
  t.is(one.changed, 1);
  const older = one.records.merge([rec(1)], newer);
  t.is(older.changed, 0);
  t.is(older.records, one.records);
  t.is(one.records.merge([rec(3), rec(4)], newer).changed, 2);
});

test('between(a, b) is every record with its key in (a, b] clockwise, from a on; (a, a] is all of them', (t) => {
  t.notThrows(() => fc.assert(fc.property(fc.array(recArb, { maxLength: 20 }), pointArb, pointArb, (recs, a, b) => {
    const set = Records.empty.merge(recs, newer).records;
    const all = model([recs]);
    const inside = all.filter((r) => inOpenClosed(r.key, a, b));
    // In ring order starting after a: the part above a first, then the wrapped part.
    const above = inside.filter((r) => cmp(r.key, a) > 0);
    const wrapped = inside.filter((r) => cmp(r.key, a) <= 0);
    return same(set.between(a, b), [...above, ...wrapped]);
  })));
});

test('nextOutside walks the records outside the skipped range round the ring, one after another', (t) => {
  t.notThrows(() => fc.assert(fc.property(fc.array(recArb, { maxLength: 20 }), fc.option(fc.tuple(pointArb, pointArb)), (recs, skip) => {
    const set = Records.empty.merge(recs, newer).records;
    const outside = model([recs]).filter((r) => skip === null || !inOpenClosed(r.key, skip[0], skip[1]));
    let cursor: Rec | undefined;
    const seen: Rec[] = [];
    for (let i = 0; i < outside.length + 1; i++) {
      cursor = set.nextOutside(cursor?.key ?? null, skip);
      if (cursor === undefined) break;
      seen.push(cursor);
    }
    return same(seen, outside.length === 0 ? [] : [...outside, outside[0]]);
  })));
});

test('changedSince is what merges stored since: new keys and new versions, nothing else', (t) => {
  fc.assert(fc.property(fc.array(recArb, { maxLength: 40 }), fc.array(recArb, { maxLength: 40 }), (first, second) => {
    const before = Records.empty.merge(first, newer).records;
    const after = before.merge(second, newer).records;
    // In no particular order: a driver writes them in one transaction.
    const changed = new Set(after.changedSince(before));
    const expected = [...after.values()].filter((rec) => before.get(rec.key) !== rec);
    return changed.size === expected.length && expected.every((rec) => changed.has(rec)) && after.changedSince(after).length === 0 && before.changedSince(Records.empty).length === before.size;
  }), { numRuns: 300 });
  t.pass();
});
