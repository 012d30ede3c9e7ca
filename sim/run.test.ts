/** End to end: the real core on the simulator, the seed's seven peers. */
import test from 'ava';
import { runScenario, type RunOptions } from './run';
import type { Scenario, ScenarioOp } from './scenario';

const hex = (n: number): string => n.toString(16).padStart(2, '0');
const SEED_RING = [2, 4, 5, 8, 9, 14, 19].map(hex);
const KEYS = ['7', '42', '130', '200', '250', 'report.pdf'];

function scenario(extra: Partial<Scenario> = {}): Scenario {
  const ops: ScenarioOp[] = [
    ...KEYS.map((key, i): ScenarioOp => ({ at: 1_000 + 100 * i, op: 'put', via: SEED_RING[i % 7], key, value: `value of ${key}` })),
    ...KEYS.map((key, i): ScenarioOp => ({ at: 2_000 + 100 * i, op: 'get', via: SEED_RING[(i + 3) % 7], key })),
    { at: 3_000, op: 'kill', id: hex(8) },
    { at: 5_000, op: 'leave', id: hex(14) },
    ...KEYS.map((key, i): ScenarioOp => ({ at: 9_000 + 100 * i, op: 'get', via: hex(19), key })),
  ];
  return {
    seed: 'e2e',
    bits: 8,
    replicas: 3,
    initial: SEED_RING,
    timing: {},
    network: { latencyMin: 1, latencyMax: 20, loss: 0.05, duplicate: 0.05, streamFailure: 0, clockSkew: 0.01 },
    ops,
    faultsUntil: 8_000,
    settleLimit: 20_000,
    useCodec: true,
    ...extra,
  };
}

test('the seed ring survives a kill and a leave with every record readable', (t) => {
  const { report, partitioned, peerReports } = runScenario(scenario(), { checkSafety: true });
  const ring = [...peerReports()];
  t.deepEqual(report.invariants.violations, []);
  // Safety is checked after every event that changes a successor list, a phase or liveness.
  t.true(report.invariants.checked > 100);
  t.is(report.lookups.issued, 18);
  t.is(report.lookups.succeeded, 18);
  t.deepEqual(report.records, { acknowledged: 6, readable: 6, lost: 0 });
  t.like(report.faults, { joins: 0, leaves: 1, kills: 1, assumptionHeld: true, strandedByFalseAlarm: false });
  t.not(report.settledAfterMs, null);
  t.false(partitioned);
  t.is(report.alive, 5);
  t.deepEqual(ring.filter((p) => p.alive).map((p) => p.id), ['2', '4', '5', '9', '19']);
  t.deepEqual(ring.find((p) => p.id === '2')?.successors, ['4', '5', '9']);
});

test('the same scenario gives the same trace and report', (t) => {
  const lines: string[] = [];
  const a = runScenario(scenario(), { trace: (l) => lines.push(l) }).report;
  const b = runScenario(scenario()).report;
  t.regex(a.traceHash, /^[0-9a-f]{16}$/);
  t.is(a.traceHash, b.traceHash);
  t.deepEqual({ ...a, wallMs: 0, eventsPerSec: 0 }, { ...b, wallMs: 0, eventsPerSec: 0 });
  t.true(lines.length > 1000);
  t.not(runScenario(scenario({ seed: 'other' })).report.traceHash, a.traceHash);
});

test('the wire codec is transparent to the run', (t) => {
  t.is(runScenario(scenario({ useCodec: false })).report.traceHash, runScenario(scenario()).report.traceHash);
});

test('operations on peers in the wrong state are skipped and traced', (t) => {
  const lines: string[] = [];
  const ops: ScenarioOp[] = [
    { at: 500, op: 'kill', id: hex(8) },
    { at: 600, op: 'kill', id: hex(8) },
    { at: 700, op: 'join', id: hex(4), via: hex(2) },
    { at: 800, op: 'join', id: hex(30), via: hex(8) },
    { at: 900, op: 'restart', id: hex(31), via: hex(2) },
    { at: 1000, op: 'put', via: hex(8), key: 'a', value: 'x' },
    { at: 1100, op: 'leave', id: 'zz' },
    { at: 1200, op: 'restart', id: hex(8), via: hex(2) },
  ];
  const { report } = runScenario(scenario({ ops, faultsUntil: 2_000 }), { trace: (l) => lines.push(l) });
  t.is(lines.filter((l) => l.includes(' skip ')).length, 6);
  t.like(report.faults, { joins: 1, leaves: 0, kills: 1, assumptionHeld: true, strandedByFalseAlarm: false });
  t.deepEqual(report.invariants.violations, []);
});

