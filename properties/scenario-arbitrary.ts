/**
 * fast-check generates whole scenarios (initial ring, timed churn, workload, network faults,
 * partitions, the run seed), so that a failure shrinks to a small scenario. Peers are drawn as
 * indices into a pool of distinct IDs; an operation that names a peer in the wrong state at run
 * time is skipped by the simulator, so every shrunk scenario stays executable.
 */
import fc from 'fast-check';
import { pointOfBigInt } from '../core/id';
import { defaultConfig } from '../core/config';
import type { Scenario, ScenarioOp } from '../sim/scenario';

export interface ArbitraryLimits {
  readonly maxInitial: number;
  readonly maxOps: number;
  /** Virtual ms over which operations are spread. */
  readonly horizon: number;
  /** Fault kinds to draw from: every scenario enables its own subset, or exactly these. */
  readonly kinds: { readonly swarm: readonly FaultKind[] } | { readonly only: readonly FaultKind[] };
  /** Datagram loss, duplication, stream failures and clock skew. */
  readonly networkFaults: boolean;
}

export type FaultKind = 'join' | 'leave' | 'kill' | 'restart' | 'partition';
const FAULT_KINDS: readonly FaultKind[] = ['join', 'leave', 'kill', 'restart', 'partition'];

export const DEFAULT_LIMITS: ArbitraryLimits = { maxInitial: 8, maxOps: 14, horizon: 15_000, kinds: { swarm: FAULT_KINDS }, networkFaults: true };

/** Joins and graceful leaves on a clean network: keys must move, and nothing may be lost. */
export const MEMBERSHIP_LIMITS: ArbitraryLimits = { maxInitial: 6, maxOps: 16, horizon: 10_000, kinds: { only: ['join', 'leave'] }, networkFaults: false };

const KEYS = ['alpha', 'beta', 'gamma', 'delta', '7', '200', 'file.pdf'];

type RawOp =
  | { kind: 'join'; peer: number; via: number }
  | { kind: 'leave' | 'kill'; peer: number }
  | { kind: 'restart'; peer: number; via: number }
  | { kind: 'put'; via: number; key: number; value: number }
  | { kind: 'get'; via: number; key: number }
  | { kind: 'partition'; peers: number[]; length: number };

/**
 * Operations of the enabled fault kinds plus the workload. Swarm testing: each scenario enables
 * its own subset of fault kinds, so that runs with only leaves, or only partitions, are common,
 * rather than every run mixing everything (where one kill hides everything else behind a
 * broken failure assumption).
 */
function rawOpArb(poolSize: number, kinds: readonly FaultKind[]): fc.Arbitrary<RawOp> {
  const peer = fc.nat({ max: poolSize - 1 });
  // Beyond the fixed names, key i names the position of pool peer i exactly: the boundary case
  // of every "which peer is responsible" interval.
  const key = fc.nat({ max: KEYS.length + poolSize - 1 });
  const byKind: Record<FaultKind, fc.Arbitrary<RawOp>> = {
    join: fc.record({ kind: fc.constant('join' as const), peer, via: peer }),
    leave: fc.record({ kind: fc.constant('leave' as const), peer }),
    kill: fc.record({ kind: fc.constant('kill' as const), peer }),
    restart: fc.record({ kind: fc.constant('restart' as const), peer, via: peer }),
    // Short cuts (under failure detection) and long ones (rings split, then must re-merge).
    partition: fc.record({ kind: fc.constant('partition' as const), peers: fc.uniqueArray(peer, { minLength: 1, maxLength: 3 }), length: fc.oneof(fc.integer({ min: 100, max: 1_000 }), fc.integer({ min: 2_000, max: 8_000 })) }),
  };
  return fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('put' as const), via: peer, key, value: fc.nat({ max: 999 }) }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('get' as const), via: peer, key }), weight: 2 },
    ...kinds.map((k) => ({ arbitrary: byKind[k], weight: 2 })),
  );
}

