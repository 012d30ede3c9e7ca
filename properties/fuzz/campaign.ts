/**
 * A fuzz campaign: worker threads run the plan's scenarios until the time or the runs are up
 * (or too many failures); the main thread shows progress, decides which failures to shrink (the
 * first of each signature; later ones are only counted), writes each shrunk failure to the
 * corpus, and sums up. A case that runs past its time limit is a hang: its worker is replaced
 * and the case is saved as it was generated.
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { signatureOf } from '../../sim/checks';
import { caseAt } from '../ring-properties';
import type { CaseStats, ShrunkFailure } from './case';
import { saveEntry, type FoundAt } from './corpus';
import type { FromWorker, PlanData, ToWorker } from './messages';
import { formatDuration, Plan } from './plan';
import { Progress } from './progress';

export interface CampaignOptions {
  readonly plan: PlanData;
  readonly workers: number;
  /** Run this many scenarios of the shard, or go on for `timeMs`. */
  readonly runs: number | null;
  readonly timeMs: number | null;
  readonly maxFailures: number;
  readonly shrinkMs: number;
  readonly caseTimeoutMs: number;
  readonly corpus: string;
  /** Called with each finished scenario (for --json-lines). */
  readonly onCase?: (c: CaseStats & { readonly g: number }) => void;
  /** The live line and failure lines; null for none. */
  readonly progress: Progress | null;
}

export interface SignatureSummary {
  readonly signature: string;
  count: number;
  /** Corpus file of its shrunk case, null until written. */
  file: string | null;
  firstSeed: number;
  firstGenerator: string;
  size: string | null;
}

export interface GeneratorSummary {
  scenarios: number;
  failed: number;
  /** Wall ms spent in its cases, summed over workers. */
  wallMs: number;
}

export interface CampaignSummary {
  readonly ok: boolean;
  readonly seed: string;
  readonly shard: string;
  readonly workers: number;
  readonly generators: readonly string[];
  readonly scenarios: number;
  readonly failed: number;
  readonly elapsedMs: number;
  readonly perSecond: number;
  readonly perWorker: readonly { readonly worker: number; readonly scenarios: number }[];
  readonly byGenerator: Readonly<Record<string, GeneratorSummary & { readonly perSecondPerWorker: number }>>;
  readonly determinismChecked: number;
  /** Runs with violations outside the failure model (expected, no failures). */
  readonly outsideModel: number;
  readonly signatures: readonly SignatureSummary[];
  /** For each signature, the scenarios in which it fired at all (first or not). */
  readonly fired: Readonly<Record<string, number>>;
  /** Why the campaign stopped. */
  readonly stopped: 'runs' | 'time' | 'max-failures' | 'interrupted';
  readonly corpus: string;
}

interface Slot {
  worker: Worker;
  scenarios: number;
  /** The case under way, for the hang watchdog. */
  current: { j: number; g: number; generator: string; seed: number; since: number } | null;
  done: boolean;
}

const WORKER_FILE = join(__dirname, `worker${__filename.endsWith('.ts') ? '.ts' : '.js'}`);