test('a partition longer than failure detection is reported', (t) => {
  const ops: ScenarioOp[] = [{ at: 1_000, op: 'partition', group: [hex(2), hex(4)], until: 4_000 }];
  const { report, partitioned } = runScenario(scenario({ ops }));
  t.true(partitioned);
  t.deepEqual(report.invariants.violations, []);
});

test('a joiner that copies a one-entry list naming a leaving peer is told where to go: a graceful leave strands nobody', (t) => {
  // Shrunk by the membership property: with r = 1 peer 05 joins through 04 and copies 04's list
  // [c4] just as c4 leaves. This used to leave 05 with no live successor when c4 stopped, and
  // the run was counted outside the failure model; the leaver now lingers and answers 05's
  // rectify with its successors.
  const scenario: Scenario = {
    seed: '0', bits: 8, replicas: 1, initial: ['c4', '00', '04'], timing: {},
    network: { latencyMin: 1, latencyMax: 2, loss: 0, duplicate: 0, streamFailure: 0, clockSkew: 0 },
    ops: [{ at: 0, op: 'leave', id: 'c4' }, { at: 0, op: 'join', id: '05', via: '04' }],
    faultsUntil: 1000, settleLimit: 120_000, useCodec: true,
  };
  const { report } = runScenario(scenario, { checkSafety: true });
  t.true(report.faults.assumptionHeld);
  t.not(report.settledAfterMs, null);
  t.deepEqual(report.invariants.violations, []);
});

test('a write acknowledged on a side smaller than r has only that side\'s copies: losing the side at the heal is outside the failure model, after a repair window it is not', (t) => {
  // Shrunk by the churn property (FC_SEED=32, 1,500 runs): with r = 2, peer 01 is cut off alone
  // past failure detection, acknowledges a put as a ring of one (one copy), and is killed 21 ms
  // after the heal, before the rings merge: the record is gone with its only holder.
  const at = (kill: number): Scenario => ({
    seed: '0', bits: 8, replicas: 2, initial: ['00', '02', '01'], timing: {},
    network: { latencyMin: 1, latencyMax: 38, loss: 0, duplicate: 0, streamFailure: 0, clockSkew: 0.00002 },
    ops: [{ at: 0, op: 'partition', group: ['01'], until: 2080 }, { at: 0, op: 'put', via: '01', key: 'alpha', value: 'v0' }, { at: kill, op: 'kill', id: '01' }],
    faultsUntil: kill + 1000, settleLimit: 120_000, useCodec: true,
  });
  const early = runScenario(at(2101), { checkSafety: true }).report;
  t.false(early.faults.assumptionHeld);
  t.is(early.records.lost, 1);
  t.deepEqual(early.invariants.violations.filter((v) => v.invariant !== 'Data'), []);
  // A repair window after the heal the merged ring holds the record on two peers.
  const late = runScenario(at(2080 + 5300 + 1), { checkSafety: true }).report;
  t.true(late.faults.assumptionHeld);
  t.deepEqual(late.records, { acknowledged: 1, readable: 1, lost: 0 });
  t.deepEqual(late.invariants.violations, []);
});