export function scenarioArb(limits: ArbitraryLimits = DEFAULT_LIMITS): fc.Arbitrary<Scenario> {
  return fc
    .record({
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }).map(String),
      bits: fc.constantFrom(8, 8, 16, 160),
      replicas: fc.integer({ min: 1, max: 4 }),
      initialCount: fc.integer({ min: 1, max: limits.maxInitial }),
      pool: fc.uniqueArray(fc.bigInt({ min: 0n, max: 255n }), { minLength: limits.maxInitial + 4, maxLength: limits.maxInitial + 4 }),
      spread: fc.bigInt({ min: 0n, max: (1n << 152n) - 1n }),
      timed: ('swarm' in limits.kinds ? fc.subarray([...limits.kinds.swarm]) : fc.constant(limits.kinds.only))
        .chain((kinds) => fc.array(fc.tuple(fc.integer({ min: 0, max: limits.horizon }), rawOpArb(limits.maxInitial + 4, kinds)), { maxLength: limits.maxOps })),
      loss: sometimes(limits.networkFaults, 0.2),
      duplicate: sometimes(limits.networkFaults, 0.1),
      streamFailure: sometimes(limits.networkFaults, 0.2),
      latencyMax: fc.integer({ min: 1, max: 40 }),
      clockSkew: sometimes(limits.networkFaults, 0.02),
    })
    .map((g): Scenario => {
      // Pool entries are 8-bit values spread over wider spaces by a shared random offset scale,
      // so that the same shrinking works whatever `bits` is.
      const ids = g.pool.map((v) => pointOfBigInt(g.bits === 8 ? v : (v << BigInt(g.bits - 8)) + (g.spread % (1n << BigInt(g.bits - 8))), g.bits).id);
      const initial = ids.slice(0, g.initialCount);
      const ops = g.timed.map(([at, r]) => toOp(r, at, ids)).sort((a, b) => a.at - b.at);
      const last = ops.reduce((t, op) => Math.max(t, op.op === 'partition' ? op.until : op.at), 0);
      return {
        seed: g.seed,
        bits: g.bits,
        replicas: g.replicas,
        initial,
        timing: {},
        network: { latencyMin: 1, latencyMax: g.latencyMax, loss: g.loss, duplicate: g.duplicate, streamFailure: g.streamFailure, clockSkew: g.clockSkew },
        ops,
        faultsUntil: last + 1_000,
        settleLimit: settleLimitFor(g.replicas),
        useCodec: true,
      };
    });
}

function toOp(r: RawOp, at: number, ids: readonly string[]): ScenarioOp {
  switch (r.kind) {
    case 'join': return { at, op: 'join', id: ids[r.peer], via: ids[r.via] };
    case 'leave': return { at, op: 'leave', id: ids[r.peer] };
    case 'kill': return { at, op: 'kill', id: ids[r.peer] };
    case 'restart': return { at, op: 'restart', id: ids[r.peer], via: ids[r.via] };
    case 'put': return { at, op: 'put', via: ids[r.via], key: keyName(r.key, ids), value: `v${r.value}` };
    case 'get': return { at, op: 'get', via: ids[r.via], key: keyName(r.key, ids) };
    case 'partition': return { at, op: 'partition', group: r.peers.map((p) => ids[p]), until: at + r.length };
  }
}

/** Zero, or (when enabled) often a probability up to `max`. */
/**
 * Zero half the time, else uniform in (0, max]. (fc.double spreads its values over exponents,
 * so most of them would be too small to make any difference.)
 */
function sometimes(enabled: boolean, max: number): fc.Arbitrary<number> {
  return enabled ? fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1000 }).map((i) => (i * max) / 1000)) : fc.constant(0);
}

function keyName(i: number, ids: readonly string[]): string {
  return i < KEYS.length ? KEYS[i] : BigInt('0x' + ids[i - KEYS.length]).toString(10);
}

/** Enough virtual time for any generated ring to settle: detection, stabilization, fingers. */
function settleLimitFor(replicas: number): number {
  const c = defaultConfig(8, replicas);
  return 40 * (c.missLimit * c.pingInterval + c.stabilizeInterval) + 160 * c.fixFingersInterval;
}
