/**
 * The core's timings for real peers, all derived from the ping interval P so that one flag
 * (`--ping-interval`, or the seed's ping seconds) sets the pace of the whole peer:
 *   ping P; stabilize P (a departed successor is replaced by the next round after detection);
 *   fix-fingers P/2 (one finger lookup per round, so a ring of N peers repairs its ~log N
 *   distinct fingers within a few P); replica digests 4P (top-up after a failure need not race
 *   the repair of the ring itself).
 * The per-RPC timeout is the exception. The core lengthens it for messages that carry records
 * (Config.transferRate), but a get does not know how large its answer will be: a 64 MiB record
 * has to be read, sent and decoded within it. So it is 4P clamped to [RPC_FLOOR, RPC_CEILING]:
 * a refused connection already fails a hop at once, so the timeout matters only for peers that
 * hang without closing, where the ceiling keeps lookups moving with the seed's 10-30 s pings.
 */
import { defaultConfig } from '../core/config';
import type { Config } from '../core/types';

const RPC_FLOOR_MS = 3000;
const RPC_CEILING_MS = 10_000;
export const DEFAULT_PING_MS = 1000;

export function runtimeConfig(bits: number, replicas: number, pingMs: number, overrides: Partial<Config> = {}): Config {
  return {
    ...defaultConfig(bits, replicas),
    pingInterval: pingMs,
    stabilizeInterval: pingMs,
    fixFingersInterval: pingMs / 2,
    replicateInterval: 4 * pingMs,
    rpcTimeout: Math.min(Math.max(4 * pingMs, RPC_FLOOR_MS), RPC_CEILING_MS),
    lostTtl: Math.max(60_000, 120 * pingMs),
    ...overrides,
  };
}
