import test from 'ava';
import fc from 'fast-check';
import { cmp, fingerStart, inOpen, inOpenClosed, isCanonicalHex, pointOfBigInt, pointOfHex, bigIntOf, decimalOf } from './id';

const BITS = [8, 13, 52, 53, 64, 160];

/** Three ring values of `bits` bits, often equal or sharing their top 52 bits (the fast path's blind spot). */
const triple = fc.constantFrom(...BITS).chain((bits) => {
  const v = fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });
  return fc.tuple(fc.constant(bits), v, v, v, fc.nat({ max: 4 })).map(([b, a, x, c, mode]) => {
    const low = bits > 52 ? (1n << BigInt(bits - 52)) - 1n : 0n;
    const nearA = (a & ~low) | (x & low);
    return { bits: b, a, b2: mode === 1 ? a : c, x: mode === 2 ? a : mode === 3 ? c : mode === 4 ? nearA : x };
  });
});

const dist = (from: bigint, to: bigint, bits: number) => (((to - from) % (1n << BigInt(bits))) + (1n << BigInt(bits))) % (1n << BigInt(bits));

test('interval tests agree with modular arithmetic', (t) => {
  fc.assert(fc.property(triple, ({ bits, a, b2, x }) => {
    const [pa, pb, px] = [a, b2, x].map((v) => pointOfBigInt(v, bits));
    const dx = dist(a, x, bits);
    const db = dist(a, b2, bits);
    const openClosed = a === b2 ? true : dx > 0n && dx <= db;
    const open = a === b2 ? x !== a : dx > 0n && dx < db;
    return inOpenClosed(px, pa, pb) === openClosed && inOpen(px, pa, pb) === open && Math.sign(cmp(pa, px)) === (a < x ? -1 : a > x ? 1 : 0);
  }), { numRuns: 3000 });
  t.pass();
});

test('finger starts and conversions', (t) => {
  const p = pointOfBigInt(250n, 8);
  t.is(fingerStart(p, 3, 8).id, pointOfBigInt(2n, 8).id);
  t.is(decimalOf(pointOfBigInt(-1n, 160)), ((1n << 160n) - 1n).toString());
  t.is(bigIntOf(pointOfBigInt(1n << 100n, 160)), 1n << 100n);
  t.true(isCanonicalHex('ff', 8));
  t.false(isCanonicalHex('FF', 8));
  t.false(isCanonicalHex('400', 10));
  t.true(isCanonicalHex('3ff', 10));
  t.false(isCanonicalHex('0ff', 8));
});

test('a point carries its top 52 bits as k, and only canonical lowercase hex of the right width is an identifier', (t) => {
  const long = 'f'.repeat(13) + '0123456789abcdef0123456789';
  t.is(pointOfHex(long).k, 0xfffffffffffff);
  t.is(pointOfHex('00000000000000').k, 0);
  t.is(pointOfHex('0123456789abc').k, 0x0123456789abc);
  t.false(isCanonicalHex('xf', 8));
  t.false(isCanonicalHex('f ', 8));
});
