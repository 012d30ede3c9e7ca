/**
 * One simulated run, start to report: the scenario's faulty phase, then settling, then the data
 * check and the checks at quiescence.
 *
 * "The faults stopped" means the scenario is quiet: past faultsUntil, past its last operation
 * and past the heal of its last partition. Settling is measured from there, because an operation
 * or a partition after faultsUntil disturbs the ring just as much as one before it.
 */
import { cmp } from '../core/id';
import type { Config } from '../core/types';
import { idealRingViolations, replicaUnrest, replicaViolations } from './invariants';
import { repairWindow } from './faults';
import { routingViolations } from './routing';
import { scheduleScenario } from './ops';
import type { SimPeer } from './peer';
import type { PeerReport, RunReport } from './report';
import type { Scenario } from './scenario';
import { ringReport } from './summary';
import { World, type WorldOptions } from './world';

export type RunOptions = WorldOptions;

export interface SimResult {
  readonly report: RunReport;
  /** A partition outlasted failure detection: the ideal-ring and data guarantees are conditional. */
  readonly partitioned: boolean;
  /** Every machine's last state, by id, one at a time (the report leaves them out). */
  peerReports(): Iterable<PeerReport>;
}

/** Virtual ms between ideal-ring checks while settling. */
const SETTLE_CHECK_EVERY = 500;

export function runScenario(s: Scenario, opts: RunOptions = {}): SimResult {
  const wallStart = performance.now();
  const world = new World(s, opts);
  scheduleScenario(world, s);
  const quiet = quietTime(s);
  world.runUntil(quiet);
  const settledAfterMs = settle(world, quiet, s.settleLimit);
  // What is demanded at rest holds only if the run stayed within the failure model.
  const inModel = world.faults.assumptionHeld;
  if (settledAfterMs === null) noConvergence(world, s.settleLimit, inModel);
  checkRecords(world, inModel);
  lookupsWithoutFaults(world, s);
  if (settledAfterMs !== null) probeLiveness(world, inModel);
  const at = world.now;
  world.checks.record(world.checks.counted(idealRingViolations(world.peers)), at, inModel);
  world.checks.record(world.checks.counted(replicaViolations(world.peers, world.workload.ackedRecords(), s.replicas)), at, inModel);
  world.checks.record(world.checks.counted(routingViolations(world.peers, world.workload.routes)), at, inModel);
  const wallMs = performance.now() - wallStart;
  return { report: report(world, s, settledAfterMs, wallMs), partitioned: world.faults.partitioned, peerReports: () => ringReport(world.peers) };
}

/**
 * Liveness, as TigerBeetle's VOPR demands it: once the faults are over (the network healed, the
 * losses stopped, the last operation done) the ring must reach its ideal state, with every
 * record on its holders in one version, within the scenario's settle budget.
 */
function noConvergence(world: World, budget: number, inModel: boolean): void {
  const why = world.checks.counted(idealRingViolations(world.peers))[0]
    ?? world.checks.counted(replicaUnrest(world.peers, world.workload.ackedRecords(), world.cfg.replicas))[0];
  const detail = `not at rest ${budget} virtual ms after the faults stopped${why === undefined ? '' : `: ${why.detail}`}`;
  world.checks.add({ invariant: 'Liveness', kind: 'no-convergence', detail }, world.now, inModel);
}

/**
 * A network that loses, duplicates, breaks and cuts nothing, on a ring that nobody joined, left or
 * killed for a repair window before, gives every lookup its answer: a workload request that failed
 * there (but at a peer that was not a member, or left meanwhile) is a routing or hand-off bug,
 * not bad luck. (Under churn, a request may run out of retries while the ring is still moving;
 * the puts and gets at rest then demand that every key works again.)
 */
function lookupsWithoutFaults(world: World, s: Scenario): void {
  const n = s.network;
  const faultFree = n.loss === 0 && n.duplicate === 0 && n.streamFailure === 0 && !world.faults.everCut && world.faults.assumptionHeld;
  if (!faultFree) return;
  const window = repairWindow(world.cfg);
  for (const f of world.workload.failures) {
    if (!world.faults.churnBetween(f.issued - window, f.at)) world.checks.add({ ...f, kind: 'failed-without-faults' }, f.at, true);
  }
}

function quietTime(s: Scenario): number {
  let quiet = s.faultsUntil;
  for (const op of s.ops) {
    const end = op.op === 'partition' ? Math.max(op.at, op.until) : op.at;
    if (Number.isFinite(end) && end > quiet) quiet = end;
  }
  return quiet;
}

