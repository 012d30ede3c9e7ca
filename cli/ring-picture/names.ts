/**
 * How the ring pictures name peers and ring positions in at most 8 characters: the decimal ID,
 * as every other output of the `chord` command prints it, while every ID of the space fits
 * (bits <= 26); beyond that the first 8 hex digits (more where two peers share them), since a
 * 160-bit ID is 49 decimal digits. The full decimal ID is in each peer's tooltip and panel.
 */
import { hexWidth, pointOfBigInt } from '../../core/id';
import { shortNames } from '../../sim/picture';

export const LABEL_DIGITS = 8;

export type Naming = { readonly kind: 'decimal' } | { readonly kind: 'hex'; readonly digits: number; readonly of: number };

export function hexOf(id: bigint, bits: number): string {
  return pointOfBigInt(id, bits).id;
}

/** The names of `ids` (all of one `bits`-bit space), and how they were made, for the legend. */
export function nameIds(ids: readonly bigint[], bits: number): { names: Map<bigint, string>; naming: Naming } {
  if ((2n ** BigInt(bits) - 1n).toString().length <= LABEL_DIGITS) {
    return { names: new Map(ids.map((id) => [id, id.toString()])), naming: { kind: 'decimal' } };
  }
  const hex = [...new Set(ids)].map((id) => [id, hexOf(id, bits)] as const);
  const short = shortNames(hex.map(([, h]) => h), LABEL_DIGITS);
  const names = new Map(hex.map(([id, h]) => [id, short.get(h) ?? h]));
  const digits = Math.max(Math.min(LABEL_DIGITS, hexWidth(bits)), ...[...names.values()].map((n) => n.length));
  return { names, naming: { kind: 'hex', digits, of: hexWidth(bits) } };
}

/** A ring position named like the peers (hex positions cut to the peers' digits). */
export function positionName(id: bigint, bits: number, naming: Naming): string {
  return naming.kind === 'decimal' ? id.toString() : hexOf(id, bits).slice(0, naming.digits);
}
