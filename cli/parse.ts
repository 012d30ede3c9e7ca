/** Flag value parsers for commander: each rejects a bad value with a message naming the flag. */
import { InvalidArgumentError } from 'commander';
import { parseAddr, seedAddr } from '../runtime-node/address';

export function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

export function decimal(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a number from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

/** A non-negative integer of any size, such as a peer ID in a 160-bit space. */
export function bigInteger(value: string): bigint {
  if (!/^(0|[1-9][0-9]*)$/.test(value.trim())) throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return BigInt(value.trim());
}

/** A peer as named on the command line: "host:port", or a bare ID meaning its seed address. */
export type PeerRef = { readonly addr: string } | { readonly id: bigint };

export function peerRef(value: string): PeerRef {
  if (/^\d+$/.test(value.trim())) return { id: bigInteger(value) };
  if (parseAddr(value.trim()) === null) throw new InvalidArgumentError(`expected host:port or a peer ID, got "${value}"`);
  return { addr: value.trim() };
}

export function resolvePeerRef(ref: PeerRef, portBase: number): string {
  if ('addr' in ref) return ref.addr;
  if (BigInt(portBase) + ref.id > 65_535n) throw new InvalidArgumentError(`peer ${ref.id} has no seed port: ${portBase} + ${ref.id} is above 65535`);
  return seedAddr(ref.id, portBase);
}