/**
 * Runs until quiescence, or the limit: the ring is ideal and every acknowledged record's holders
 * agree on one version. Returns how long that took, null if never.
 */
function settle(world: World, quiet: number, limit: number): number | null {
  const end = quiet + (limit > 0 ? limit : 0);
  // Datagrams lost just before the quiet time still count as misses for one detection period,
  // and their consequences take a repair window to mend: judging earlier would see a calm that
  // is not yet the end of the story.
  for (let t = Math.min(quiet + repairWindow(world.cfg), end); ; t = Math.min(t + SETTLE_CHECK_EVERY, end)) {
    world.runUntil(t);
    const atRest = world.checks.counted(idealRingViolations(world.peers)).length === 0
      && world.checks.counted(replicaUnrest(world.peers, world.workload.ackedRecords(), world.cfg.replicas)).length === 0;
    if (atRest) return t - quiet;
    if (t >= end) return null;
  }
}

/**
 * The longest a read can take: every attempt walking the most hops and every hop timing out.
 * A read not answered by then never will be.
 */
function readLimit(cfg: Config): number {
  return cfg.opAttempts * (cfg.maxHops + 1) * cfg.rpcTimeout;
}

/** Reads every acknowledged record once, from the live peers in turn, and counts what is lost. */
function checkRecords(world: World, inModel: boolean): void {
  const readers = world.peers.filter((p) => p.alive).sort((a, b) => cmp(a.self, b.self));
  for (const read of world.workload.beginCheck(readers.map((p) => p.self.id))) {
    world.command(world.peerAt(read.peer) as SimPeer, { op: 'get', rid: read.rid, key: read.key });
  }
  world.runUntil(world.now + readLimit(world.cfg), () => world.workload.checking === 0);
  world.workload.finish();
  for (const loss of world.workload.losses) world.checks.add({ invariant: 'Data', kind: 'lost', detail: `record "${loss.name}": ${loss.why}` }, world.now, inModel);
  for (const bad of world.workload.badReads) world.checks.add(bad, bad.at, true);
}

/** Once at rest, every key takes a new write and returns it (see Workload.beginProbePuts). */
function probeLiveness(world: World, inModel: boolean): void {
  const peers = world.peers.filter((p) => p.alive).sort((a, b) => cmp(a.self, b.self)).map((p) => p.self.id);
  if (peers.length === 0) return;
  for (const put of world.workload.beginProbePuts(peers)) {
    world.command(world.peerAt(put.peer) as SimPeer, { op: 'put', rid: put.rid, key: put.key, value: put.value });
  }
  world.runUntil(world.now + readLimit(world.cfg), () => world.workload.probing === 0);
  for (const get of world.workload.beginProbeGets(peers)) {
    world.command(world.peerAt(get.peer) as SimPeer, { op: 'get', rid: get.rid, key: get.key });
  }
  world.runUntil(world.now + readLimit(world.cfg), () => world.workload.probing === 0);
  world.workload.finish();
  for (const why of world.workload.stuck) world.checks.add({ invariant: 'Liveness', kind: 'stuck-at-rest', detail: why }, world.now, inModel);
}

function report(world: World, s: Scenario, settledAfterMs: number | null, wallMs: number): RunReport {
  const w = world.workload;
  const hops = w.hopStats();
  const f = world.faults;
  return {
    seed: s.seed,
    peers: world.peers.length,
    bits: s.bits,
    replicas: s.replicas,
    virtualMs: Math.round(world.now),
    events: world.events,
    wallMs: Math.round(wallMs),
    eventsPerSec: wallMs > 0 ? Math.round((world.events * 1000) / wallMs) : 0,
    traceHash: world.trace.digest,
    settledAfterMs,
    lookups: { issued: w.issued, succeeded: w.succeeded, notFound: w.notFound, failed: w.failed, meanHops: hops.mean, p99Hops: hops.p99 },
    records: { acknowledged: w.acknowledged, readable: w.readable, lost: w.lost },
    faults: { joins: f.joins, leaves: f.leaves, kills: f.kills, assumptionHeld: f.assumptionHeld, falseAlarms: f.falseAlarms, strandedByFalseAlarm: f.strandedByFalseAlarm },
    invariants: { checked: world.checks.checked, violations: world.checks.violations },
    alive: world.peers.filter((p) => p.alive).length,
  };
}
