/**
 * `chord demo` (what `npm start` runs until real peers land): the seed's walk-through on a
 * simulated ring of its seven peers (2, 4, 5, 8, 9, 14, 19 in an 8-bit space) with r = 3:
 * records stored and read through different peers, peer 25 joining via peer 4, a graceful quit,
 * a kill, every protocol event printed as it happens, then the final report.
 */
import { Command } from 'commander';
import { describeError } from '../core/errors';
import { pointOfBigInt, decimalOf } from '../core/id';
import { leftReason } from '../core/leave';
import type { Peer, Reply } from '../core/types';
import { runScenario } from '../sim/run';
import type { Scenario, ScenarioOp } from '../sim/scenario';
import { defaultNetwork } from '../sim/generate';
import { describeEvent, peerList } from './describe';
import { finishRun, summary } from './sim-command';

const SEED_RING = [2, 4, 5, 8, 9, 14, 19];
const SURVIVORS = [2, 4, 5, 9, 19, 25];
const FILES = ['7', '42', '130', '200', '250', 'report.pdf'];

export function demoScenario(seed: string): Scenario {
  const id = (n: number) => pointOfBigInt(BigInt(n), 8).id;
  const ops: ScenarioOp[] = [
    ...FILES.map((key, i): ScenarioOp => ({ at: 1_000 + 100 * i, op: 'put', via: id(SEED_RING[i % 3]), key, value: `contents of ${key}` })),
    { at: 3_000, op: 'join', id: id(25), via: id(4) },
    ...FILES.map((key, i): ScenarioOp => ({ at: 6_000 + 100 * i, op: 'get', via: id(25), key })),
    { at: 8_000, op: 'leave', id: id(14) },
    { at: 10_000, op: 'kill', id: id(8) },
    ...FILES.map((key, i): ScenarioOp => ({ at: 16_000 + 100 * i, op: 'get', via: id(SURVIVORS[i % SURVIVORS.length]), key })),
  ];
  return {
    seed, bits: 8, replicas: 3, initial: SEED_RING.map(id), timing: {}, network: defaultNetwork(0),
    ops, faultsUntil: 17_000, settleLimit: 30_000, useCodec: true,
  };
}

export function demoCommand(): Command {
  return new Command('demo')
    .description("the seed's walk-through on a simulated ring of its seven peers, printing every protocol event")
    .option('--seed <seed>', 'run seed', 'demo')
    .option('--quiet', 'print only the operations and the final report')
    .action((o: { seed: string; quiet?: boolean }) => {
      const at = (ms: number) => `${(ms / 1000).toFixed(3).padStart(7)}s`;
      const who = (p: Peer) => `peer ${decimalOf(p).padStart(3)}`;
      const { report, peerReports } = runScenario(demoScenario(o.seed), {
        checkSafety: true,
        onLog: o.quiet ? undefined : (ms, p, event) => console.log(`${at(ms)}  ${who(p)}  ${describeEvent(event)}`),
        onReply: (ms, p, what, reply) => console.log(`${at(ms)}  ${who(p)}  ${what}: ${describeReply(reply)}`),
      });
      console.log('\nfinal ring:');
      for (const p of [...peerReports()].filter((q) => q.alive)) {
        console.log(`  peer ${p.id.padStart(3)}: successors ${p.successors.join(',')}, predecessor ${p.predecessor ?? 'none'}, ${p.records} records`);
      }
      console.log('');
      console.log(summary(report));
      finishRun('demo', report, false);
    });
}

function describeReply(r: Reply): string {
  if (!r.ok) return `FAILED (${describeError(r.error)})`;
  switch (r.op) {
    case 'put': return `stored as version ${r.version} on ${peerList(r.holders)} (${r.hops} hops)`;
    case 'get': return `found "${new TextDecoder().decode(r.rec.value)}" at ${decimalOf(r.holder)} (${r.hops} hops)`;
    case 'leave': return leftReason(r.kept, r.told);
  }
}
