/**
 * Honest latency under attack: a ring of three real peer processes (`chord peer`, default
 * limits), and an honest client doing sequential puts and gets of 100-byte values through one
 * of them, alone and while a hostile client holds that peer's caps with each exhaustion probe
 * (bench/probes.ts), alternating quiet and hostile passes. Reports the median over --runs of
 * each pass's p50 and p99, and the ratio of the hostile p99 to the quiet one beside it (target:
 * within 2x). Failed operations are counted apart, not timed.
 *
 * Run: npm run build && node dist/bench/hostile-load.js [--ops 100] [--runs 3] [--only NAME]
 */
import { Command } from 'commander';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { integer } from '../cli/parse';
import { ask } from '../runtime-node/client';
import { ChordProcess, sleep, type Cleanup } from '../runtime-node/test-support';
import { PROBES, type Probe } from './probes';
import { median } from './stats';

const BANNER = /^peer \d+ at (\S+) /;

async function startPeer(cleanup: Cleanup, join?: string): Promise<string> {
  const peer = new ChordProcess(cleanup, ['peer', '--bits', '16', '--port', '0', ...(join ? ['--join', join] : [])]);
  const line = await peer.waitLine(BANNER, 10_000);
  return BANNER.exec(line.text)![1];
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

interface Pass {
  readonly p50: number;
  readonly p99: number;
  readonly failed: number;
  /** Why the first failed one did. */
  readonly why: string | null;
}

/** `ops` puts then `ops` gets of what they put, one at a time, through `addr`. */
async function honest(addr: string, ops: number, tag: string): Promise<Pass> {
  const ms: number[] = [];
  let failed = 0;
  let why: string | null = null;
  const fail = (reason: string) => {
    failed++;
    why ??= reason;
  };
  const value = Buffer.alloc(100, 7);
  const once = async (req: Parameters<typeof ask>[1]) => {
    const t0 = performance.now();
    try {
      const r = await ask(addr, req, 10_000);
      if (r.t === 'error') fail(r.error);
      else ms.push(performance.now() - t0);
    } catch (e) {
      fail((e as Error).message);
    }
  };
  for (let i = 0; i < ops; i++) await once({ t: 'put', key: `${tag}-${i}`, value });
  for (let i = 0; i < ops; i++) await once({ t: 'get', key: `${tag}-${i}` });
  ms.sort((a, b) => a - b);
  return { p50: ms.length > 0 ? percentile(ms, 0.5) : NaN, p99: ms.length > 0 ? percentile(ms, 0.99) : NaN, failed, why };
}

async function hostilePass(addr: string, probe: Probe, ops: number, tag: string): Promise<Pass & { what: string }> {
  const sockets: Socket[] = [];
  try {
    const attack = await probe.start(addr, sockets);
    try {
      return { ...(await honest(addr, ops, tag)), what: attack.describe() };
    } finally {
      attack.stop();
    }
  } finally {
    for (const s of sockets) s.destroy();
    // The peer closes what the attack left, its timers let go of the rest.
    await sleep(2000);
  }
}

const f = (ms: number): string => `${ms.toFixed(1)} ms`;

async function main(o: { ops: number; runs: number; only?: string }): Promise<void> {
  const cleanups: (() => void)[] = [];
  const cleanup: Cleanup = { teardown: (fn) => cleanups.push(fn) };
  try {
    const first = await startPeer(cleanup);
    await startPeer(cleanup, first);
    await startPeer(cleanup, first);
    // The ring settles and the first peer holds its range (puts refused as not ready before).
    await sleep(8000);
    console.log(`honest sequential puts and gets (${o.ops} each, 100 B) through one of 3 peer processes, alone and under each probe; medians of ${o.runs} runs:`);
    for (const probe of PROBES.filter((p) => o.only === undefined || p.name.startsWith(o.only))) {
      const quiet: Pass[] = [];
      const hostile: (Pass & { what: string })[] = [];
      for (let i = 0; i < o.runs; i++) {
        quiet.push(await honest(first, o.ops, `quiet-${probe.name}-${i}`));
        hostile.push(await hostilePass(first, probe, o.ops, `hostile-${probe.name}-${i}`));
      }
      const q99 = median(quiet.map((p) => p.p99));
      const h99 = median(hostile.map((p) => p.p99));
      const failed = (ps: readonly Pass[]) => {
        const n = ps.reduce((sum, p) => sum + p.failed, 0);
        return n === 0 ? '0' : `${n} (${ps.find((p) => p.why !== null)?.why})`;
      };
      console.log(`  ${probe.name.padEnd(24)} quiet p50 ${f(median(quiet.map((p) => p.p50)))} p99 ${f(q99)}; hostile p50 ${f(median(hostile.map((p) => p.p50)))} p99 ${f(h99)}; p99 ratio ${(h99 / q99).toFixed(2)}; failed ${failed(quiet)} quiet, ${failed(hostile)} hostile (${hostile[hostile.length - 1].what})`);
    }
  } finally {
    for (const fn of cleanups) fn();
  }
}

new Command('hostile-load')
  .option('--ops <n>', 'puts (and as many gets) per pass', integer(10, 100_000), 100)
  .option('--runs <n>', 'quiet and hostile passes per probe', integer(1, 100), 3)
  .option('--only <name>', 'run only the probes whose name starts with this')
  .action((o: { ops: number; runs: number; only?: string }) => main(o))
  .parseAsync()
  .catch((e: unknown) => {
    console.error(`bench: ${(e as Error).message}`);
    process.exitCode = 1;
  });
