/** Flag value parsers for commander: each rejects a bad value with a message naming the flag. */
import { InvalidArgumentError, Option } from 'commander';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parseAddr, seedAddr } from '../runtime-node/address';
import { loadRingKey, MIN_KEY_BYTES, type RingKey } from '../runtime-node/ring-key';
import { readScenarioFile } from '../properties/fuzz/corpus';
import type { Scenario } from '../sim/scenario';
import { CliError, EXIT_CODES } from './exit-codes';


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

/** `--advertise`: an address with or without its port ("10.0.0.5", "10.0.0.5:4000", "[fd00::5]:4000"). */
export interface Advertised {
  readonly host: string;
  readonly port?: number;
}

/** Only the form here; what may be advertised is address.ts's listenProblem. */
export function advertised(value: string): Advertised {
  const v = value.trim();
  const bracketed = /^\[([^\]]+)\]$/.exec(v);
  if (bracketed) return { host: bracketed[1] };
  if (isIP(v) !== 0) return { host: v };
  const hp = parseAddr(v);
  if (hp === null) throw new InvalidArgumentError(`expected an IP address, with or without :port, got "${value}"`);
  return hp;
}

export function resolvePeerRef(ref: PeerRef, portBase: number): string {
  if ('addr' in ref) return ref.addr;
  if (BigInt(portBase) + ref.id > 65_535n) throw new InvalidArgumentError(`peer ${ref.id} has no seed port: ${portBase} + ${ref.id} is above 65535`);
  return seedAddr(ref.id, portBase);
}

export interface RingKeyFlag {
  /** Absolute, so that the peers a launcher starts read the same file. */
  readonly path: string;
  readonly key: RingKey;
}

/**
 * `--ring-key FILE`, or the path in CHORD_RING_KEY. The file is read as the flag is parsed, so a
 * bad one ends the command before it starts anything.
 */
export function ringKeyOption(): Option {
  return new Option('--ring-key <file>', `the ring key: the file's bytes (at least ${MIN_KEY_BYTES}); only holders of the same key may join, store, read or ask (default: an open ring)`)
    .env('CHORD_RING_KEY')
    .argParser((path: string): RingKeyFlag => {
      try {
        return { path: resolve(path), key: loadRingKey(path) };
      } catch (e) {
        const error = new InvalidArgumentError((e as Error).message);
        // Told apart from other bad flags by its exit code (cli/main.ts).
        error.exitCode = EXIT_CODES['ring-key'];
        throw error;
      }
    });
}

/** A scenario file named on the command line; one that cannot be read or is no scenario is a usage error. */
export function readScenarioArg(file: string): Scenario {
  try {
    return readScenarioFile(file);
  } catch (e) {
    throw new CliError('usage', (e as Error).message);
  }
}