export async function runCampaign(o: CampaignOptions): Promise<CampaignSummary> {
  const plan = new Plan(o.plan.seed, o.plan.shard, o.plan.generators, o.plan.determinism);
  const shardText = `${o.plan.shard.index}/${o.plan.shard.count}`;
  const start = performance.now();
  const slots: Slot[] = [];
  const signatures = new Map<string, SignatureSummary>();
  const byGenerator: Record<string, GeneratorSummary> = {};
  for (const g of o.plan.generators) byGenerator[g] = { scenarios: 0, failed: 0, wallMs: 0 };
  const fired: Record<string, number> = {};
  let scenarios = 0;
  let failed = 0;
  let twice = 0;
  let outside = 0;
  let stopped: CampaignSummary['stopped'] = o.runs !== null ? 'runs' : 'time';
  let stopRequested = false;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => { finish = resolve; });

  const elapsed = (): number => performance.now() - start;
  const stopAll = (why: CampaignSummary['stopped']): void => {
    if (stopRequested) return;
    stopRequested = true;
    stopped = why;
    for (const s of slots) s.worker.postMessage({ type: 'stop' } satisfies ToWorker);
  };
  const foundAt = (g: number, generator: string, seed: number): FoundAt => ({ generator, seed, campaignSeed: o.plan.seed, index: g, shard: shardText });

  const record = (f: ShrunkFailure, at: FoundAt): void => {
    const file = saveEntry(o.corpus, f, at);
    const sig = signatures.get(f.signature);
    const size = `${f.scenario.ops.length} ops, ${f.scenario.initial.length} initial peers (from ${f.original.ops}, ${f.original.initial})`;
    if (sig) {
      sig.file = file;
      sig.size = size;
    }
    const first = f.judgement.failures.find((v) => signatureOf(v) === f.signature) ?? f.judgement.failures[0];
    o.progress?.log(`FAIL ${f.signature} [${at.generator} seed ${at.seed}] shrunk to ${size} in ${f.shrinks} shrinks${f.partial ? ' (stopped early)' : ''}: ${first?.detail.split('\n')[0] ?? ''}`);
    o.progress?.log(`     saved ${file}; replay: npx chord replay --scenario ${file}`);
  };

  const spawn = (w: number, from: number): void => {
    const worker = new Worker(WORKER_FILE, { execArgv: WORKER_FILE.endsWith('.ts') ? ['-r', 'ts-node/register/transpile-only'] : [] });
    const slot: Slot = slots[w] ?? { worker, scenarios: 0, current: null, done: false };
    slot.worker = worker;
    slot.done = false;
    slots[w] = slot;
    // A worker replaced after a hang may still have messages on their way: they are its own.
    const current = (): boolean => slot.worker === worker;
    const ended = (): void => {
      slot.current = null;
      slot.done = true;
      if (slots.every((s) => s.done)) finish();
    };
    worker.on('message', (m: FromWorker) => {
      if (!current()) return;
      switch (m.type) {
        case 'begin':
          slot.current = { j: m.j, g: m.g, generator: m.generator, seed: m.seed, since: performance.now() };
          return;
        case 'case': {
          slot.current = null;
          slot.scenarios++;
          scenarios++;
          const gen = byGenerator[m.stats.generator];
          gen.scenarios++;
          gen.wallMs += m.stats.wallMs;
          if (m.stats.twice) twice++;
          if (m.stats.outside) outside++;
          for (const sig of m.stats.signatures) fired[sig] = (fired[sig] ?? 0) + 1;
          if (!m.stats.pass) {
            failed++;
            gen.failed++;
            if (failed >= o.maxFailures) stopAll('max-failures');
          }
          o.onCase?.({ ...m.stats, g: m.g });
          return;
        }
        case 'ask-shrink': {
          const known = signatures.get(m.signature);
          if (known) known.count++;
          else {
            const cur = slot.current;
            signatures.set(m.signature, { signature: m.signature, count: 1, file: null, firstSeed: cur?.seed ?? 0, firstGenerator: cur?.generator ?? '', size: null });
          }
          worker.postMessage({ type: 'shrink-answer', id: m.id, shrink: known === undefined } satisfies ToWorker);
          return;
        }
        case 'failure':
          record(m.failure, foundAt(m.g, plan.generatorOf(m.g), plan.seedOf(m.g)));
          return;
        case 'done':
          void worker.terminate();
          return ended();
      }
    });
    // A crash of the fuzzer itself (not of a scenario, which is a Crash failure): the campaign
    // goes on with the other workers and fails.
    const crashed = (why: string): void => {
      if (!current() || slot.done) return;
      o.progress?.log(`fuzz: worker ${w} stopped: ${why}`);
      failed++;
      ended();
    };
    worker.on('error', (e) => crashed(e.stack ?? e.message));
    worker.on('exit', (code) => crashed(`it exited with code ${code} before finishing its share`));
    worker.postMessage({ type: 'start', plan: o.plan, worker: w, workers: o.workers, from, runs: o.runs, shrinkMs: o.shrinkMs } satisfies ToWorker);
  };

  /** A case past its time limit: save it as generated, replace its worker, go on after it. */
  const hang = (w: number): void => {
    const slot = slots[w];
    const cur = slot.current;
    if (cur === null || slot.done) return;
    slot.current = null;
    const hung = slot.worker;
    // Replaced before it is told to go: its exit is then no longer the slot's.
    slot.done = true;
    void hung.terminate();
    failed++;
    scenarios++;
    slot.scenarios++;
    byGenerator[cur.generator].scenarios++;
    byGenerator[cur.generator].failed++;
    const signature = 'Hang/case-timeout';
    fired[signature] = (fired[signature] ?? 0) + 1;
    const detail = `the case ran for more than ${formatDuration(o.caseTimeoutMs)} of wall time`;
    const known = signatures.get(signature);
    if (known) known.count++;
    else {
      signatures.set(signature, { signature, count: 1, file: null, firstSeed: cur.seed, firstGenerator: cur.generator, size: null });
      const scenario = caseAt(cur.generator, cur.seed);
      const failure: ShrunkFailure = {
        signature, scenario, original: { ops: scenario.ops.length, initial: scenario.initial.length }, shrinks: 0, path: '0', traceHash: '', partial: true,
        judgement: { pass: false, failures: [{ invariant: 'Hang', kind: 'case-timeout', detail, at: 0, inModel: true }], outside: [], signatures: [signature] },
      };
      record(failure, foundAt(cur.g, cur.generator, cur.seed));
    }
    if (failed >= o.maxFailures) stopAll('max-failures');
    if (stopRequested) {
      if (slots.every((s) => s.done)) finish();
    } else spawn(w, cur.j + o.workers);
  };

  for (let w = 0; w < o.workers; w++) spawn(w, w);
  const onInterrupt = (): void => {
    if (stopRequested) {
      // A second Ctrl-C: stop now, mid-case.
      for (const s of slots) {
        s.done = true;
        void s.worker.terminate();
      }
      finish();
    }
    stopAll('interrupted');
  };
  process.on('SIGINT', onInterrupt);
  const tick = setInterval(() => {
    const now = elapsed();
    if (o.timeMs !== null && now >= o.timeMs) stopAll('time');
    for (let w = 0; w < slots.length; w++) {
      const cur = slots[w].current;
      if (cur !== null && performance.now() - cur.since > o.caseTimeoutMs) hang(w);
    }
    o.progress?.update({
      scenarios, failures: failed, signatures: signatures.size, elapsedMs: now,
      leftMs: o.timeMs !== null ? Math.max(0, o.timeMs - now) : null,
      runsLeft: o.runs !== null ? Math.max(0, o.runs - scenarios) : null,
      perWorker: slots.map((s) => s.scenarios),
      done: o.timeMs !== null ? now / o.timeMs : o.runs !== null && o.runs > 0 ? scenarios / o.runs : 1,
    });
  }, 250);
  await finished;
  clearInterval(tick);
  process.off('SIGINT', onInterrupt);
  o.progress?.stop();

  const elapsedMs = elapsed();
  const gens: Record<string, GeneratorSummary & { perSecondPerWorker: number }> = {};
  for (const [name, g] of Object.entries(byGenerator)) gens[name] = { ...g, perSecondPerWorker: g.wallMs > 0 ? (g.scenarios * 1000) / g.wallMs : 0 };
  return {
    ok: failed === 0,
    seed: o.plan.seed,
    shard: shardText,
    workers: o.workers,
    generators: o.plan.generators,
    scenarios,
    failed,
    elapsedMs: Math.round(elapsedMs),
    perSecond: elapsedMs > 0 ? (scenarios * 1000) / elapsedMs : 0,
    perWorker: slots.map((s, worker) => ({ worker, scenarios: s.scenarios })),
    byGenerator: gens,
    determinismChecked: twice,
    outsideModel: outside,
    signatures: [...signatures.values()],
    fired,
    stopped,
    corpus: o.corpus,
  };
}
