/**
 * fast-check generates whole scenarios (initial ring, timed churn, workload, network faults,
 * partitions, the run seed), so that a failure shrinks to a small scenario. Peers are drawn as
 * indices into a pool of distinct IDs; an operation that names a peer in the wrong state at run
 * time is skipped by the simulator, so every shrunk scenario stays executable.
 *
 * Beyond plain operations the generator aims at the corners where Chord breaks: bursts of joins
 * into one gap, kills right after a put, a join or a leave (of the peers that operation leans
 * on), a peer killed and restarted under its ID within a ping interval, IDs at the ends of the
 * ring (where intervals wrap past zero) and keys exactly at, just before and just after a peer.
 */
import fc from 'fast-check';
import { bigIntOf, pointOfBigInt, pointOfHex } from '../core/id';
import { keyOf } from '../edge/key-id';
import { defaultConfig } from '../core/config';
import { FORGED_MESSAGES, type Scenario, type ScenarioOp } from '../sim/scenario';

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

/**
 * `burst`: joins into the one gap after a peer, a few ms apart; `kill-after`: a put, join or
 * leave, then within 100 ms a kill of a peer it leans on; `bounce`: a kill and a restart under
 * the same ID within a ping interval.
 */
export type FaultKind = 'join' | 'leave' | 'kill' | 'restart' | 'partition' | 'burst' | 'kill-after' | 'bounce' | 'forge' | 'crowd';
const FAULT_KINDS: readonly FaultKind[] = ['join', 'leave', 'kill', 'restart', 'partition', 'burst', 'kill-after', 'bounce', 'forge', 'crowd'];

export const DEFAULT_LIMITS: ArbitraryLimits = { maxInitial: 8, maxOps: 14, horizon: 15_000, kinds: { swarm: FAULT_KINDS }, networkFaults: true };

export const LARGE_LIMITS: ArbitraryLimits = { ...DEFAULT_LIMITS, maxInitial: 16, maxOps: 40, horizon: 30_000 };

/** Joins and graceful leaves on a clean network: keys must move, and nothing may be lost. */
export const MEMBERSHIP_LIMITS: ArbitraryLimits = { maxInitial: 6, maxOps: 16, horizon: 10_000, kinds: { only: ['join', 'leave', 'burst', 'forge', 'crowd'] }, networkFaults: false };

const KEYS = ['alpha', 'beta', 'gamma', 'delta', '7', '200', 'file.pdf'];

/** A key: a fixed name, a ring end, or a pool peer's own position, or one just before or after it. */
type RawKey = { kind: 'name'; i: number } | { kind: 'end'; high: boolean } | { kind: 'peer'; peer: number; delta: -1 | 0 | 1 };

type Lead =
  | { kind: 'put'; via: number; key: RawKey; value: number }
  | { kind: 'join'; peer: number; via: number }
  | { kind: 'leave'; peer: number };

type RawOp =
  | { kind: 'join'; peer: number; via: number }
  | { kind: 'leave' | 'kill'; peer: number }
  | { kind: 'restart'; peer: number; via: number }
  | { kind: 'put'; via: number; key: RawKey; value: number }
  | { kind: 'get'; via: number; key: RawKey }
  | { kind: 'partition'; peers: number[]; length: number }
  | { kind: 'burst'; anchor: number; via: number; count: number; spacing: number }
  /** `victim` picks among the peers the lead leans on (see victimOf). */
  | { kind: 'kill-after'; lead: Lead; victim: number; delay: number }
  | { kind: 'bounce'; peer: number; via: number; gap: number }
  /** Many new peers at once, anywhere on the ring, all through one (a ring forming). */
  | { kind: 'crowd'; via: number; ids: bigint[]; spacing: number }
  /** A stranger about opposite its target on the ring (`off` steps past the point opposite). */
  | { kind: 'forge'; to: number; off: number; what: number; key: RawKey; value: number };

/** A pool entry at a ring end: `off` steps from zero, or from the top. */
interface EdgeSlot {
  readonly slot: number;
  readonly high: boolean;
  readonly off: number;
}

function keyArb(poolSize: number): fc.Arbitrary<RawKey> {
  return fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('name' as const), i: fc.nat({ max: KEYS.length - 1 }) }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('peer' as const), peer: fc.nat({ max: poolSize - 1 }), delta: fc.constantFrom(0 as const, 1 as const, -1 as const) }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('end' as const), high: fc.boolean() }), weight: 1 },
  );
}

/**
 * Operations of the enabled fault kinds plus the workload. Swarm testing: each scenario enables
 * its own subset of fault kinds, so that runs with only leaves, or only partitions, are common,
 * rather than every run mixing everything (where one kill hides everything else behind a
 * broken failure assumption).
 */
