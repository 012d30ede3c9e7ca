/**
 * The Chord paper's experiments, with this project's simulator (`npm run bench:paper`):
 *
 * 1. Path length against N = 2^4 .. 2^16 (Stoica et al., SIGCOMM 2001, Fig. 10; ToN 2003,
 *    Fig. 10): mean and 1st/99th percentile of the hops of lookups for random keys from random
 *    peers on the ideal ring, next to 1/2 log2 N. What is counted: this project's lookups are
 *    iterative, and a hop is one `find` request, from the asking peer to each peer it asks, up to
 *    the key's predecessor (whose answer names the successor); a peer whose own successor holds
 *    the key takes 0 hops. The paper counts the nodes contacted during a lookup, which is the
 *    same walk. On the ideal ring the route is fully determined (sim/routing.ts: the greedy route
 *    over ideal fingers and r successors), so every N is computed on it; up to --sim-max peers the
 *    simulator also runs the protocol itself (fingers built by repair, no faults) and its lookups'
 *    mean stands beside, which the Routing oracle requires to be that route at rest.
 * 2. Simultaneous failures (ToN 2003, Table / Fig. 12): a fraction p = 0.1 .. 0.5 of 1,000 peers
 *    killed at once, r = 1 and 3; gets of records stored before, issued in the second after the
 *    failure (before stabilization) and 30 s after it (after), and how many failed.
 * 3. Churn (a published reproduction, RingsNetwork/rings): Poisson joins, leaves and kills at
 *    0.05 .. 0.40 per second on 500 peers, failed lookups per 10,000.
 *
 * Writes a Markdown table and an SVG plot of (1) to --out (default bench-results/).
 */
import { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { integer } from '../cli/parse';
import { pointOfHex, type Point } from '../core/id';
import { generateScenario, randomId, warmupMs } from '../sim/generate';
import { successorIndex } from '../sim/invariants';
import { Rng } from '../sim/rng';
import { idealHops } from '../sim/routing';
import { runScenario } from '../sim/run';
import type { Scenario, ScenarioOp } from '../sim/scenario';
import { percentile } from '../sim/workload';

const BITS = 160;

const randomPoint = (rng: Rng): Point => pointOfHex(randomId(rng, BITS));

interface PathRow {
  readonly n: number;
  readonly mean: number;
  readonly p1: number;
  readonly p99: number;
  readonly simMean: number | null;
}

function pathLength(n: number, lookups: number, replicas: number, simMax: number): PathRow {
  const rng = new Rng(`paper-${n}`, 'ids');
  const ring = Array.from({ length: n }, () => randomPoint(rng)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const hops: number[] = [];
  for (let i = 0; i < lookups; i++) {
    const from = rng.int(n);
    const key = randomPoint(rng);
    if (successorIndex(ring, key) === from) continue;
    hops.push(idealHops(ring, from, key, BITS, replicas));
  }
  hops.sort((a, b) => a - b);
  const mean = hops.reduce((a, b) => a + b, 0) / hops.length;
  return { n, mean, p1: percentile(hops, 0.01), p99: percentile(hops, 0.99), simMean: n <= simMax ? simulatedMean(n, replicas) : null };
}

/** The protocol's own lookups on a ring of n peers without faults, after the fingers' warm-up. */
function simulatedMean(n: number, replicas: number): number {
  const scenario = generateScenario({ seed: `paper-${n}`, peers: n, bits: BITS, replicas, loss: 0, churn: 0, duration: 4_000, lookups: 400, records: 100, useCodec: false, settleLimit: 20_000 });
  return runScenario(scenario).report.lookups.meanHops;
}

interface FailureRow {
  readonly p: number;
  readonly r: number;
  readonly before: { readonly issued: number; readonly failed: number; readonly wrong: number };
  readonly after: { readonly issued: number; readonly failed: number; readonly wrong: number };
}

/** 1,000 peers, records stored, then a fraction p killed at once; gets right after, and 30 s later. */
function simultaneousFailure(p: number, r: number, peers: number, gets: number): FailureRow {
  const rng = new Rng(`paper-fail-${p}-${r}`, 'plan');
  const base = generateScenario({ seed: `paper-fail-${p}-${r}`, peers, bits: BITS, replicas: r, loss: 0, churn: 0, duration: 0, lookups: 0, records: 0, useCodec: false, settleLimit: 30_000 });
  const ids = [...base.initial];
  const t0 = warmupMs(peers);
  const ops: ScenarioOp[] = [];
  const records = 200;
  for (let i = 0; i < records; i++) ops.push({ at: t0 + i * 5, op: 'put', via: ids[rng.int(ids.length)], key: `record-${i}`, value: `value-${i}` });
  const failAt = t0 + records * 5 + 3_000;
  const victims = new Set<string>();
  while (victims.size < Math.round(p * peers)) victims.add(ids[rng.int(ids.length)]);
  for (const id of victims) ops.push({ at: failAt, op: 'kill', id });
  const alive = ids.filter((id) => !victims.has(id));
  const getsAt = (start: number) => Array.from({ length: gets }, (_, i): ScenarioOp => ({ at: start + (i * 1_000) / gets, op: 'get', via: alive[rng.int(alive.length)], key: `record-${rng.int(records)}` }));
  ops.push(...getsAt(failAt + 1), ...getsAt(failAt + 30_000));
  const scenario: Scenario = { ...base, ops, faultsUntil: failAt + 31_000 };
  const replies: { at: number; ok: boolean; wrong: boolean }[] = [];
  runScenario(scenario, {
    onReply: (ms, _peer, what, reply) => {
      if (!what.startsWith('get ')) return;
      replies.push({ at: ms, ok: reply.ok, wrong: !reply.ok && reply.error === 'not-found' });
    },
  });
  // A get's reply comes after it was issued; the two batches are 30 s apart, replies far less.
  const split = (from: number, to: number) => {
    const batch = replies.filter((x) => x.at >= from && x.at < to);
    return { issued: gets, failed: batch.filter((x) => !x.ok && !x.wrong).length + (gets - batch.length), wrong: batch.filter((x) => x.wrong).length };
  };
  return { p, r, before: split(failAt, failAt + 29_000), after: split(failAt + 30_000, Infinity) };
}

interface ChurnRow {
  readonly rate: number;
  readonly issued: number;
  readonly failed: number;
  readonly meanHops: number;
}

function churn(rate: number, peers: number, lookups: number, duration: number): ChurnRow {
  const scenario = generateScenario({ seed: `paper-churn-${rate}`, peers, bits: BITS, replicas: 3, loss: 0, churn: rate, duration, lookups, records: 200, useCodec: false, settleLimit: 30_000 });
  const l = runScenario(scenario).report.lookups;
  return { rate, issued: l.issued, failed: l.failed, meanHops: l.meanHops };
}

function svg(rows: readonly PathRow[]): string {
  const w = 640;
  const h = 400;
  const pad = 50;
  const maxLog = Math.log2(rows[rows.length - 1].n);
  const minLog = Math.log2(rows[0].n);
  const maxY = Math.max(...rows.map((r) => r.p99)) + 1;
  const x = (n: number) => pad + ((Math.log2(n) - minLog) / (maxLog - minLog)) * (w - 2 * pad);
  const y = (v: number) => h - pad - (v / maxY) * (h - 2 * pad);
  const line = (pts: readonly [number, number][], color: string, dash = '') => `<polyline fill="none" stroke="${color}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''} points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>`;
  const bars = rows.map((r) => `<line x1="${x(r.n)}" x2="${x(r.n)}" y1="${y(r.p1)}" y2="${y(r.p99)}" stroke="#888"/>`).join('');
  const ticks = rows.map((r) => `<text x="${x(r.n)}" y="${h - pad + 16}" font-size="10" text-anchor="middle">2^${Math.log2(r.n)}</text>`).join('');
  const yTicks = Array.from({ length: Math.ceil(maxY) + 1 }, (_, v) => v).filter((v) => v % 2 === 0).map((v) => `<text x="${pad - 8}" y="${y(v) + 3}" font-size="10" text-anchor="end">${v}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">
<text x="${w / 2}" y="20" text-anchor="middle" font-size="14">Lookup path length against N (mean, 1st to 99th percentile)</text>
<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="black"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="black"/>
${bars}${line(rows.map((r) => [x(r.n), y(r.mean)]), '#1f77b4')}${line(rows.map((r) => [x(r.n), y(Math.log2(r.n) / 2)]), '#d62728', '6,4')}
${rows.filter((r) => r.simMean !== null).map((r) => `<circle cx="${x(r.n)}" cy="${y(r.simMean as number)}" r="4" fill="none" stroke="#2ca02c" stroke-width="2"/>`).join('')}
${ticks}${yTicks}
<text x="${w - pad}" y="${pad}" font-size="11" text-anchor="end" fill="#1f77b4">mean hops (ideal ring)</text>
<text x="${w - pad}" y="${pad + 14}" font-size="11" text-anchor="end" fill="#d62728">1/2 log2 N</text>
<text x="${w - pad}" y="${pad + 28}" font-size="11" text-anchor="end" fill="#2ca02c">o mean hops, simulated protocol</text>
</svg>
`;
}

const o = new Command('paper')
  .option('--max-exp <k>', 'largest ring for the path lengths: 2^k peers', integer(4, 20), 16)
  .option('--lookups <n>', 'lookups per ring size', integer(10, 1e7), 10_000)
  .option('--sim-max <n>', 'largest ring the protocol itself is also simulated on', integer(0, 1e7), 4096)
  .option('--skip-failures', 'leave out the simultaneous-failure experiment')
  .option('--skip-churn', 'leave out the churn experiment')
  .option('--churn-duration <ms>', 'virtual ms of churn per rate', integer(1_000, 1e9), 100_000)
  .option('--out <dir>', 'where the table and the plot go', 'bench-results')
  .parse()
  .opts<{ maxExp: number; lookups: number; simMax: number; skipFailures?: boolean; skipChurn?: boolean; churnDuration: number; out: string }>();

const md: string[] = ['# The Chord paper\'s experiments, reproduced with this simulator', ''];
const say = (line = '') => {
  console.log(line);
  md.push(line);
};

say('## Path length against N (160-bit IDs, r = 3, ideal ring)');
say('');
say('hops = find requests from the asking peer up to the key\'s predecessor (0 when its own successor holds the key); the paper counts the nodes contacted, the same walk');
say('');
say('| N | mean | 1st pct | 99th pct | 1/2 log2 N | simulated protocol, mean |');
say('| --- | --- | --- | --- | --- | --- |');
const rows: PathRow[] = [];
for (let k = 4; k <= o.maxExp; k++) {
  const row = pathLength(2 ** k, o.lookups, 3, o.simMax);
  rows.push(row);
  say(`| 2^${k} | ${row.mean.toFixed(2)} | ${row.p1} | ${row.p99} | ${(k / 2).toFixed(1)} | ${row.simMean === null ? '' : row.simMean.toFixed(2)} |`);
}

if (!o.skipFailures) {
  say('');
  say('## Simultaneous failures: 1,000 peers, a fraction p killed at once (ToN 2003)');
  say('');
  say('gets of 200 records stored before; "before": issued over the first second after the failure, "after": 30 s later; failed = no answer after every retry, lost = answered "not found" for a stored record');
  say('');
  say('| p | r | before: failed / issued | before: lost | after: failed / issued | after: lost |');
  say('| --- | --- | --- | --- | --- | --- |');
  for (const r of [1, 3]) {
    for (const p of [0.1, 0.2, 0.3, 0.4, 0.5]) {
      const row = simultaneousFailure(p, r, 1_000, 500);
      say(`| ${p} | ${r} | ${row.before.failed} / ${row.before.issued} | ${row.before.wrong} | ${row.after.failed} / ${row.after.issued} | ${row.after.wrong} |`);
    }
  }
}

if (!o.skipChurn) {
  say('');
  say(`## Churn: 500 peers, Poisson joins, leaves and kills together at a rate per second, ${o.churnDuration / 1000} virtual s each`);
  say('');
  say('| rate /s | lookups | failed | failed per 10,000 | mean hops | rings (published): failed per 10,000 |');
  say('| --- | --- | --- | --- | --- | --- |');
  const published: Record<string, string> = { '0.05': '6', '0.4': '59' };
  for (const rate of [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4]) {
    const row = churn(rate, 500, 10_000, o.churnDuration);
    say(`| ${rate} | ${row.issued} | ${row.failed} | ${((row.failed * 10_000) / Math.max(1, row.issued)).toFixed(1)} | ${row.meanHops.toFixed(2)} | ${published[String(rate)] ?? ''} |`);
  }
}

mkdirSync(o.out, { recursive: true });
writeFileSync(join(o.out, 'paper.md'), md.join('\n') + '\n');
writeFileSync(join(o.out, 'path-length.svg'), svg(rows));
console.log(`\nwritten: ${join(o.out, 'paper.md')}, ${join(o.out, 'path-length.svg')}`);