test('a leaver cut off from every neighbour for longer than its rounds takes its records along, says so, and counts as a kill', (t) => {
  // With r = 1, 7b holds the only copy of "39" and leaves just after a partition cuts it off
  // alone; its successor and its predecessor (the last heir) cannot be reached for 8.5 s.
  const cut = (until: number): Scenario => ({
    seed: '0', bits: 8, replicas: 1, initial: ['1e', '7b', '22', '00', '26', 'c1'], timing: {},
    network: { latencyMin: 1, latencyMax: 1, loss: 0, duplicate: 0, streamFailure: 0, clockSkew: 0 },
    ops: [{ at: 0, op: 'put', via: '1e', key: '39', value: 'v0' }, { at: 500, op: 'partition', group: ['7b'], until }, { at: 506, op: 'leave', id: '7b' }],
    faultsUntil: until + 1000, settleLimit: 120_000, useCodec: true,
  });
  const leaves: string[] = [];
  const onReply: RunOptions['onReply'] = (_ms, _peer, what, reply) => {
    if (what === 'leave') leaves.push(reply.ok && reply.op === 'leave' ? `kept ${reply.kept}` : 'failed');
  };
  const long = runScenario(cut(9_000), { checkSafety: true, onReply }).report;
  t.deepEqual(leaves, ['kept 1']);
  t.false(long.faults.assumptionHeld);
  t.deepEqual([long.faults.leaves, long.faults.kills], [1, 0]);
  t.is(long.records.lost, 1);
  t.deepEqual(long.invariants.violations.filter((v) => v.invariant !== 'Data'), []);
  // Cut off for less than its rounds, it hands over once the partition heals.
  leaves.length = 0;
  const short = runScenario(cut(3_000), { checkSafety: true, onReply }).report;
  t.deepEqual(leaves, ['kept 0']);
  t.true(short.faults.assumptionHeld);
  t.deepEqual(short.records, { acknowledged: 1, readable: 1, lost: 0 });
  t.deepEqual(short.invariants.violations, []);
});

test('a leave that gives up while an heir was alive and reachable is a HandOver violation, unless the leaver was the last member', (t) => {
  // An rpcTimeout shorter than one hop (20 ms) makes every round time out before the heir's
  // acknowledgement can arrive, on a network that loses nothing.
  const ring = (initial: string[]): Scenario => ({
    seed: '0', bits: 8, replicas: 1, initial, timing: { rpcTimeout: 1 },
    network: { latencyMin: 20, latencyMax: 20, loss: 0, duplicate: 0, streamFailure: 0, clockSkew: 0 },
    ops: [{ at: 0, op: 'put', via: '80', key: '39', value: 'v0' }, { at: 1_000, op: 'leave', id: '80' }],
    faultsUntil: 2_000, settleLimit: 120_000, useCodec: true,
  });
  const two = runScenario(ring(['10', '80']), { checkSafety: true }).report;
  t.deepEqual(two.invariants.violations.map((v) => [v.invariant, v.detail]), [['HandOver', '80 left with 1 record(s) no neighbour acknowledged']]);
  const last = runScenario(ring(['80']), { checkSafety: true }).report;
  t.deepEqual(last.invariants.violations.filter((v) => v.invariant === 'HandOver'), []);
  t.false(last.faults.assumptionHeld);
});

test('a false alarm that leaves a full successor list no live entry ends the safety checks, not the checks at rest', (t) => {
  // First shrunk by the churn property (FC_SEED=84, 3,000 runs): with r = 2, c4's list was
  // [03, 04]; 03 had just been killed and not yet noticed when failed connections made c4 declare
  // the live 04 gone, leaving it no live successor. Zave's invariants assume only dead peers are
  // dropped; no protocol can tell this apart from 04 dying. The protocol has changed since, so
  // this is the same ring and kill on a far worse network (a fifth of all datagrams lost and 30%
  // of all stream sends failing), over 256 run seeds: which of them strand a peer changes with
  // every protocol change (4 of the first 32 did once, none do since failed finger lookups move
  // on; 11 of 256 then; 21 now, counting false alarms in a row faster than a refill, see
  // FaultLog.falseAlarm), so the test asks for some, and for all of them to end only the safety
  // checks.
  const scenario = (seed: number): Scenario => ({
    seed: String(seed), bits: 8, replicas: 2, initial: ['3b', '03', 'a1', 'c4', '04'], timing: {},
    network: { latencyMin: 1, latencyMax: 6, loss: 0.2, duplicate: 0, streamFailure: 0.3, clockSkew: 0 },
    ops: [{ at: 0, op: 'put', via: '3b', key: 'alpha', value: 'v' }, { at: 6_000, op: 'kill', id: '03' }],
    faultsUntil: 8_000, settleLimit: 120_000, useCodec: true,
  });
  const stranded = Array.from({ length: 256 }, (_, seed) => runScenario(scenario(seed), { checkSafety: true }).report)
    .filter((report) => report.faults.strandedByFalseAlarm);
  t.true(stranded.length >= 1);
  for (const report of stranded) {
    t.true(report.faults.falseAlarms >= 1);
    t.true(report.faults.assumptionHeld);
    t.deepEqual(report.invariants.violations, []);
    t.not(report.settledAfterMs, null);
  }
});
