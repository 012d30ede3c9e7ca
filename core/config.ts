import { checkBits } from './id';
import type { Config } from './types';

/** Timings are in the driver's milliseconds (virtual in the simulator, real in the runtime). */
export function defaultConfig(bits: number, replicas = 3): Config {
  return {
    bits,
    replicas,
    pingInterval: 500,
    missLimit: 3,
    stabilizeInterval: 500,
    fixFingersInterval: 250,
    replicateInterval: 2000,
    rpcTimeout: 400,
    transferRate: 10_000,
    opAttempts: 5,
    lostTtl: 60_000,
    maxHops: 64,
  };
}

/** A list of what is wrong with `cfg`, empty when it is usable. */
export function validateConfig(cfg: Config): string[] {
  const errors: string[] = [];
  const bitsError = checkBits(cfg.bits);
  if (bitsError) errors.push(bitsError);
  if (!Number.isInteger(cfg.replicas) || cfg.replicas < 1 || cfg.replicas > 16) {
    errors.push(`replicas must be an integer from 1 to 16, got ${cfg.replicas}`);
  }
  if (!Number.isInteger(cfg.missLimit) || cfg.missLimit < 1) errors.push(`missLimit must be a positive integer, got ${cfg.missLimit}`);
  for (const name of ['pingInterval', 'stabilizeInterval', 'fixFingersInterval', 'replicateInterval', 'rpcTimeout', 'transferRate', 'lostTtl'] as const) {
    if (!(cfg[name] > 0) || !Number.isFinite(cfg[name])) errors.push(`${name} must be a positive number, got ${cfg[name]}`);
  }
  if (!Number.isInteger(cfg.opAttempts) || cfg.opAttempts < 1) errors.push(`opAttempts must be a positive integer, got ${cfg.opAttempts}`);
  if (!Number.isInteger(cfg.maxHops) || cfg.maxHops < 1) errors.push(`maxHops must be a positive integer, got ${cfg.maxHops}`);
  return errors;
}

/**
 * A detection period and two stabilize rounds: by then every live peer has learned of a new
 * neighbour, or of a dead one, and rectified or stabilized accordingly.
 */
export function settleTime(cfg: Config): number {
  return cfg.missLimit * cfg.pingInterval + 2 * cfg.stabilizeInterval;
}

/** How long to wait for an answer to messages carrying `bytes` of record values, `legs` times over. */
export function timeoutFor(cfg: Config, bytes: number, legs = 1): number {
  return cfg.rpcTimeout + (legs * bytes) / cfg.transferRate;
}
