/**
 * Identifiers on the Chord ring of 2^bits points (8 <= bits <= 160).
 *
 * An identifier is carried as a `Point`: its canonical fixed-width lowercase hex string plus
 * `k`, the top (up to) 52 bits as a float. Interval tests are the simulator's hottest code, so
 * they compare the numbers first and touch the strings only on a tie, which for bits <= 52 means
 * the very same identifier. BigInt appears only where arithmetic is unavoidable (finger starts,
 * conversions at the edges), never in the hot path.
 */

export interface Point {
  /** Fixed-width lowercase hex, ceil(bits / 4) digits. */
  readonly id: string;
  /** Numeric prefix used for fast ordering. */
  readonly k: number;
}

export const MIN_BITS = 8;
export const MAX_BITS = 160;
const PREFIX_DIGITS = 13; // 13 hex digits = 52 bits, exact in a double

export function hexWidth(bits: number): number {
  return Math.ceil(bits / 4);
}

export function checkBits(bits: number): string | undefined {
  if (!Number.isInteger(bits) || bits < MIN_BITS || bits > MAX_BITS) {
    return `bits must be an integer from ${MIN_BITS} to ${MAX_BITS}, got ${bits}`;
  }
  return undefined;
}

/** Builds a point from its canonical hex form; the caller guarantees the width. */
export function pointOfHex(id: string): Point {
  return { id, k: parseInt(id.length > PREFIX_DIGITS ? id.slice(0, PREFIX_DIGITS) : id, 16) };
}

/** Lowercase hex digits only; a loop, not a regular expression: the decoder checks every id it reads. */
function lowerHex(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** Whether `hex` is a canonical identifier of a `bits`-bit space. */
export function isCanonicalHex(hex: string, bits: number): boolean {
  if (hex.length !== hexWidth(bits) || !lowerHex(hex)) return false;
  const spare = hexWidth(bits) * 4 - bits;
  return spare === 0 || parseInt(hex[0], 16) < 1 << (4 - spare);
}

export function pointOfBigInt(value: bigint, bits: number): Point {
  const mod = 1n << BigInt(bits);
  const v = ((value % mod) + mod) % mod;
  return pointOfHex(v.toString(16).padStart(hexWidth(bits), '0'));
}

export function bigIntOf(p: Point): bigint {
  return BigInt('0x' + p.id);
}

export function decimalOf(p: Point): string {
  return bigIntOf(p).toString(10);
}

/** Total order on identifiers: -1, 0 or 1. */
export function cmp(a: Point, b: Point): number {
  if (a.k !== b.k) return a.k < b.k ? -1 : 1;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

export function same(a: Point, b: Point): boolean {
  return a.k === b.k && a.id === b.id;
}

/** x in (a, b] clockwise; (a, a] is the whole ring. */
export function inOpenClosed(x: Point, a: Point, b: Point): boolean {
  const ab = cmp(a, b);
  if (ab < 0) return cmp(a, x) < 0 && cmp(x, b) <= 0;
  return cmp(a, x) < 0 || cmp(x, b) <= 0;
}

/** x in (a, b) clockwise; (a, a) is the whole ring but a. */
export function inOpen(x: Point, a: Point, b: Point): boolean {
  return inOpenOf(x, a, b, cmp(a, b));
}

/** inOpen with `ab` = cmp(a, b) given, for a caller that tests many x against one interval. */
export function inOpenOf(x: Point, a: Point, b: Point, ab: number): boolean {
  if (ab < 0) return cmp(a, x) < 0 && cmp(x, b) < 0;
  if (ab === 0) return !same(x, a);
  return cmp(a, x) < 0 || cmp(x, b) < 0;
}

/** Start of finger k of `p`: p + 2^k mod 2^bits. */
export function fingerStart(p: Point, k: number, bits: number): Point {
  return pointOfBigInt(bigIntOf(p) + (1n << BigInt(k)), bits);
}