function rawOpArb(poolSize: number, kinds: readonly FaultKind[]): fc.Arbitrary<RawOp> {
  const peer = fc.nat({ max: poolSize - 1 });
  const key = keyArb(poolSize);
  const put = fc.record({ kind: fc.constant('put' as const), via: peer, key, value: fc.nat({ max: 999 }) });
  const lead: fc.Arbitrary<Lead> = fc.oneof(
    put,
    fc.record({ kind: fc.constant('join' as const), peer, via: peer }),
    fc.record({ kind: fc.constant('leave' as const), peer }),
  );
  const byKind: Record<FaultKind, fc.Arbitrary<RawOp>> = {
    join: fc.record({ kind: fc.constant('join' as const), peer, via: peer }),
    leave: fc.record({ kind: fc.constant('leave' as const), peer }),
    kill: fc.record({ kind: fc.constant('kill' as const), peer }),
    restart: fc.record({ kind: fc.constant('restart' as const), peer, via: peer }),
    // Short cuts (under failure detection) and long ones (rings split, then must re-merge).
    partition: fc.record({ kind: fc.constant('partition' as const), peers: fc.uniqueArray(peer, { minLength: 1, maxLength: 3 }), length: fc.oneof(fc.integer({ min: 100, max: 1_000 }), fc.integer({ min: 2_000, max: 8_000 })) }),
    burst: fc.record({ kind: fc.constant('burst' as const), anchor: peer, via: peer, count: fc.integer({ min: 2, max: 5 }), spacing: fc.integer({ min: 0, max: 30 }) }),
    'kill-after': fc.record({ kind: fc.constant('kill-after' as const), lead, victim: fc.nat({ max: 2 }), delay: fc.integer({ min: 0, max: 100 }) }),
    bounce: fc.record({ kind: fc.constant('bounce' as const), peer, via: peer, gap: fc.integer({ min: 1, max: defaultConfig(8).pingInterval }) }),
    crowd: fc.record({ kind: fc.constant('crowd' as const), via: peer, ids: fc.uniqueArray(fc.bigInt({ min: 0n, max: (1n << 160n) - 1n }), { minLength: 6, maxLength: 24 }), spacing: fc.integer({ min: 0, max: 5 }) }),
    forge: fc.record({ kind: fc.constant('forge' as const), to: peer, off: fc.nat({ max: 3 }), what: fc.nat({ max: FORGED_MESSAGES.length - 1 }), key, value: fc.nat({ max: 999 }) }),
  };
  return fc.oneof(
    { arbitrary: put, weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('get' as const), via: peer, key }), weight: 2 },
    ...kinds.map((k) => ({ arbitrary: byKind[k], weight: 2 })),
  );
}

