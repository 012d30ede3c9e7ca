/**
 * Simulator throughput and memory, as medians of several runs, each beside a baseline measured
 * in the same process right before it: a fixed run of the event queue alone (push and pop of
 * random times). The machine is shared and noisy; the ratio of the two moves far less than
 * either figure does.
 *
 * Run: npm run build && node dist/bench/sim-throughput.js [--peers 1000,10000] [--runs 3] [--duration 5000]
 */
import { Command } from 'commander';
import { performance } from 'node:perf_hooks';
import { generateScenario } from '../sim/generate';
import { EventQueue } from '../sim/heap';
import { runScenario } from '../sim/run';
import { integer } from '../cli/parse';

interface Sample {
  readonly eventsPerSec: number;
  readonly baselinePerSec: number;
  readonly heapMiB: number;
}

/** Queue operations per second on a queue of `size` events, the simulator's own hot structure. */
function baseline(size: number): number {
  const q = new EventQueue<number>();
  let x = 1;
  const next = () => (x = (x * 48271) % 2147483647) / 2147483647;
  for (let i = 0; i < size; i++) q.push(next() * 1000, i);
  const ops = 2_000_000;
  const start = performance.now();
  for (let i = 0; i < ops; i++) {
    const t = q.peekTime();
    q.pop();
    q.push(t + next() * 1000, i);
  }
  return (ops * 1000) / (performance.now() - start);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function measure(peers: number, duration: number, codec: boolean): Sample {
  const scenario = generateScenario({ seed: 'bench', peers, bits: 160, replicas: 3, loss: 0.02, churn: 0.5, duration, lookups: 200, records: 100, useCodec: codec, settleLimit: 20_000 });
  const baselinePerSec = baseline(peers * 20);
  const { report } = runScenario(scenario);
  return { eventsPerSec: report.eventsPerSec, baselinePerSec, heapMiB: process.memoryUsage().heapUsed / 2 ** 20 };
}

const o = new Command('sim-throughput')
  .option('--peers <list>', 'ring sizes, comma-separated', '1000,10000')
  .option('--runs <n>', 'runs per configuration (the median is reported)', integer(1, 99), 3)
  .option('--duration <ms>', 'virtual ms of the faulty phase', integer(0, 1e9), 5_000)
  .parse()
  .opts<{ peers: string; runs: number; duration: number }>();

console.log('peers  codec  events/s (median)  baseline queue ops/s  ratio   heap MiB after run');
for (const peers of o.peers.split(',').map(Number)) {
  for (const codec of [false, true]) {
    const samples = Array.from({ length: o.runs }, () => measure(peers, o.duration, codec));
    const eps = median(samples.map((s) => s.eventsPerSec));
    const base = median(samples.map((s) => s.baselinePerSec));
    const ratio = median(samples.map((s) => s.eventsPerSec / s.baselinePerSec));
    const heap = median(samples.map((s) => s.heapMiB));
    console.log(`${String(peers).padStart(5)}  ${codec ? 'yes' : 'no '}    ${Math.round(eps).toString().padStart(12)}        ${Math.round(base).toString().padStart(12)}    ${ratio.toFixed(4)}  ${heap.toFixed(0).padStart(8)}`);
  }
}
