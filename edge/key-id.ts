/**
 * Where a record key lands on the ring. Computed at the edge (simulator, runtime, CLI), never in
 * core/: a non-negative integer names its own position (n mod 2^bits, as in the seed); any other
 * name is hashed with SHA-1 and truncated to the top `bits` bits, as Chord does.
 */
import { createHash } from 'node:crypto';
import { pointOfBigInt } from '../core/id';
import type { Key } from '../core/types';

export function keyOf(name: string, bits: number): Key {
  const position = /^(0|[1-9][0-9]*)$/.test(name)
    ? BigInt(name)
    : BigInt('0x' + createHash('sha1').update(name, 'utf8').digest('hex')) >> BigInt(160 - bits);
  const p = pointOfBigInt(position, bits);
  return { id: p.id, k: p.k, name };
}