export function scenarioArb(limits: ArbitraryLimits = DEFAULT_LIMITS): fc.Arbitrary<Scenario> {
  const poolSize = limits.maxInitial + 4;
  return fc
    .record({
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }).map(String),
      bits: fc.constantFrom(8, 8, 16, 32, 160),
      replicas: fc.integer({ min: 1, max: 5 }),
      initialCount: fc.integer({ min: 1, max: limits.maxInitial }),
      pool: fc.uniqueArray(fc.bigInt({ min: 0n, max: 255n }), { minLength: poolSize, maxLength: poolSize }),
      spread: fc.bigInt({ min: 0n, max: (1n << 152n) - 1n }),
      edges: fc.option(fc.array(fc.record({ slot: fc.nat({ max: poolSize - 1 }), high: fc.boolean(), off: fc.nat({ max: 2 }) }), { minLength: 1, maxLength: 4 }), { nil: null }),
      timed: ('swarm' in limits.kinds ? fc.subarray([...limits.kinds.swarm]) : fc.constant(limits.kinds.only))
        .chain((kinds) => fc.array(fc.tuple(fc.integer({ min: 0, max: limits.horizon }), rawOpArb(poolSize, kinds)), { maxLength: limits.maxOps })),
      loss: sometimes(limits.networkFaults, 0.2),
      duplicate: sometimes(limits.networkFaults, 0.1),
      streamFailure: sometimes(limits.networkFaults, 0.2),
      latencyMax: fc.integer({ min: 1, max: 40 }),
      clockSkew: sometimes(limits.networkFaults, 0.02),
    })
    .map((g): Scenario => {
      const ids = poolIds(g.pool, g.spread, g.edges ?? [], g.bits);
      const initial = ids.slice(0, g.initialCount);
      const ops = g.timed.flatMap(([at, r]) => toOps(r, at, ids, initial, g.bits)).sort((a, b) => a.at - b.at);
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

/**
 * Pool entries are 8-bit values spread over wider spaces by a shared random offset scale, so
 * that the same shrinking works whatever `bits` is; edge slots put an entry at a ring end.
 */
function poolIds(pool: readonly bigint[], spread: bigint, edges: readonly EdgeSlot[], bits: number): string[] {
  const ids = pool.map((v) => pointOfBigInt(bits === 8 ? v : (v << BigInt(bits - 8)) + (spread % (1n << BigInt(bits - 8))), bits).id);
  for (const e of edges) {
    const id = pointOfBigInt(e.high ? -1n - BigInt(e.off) : BigInt(e.off), bits).id;
    if (!ids.includes(id)) ids[e.slot] = id;
  }
  return ids;
}

function toOps(r: RawOp, at: number, ids: readonly string[], initial: readonly string[], bits: number): ScenarioOp[] {
  switch (r.kind) {
    case 'join': return [{ at, op: 'join', id: ids[r.peer], via: ids[r.via] }];
    case 'leave': return [{ at, op: 'leave', id: ids[r.peer] }];
    case 'kill': return [{ at, op: 'kill', id: ids[r.peer] }];
    case 'restart': return [{ at, op: 'restart', id: ids[r.peer], via: ids[r.via] }];
    case 'put': return [{ at, op: 'put', via: ids[r.via], key: keyName(r.key, ids, bits), value: `v${r.value}` }];
    case 'get': return [{ at, op: 'get', via: ids[r.via], key: keyName(r.key, ids, bits) }];
    case 'partition': return [{ at, op: 'partition', group: r.peers.map((p) => ids[p]), until: at + r.length }];
    case 'burst': {
      const anchor = bigIntOf(pointOfHex(ids[r.anchor]));
      return Array.from({ length: r.count }, (_, i): ScenarioOp => ({ at: at + i * r.spacing, op: 'join', id: pointOfBigInt(anchor + BigInt(i + 1), bits).id, via: ids[r.via] }));
    }
    case 'kill-after': {
      const lead = toOps(r.lead, at, ids, initial, bits);
      return [...lead, { at: at + r.delay, op: 'kill', id: victimOf(r.lead, r.victim, ids, initial, bits) }];
    }
    case 'bounce': return [{ at, op: 'kill', id: ids[r.peer] }, { at: at + r.gap, op: 'restart', id: ids[r.peer], via: ids[r.via] }];
    case 'crowd': return r.ids.map((id, i): ScenarioOp => ({ at: at + i * r.spacing, op: 'join', id: pointOfBigInt(id, bits).id, via: ids[r.via] }));
    case 'forge': {
      // At a peer of the initial ring, most of which are still alive when it comes.
      const to = initial[r.to % initial.length];
      const from = pointOfBigInt(bigIntOf(pointOfHex(to)) + (1n << BigInt(bits - 1)) + BigInt(r.off), bits).id;
      return [{ at, op: 'forge', from, to, what: FORGED_MESSAGES[r.what], key: keyName(r.key, ids, bits), value: `forged${r.value}` }];
    }
  }
}

/**
 * The peer a kill right after `lead` aims at, as far as the generator can tell who holds what
 * (by the initial ring): a put's entry peer, primary or first replica; a joiner, its successor
 * or its bootstrap peer; a leaver's heir or predecessor.
 */
function victimOf(lead: Lead, victim: number, ids: readonly string[], initial: readonly string[], bits: number): string {
  const ring = [...new Set(initial)].sort();
  // Canonical hex IDs of one width sort as their numbers do.
  const atOrAfter = (id: string, skip = 0): string => ring[(Math.max(0, ring.findIndex((q) => q >= id)) + skip) % ring.length];
  const after = (id: string): string => ring.find((q) => q > id) ?? ring[0];
  switch (lead.kind) {
    case 'put': {
      if (victim === 0) return ids[lead.via];
      return atOrAfter(keyOf(keyName(lead.key, ids, bits), bits).id, victim - 1);
    }
    case 'join':
      return victim === 0 ? ids[lead.peer] : victim === 1 ? after(ids[lead.peer]) : ids[lead.via];
    case 'leave': {
      const at = ring.indexOf(ids[lead.peer]);
      if (at < 0) return ids[lead.peer];
      return ring[(at + (victim === 1 ? ring.length - 1 : 1)) % ring.length];
    }
  }
}

/**
 * Zero half the time, else uniform in (0, max]. (fc.double spreads its values over exponents,
 * so most of them would be too small to make any difference.)
 */
function sometimes(enabled: boolean, max: number): fc.Arbitrary<number> {
  return enabled ? fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1000 }).map((i) => (i * max) / 1000)) : fc.constant(0);
}

function keyName(k: RawKey, ids: readonly string[], bits: number): string {
  const top = (1n << BigInt(bits)) - 1n;
  switch (k.kind) {
    case 'name': return KEYS[k.i];
    case 'end': return (k.high ? top : 0n).toString(10);
    case 'peer': return ((bigIntOf(pointOfHex(ids[k.peer])) + BigInt(k.delta) + top + 1n) & top).toString(10);
  }
}

/** Enough virtual time for any generated ring to settle: detection, stabilization, fingers. */
function settleLimitFor(replicas: number): number {
  const c = defaultConfig(8, replicas);
  return 40 * (c.missLimit * c.pingInterval + c.stabilizeInterval) + 160 * c.fixFingersInterval;
}
