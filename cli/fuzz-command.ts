/**
 * `chord fuzz`: property-based fuzzing of churn for as long as you like, on every core, with
 * every failure shrunk and kept as a scenario file; `--replay-corpus DIR` re-runs such files as
 * a regression suite. A failure found is the command's error (check-failed, exit-codes.ts).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { signatureOf } from '../sim/checks';
import { runCampaign, type CampaignSummary } from '../properties/fuzz/campaign';
import { runJudged, shrinkGiven } from '../properties/fuzz/case';
import { corpusFiles, saveEntry } from '../properties/fuzz/corpus';
import { formatDuration, GENERATORS, parseDuration, type Shard } from '../properties/fuzz/plan';
import { Progress } from '../properties/fuzz/progress';
import { decimal, integer, readScenarioArg } from './parse';
import { CliError } from './exit-codes';
import { printJson } from './output';

function duration(value: string): number {
  const ms = parseDuration(value);
  if (!(ms > 0)) throw new InvalidArgumentError(`expected a duration such as 90s, 10m or 2h, got "${value}"`);
  return ms;
}

function shard(value: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(index >= 1 && count >= 1 && index <= count)) throw new InvalidArgumentError(`expected i/n with 1 <= i <= n, such as 2/8, got "${value}"`);
  return { index, count };
}

function generators(value: string): string[] {
  const names = value.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const unknown = names.filter((n) => !GENERATORS.includes(n));
  if (names.length === 0 || unknown.length > 0) throw new InvalidArgumentError(`unknown generator ${unknown.join(', ') || '(none)'}; choose from ${GENERATORS.join(', ')}`);
  return [...new Set(names)];
}

interface FuzzFlags {
  time?: number; runs?: number; workers: number; seed?: string; shard: Shard; generator: string[]; corpus: string;
  json?: boolean; jsonLines?: boolean; maxFailures: number; determinism: number; shrinkTime: number; caseTimeout: number; replayCorpus?: string;
  shrink?: string;
}

export function fuzzCommand(): Command {
  return new Command('fuzz')
    .description('fuzz the ring for a while: generated churn scenarios on every core, each failure shrunk and saved as a scenario file')
    .addOption(new Option('--time <duration>', 'how long to fuzz (90s, 10m, 2h, 1h30m); default 1m unless --runs').argParser(duration).conflicts('runs'))
    .addOption(new Option('--runs <n>', 'how many scenarios of this shard to run').argParser(integer(1, 1e12)))
    .option('--workers <n>', 'worker threads', integer(1, 1024), availableParallelism())
    .option('--seed <seed>', 'campaign seed: the same seed runs the same scenarios (default: a fresh one, printed)')
    .option('--shard <i/n>', 'run part i of n of the campaign (disjoint parts, no coordination needed)', shard, { index: 1, count: 1 })
    .option('--generator <names>', `scenario families, comma-separated: ${GENERATORS.join(', ')}`, generators, GENERATORS)
    .option('--corpus <dir>', 'where failures are saved', 'fuzz-corpus')
    .option('--max-failures <n>', 'stop after this many failing scenarios', integer(1, 1e9), 100)
    .option('--determinism <share>', 'share of scenarios run twice to compare their trace hashes', decimal(0, 1), 0.05)
    .option('--shrink-time <duration>', 'longest time spent shrinking one failure', duration, 3 * 60_000)
    .option('--case-timeout <duration>', 'a scenario running longer than this is saved as a hang', duration, 10 * 60_000)
    .option('--json', 'print one JSON summary object at the end instead of the text summary')
    .option('--json-lines', 'print one JSON line per finished scenario (and the summary as the last line)')
    .option('--replay-corpus <dir>', 're-run every scenario file in a directory as a regression suite, and stop')
    .option('--shrink <file>', 'shrink one failing scenario file (from `chord sim --save`, say) and save it to the corpus, and stop')
    .action(async (o: FuzzFlags) => {
      const json = !!(o.json || o.jsonLines);
      if (o.replayCorpus !== undefined) replayCorpus(o.replayCorpus, json);
      else if (o.shrink !== undefined) await shrinkFile(o.shrink, o, json);
      else await fuzz(o);
    });
}

async function fuzz(o: FuzzFlags): Promise<void> {
  const seed = o.seed ?? randomBytes(4).toString('hex');
  const timeMs = o.runs === undefined ? (o.time ?? 60_000) : null;
  const json = !!(o.json || o.jsonLines);
  const live = process.stderr.isTTY === true;
  const progress = new Progress(live);
  const span = timeMs !== null ? `for ${formatDuration(timeMs)}` : `${o.runs} scenarios`;
  progress.log(`fuzz: seed ${seed}, shard ${o.shard.index}/${o.shard.count}, ${o.workers} worker(s), generators ${o.generator.join(',')}, ${span}; failures go to ${o.corpus}/`);
  const summary = await runCampaign({
    plan: { seed, shard: o.shard, generators: o.generator, determinism: o.determinism },
    workers: o.workers,
    runs: o.runs ?? null,
    timeMs,
    maxFailures: o.maxFailures,
    shrinkMs: o.shrinkTime,
    caseTimeoutMs: o.caseTimeout,
    corpus: o.corpus,
    progress,
    onCase: o.jsonLines ? (c) => console.log(JSON.stringify({ command: 'fuzz', type: 'scenario', ...c, wallMs: Math.round(c.wallMs) })) : undefined,
  });
  const fields = o.jsonLines ? { type: 'summary', ...summary } : summary;
  if (!json) console.log(describeSummary(summary));
  if (!summary.ok) throw new CliError('check-failed', `${summary.failed} of ${summary.scenarios} scenarios failed (${summary.signatures.map((sig) => sig.signature).join(', ')})`, fields);
  if (json) printJson('fuzz', fields);
}

export function describeSummary(s: CampaignSummary): string {
  const lines = [
    `fuzz: ${s.scenarios} scenarios in ${formatDuration(s.elapsedMs)} (${s.perSecond.toFixed(1)}/s on ${s.workers} worker(s)), seed ${s.seed}, shard ${s.shard}; stopped: ${s.stopped}`,
  ];
  for (const [name, g] of Object.entries(s.byGenerator)) {
    if (g.scenarios > 0) lines.push(`  ${name}: ${g.scenarios} scenarios, ${g.perSecondPerWorker.toFixed(1)}/s per worker, ${g.failed} failed`);
  }
  lines.push(`  determinism re-checked on ${s.determinismChecked} scenarios; ${s.outsideModel} runs left the failure model (not failures)`);
  lines.push(`failures: ${s.failed}${s.signatures.length > 0 ? ` (${s.signatures.length} signature${s.signatures.length === 1 ? '' : 's'})` : ''}`);
  const fired = Object.entries(s.fired).sort((a, b) => b[1] - a[1]);
  if (fired.length > 0) lines.push(`  oracles fired: ${fired.map(([sig, n]) => `${sig} in ${n} (${((100 * n) / Math.max(1, s.scenarios)).toFixed(2)}%)`).join(', ')}`);
  for (const sig of s.signatures) {
    lines.push(`  ${sig.signature} x${sig.count}, first in ${sig.firstGenerator} seed ${sig.firstSeed}${sig.file ? `: ${sig.file}${sig.size ? ` (${sig.size})` : ''}` : ' (not saved: the campaign stopped while shrinking it)'}`);
    if (sig.file) lines.push(`    replay: npx chord replay --scenario ${sig.file}`);
  }
  lines.push(s.ok ? 'PASS' : 'FAIL');
  return lines.join('\n');
}

/** Shrinks the failing scenario in `file` to the smallest with the same first signature, and saves it. */
async function shrinkFile(file: string, o: FuzzFlags, json: boolean): Promise<void> {
  const scenario = readScenarioArg(file);
  const { stats, failure } = await shrinkGiven(scenario, { shrinkMs: o.shrinkTime, stopping: () => false, shouldShrink: () => Promise.resolve(true) });
  if (failure === null) {
    if (json) printJson('fuzz', { shrink: file, signature: null, saved: null });
    else console.log(`${file} passes: nothing to shrink`);
    return;
  }
  const saved = saveEntry(o.corpus, failure, { generator: 'file', seed: 0, campaignSeed: file, index: 0, shard: '1/1' });
  const shrunk = `${stats.ops} ops and ${stats.peers} initial peers shrunk to ${failure.scenario.ops.length} and ${failure.scenario.initial.length} in ${failure.shrinks} shrinks${failure.partial ? ' (stopped at --shrink-time)' : ''}`;
  if (!json) {
    console.log(`${failure.signature}: ${shrunk}`);
    console.log(`saved ${saved}; replay: npx chord replay --scenario ${saved}`);
  }
  throw new CliError('check-failed', `${file} fails with ${failure.signature}; ${shrunk}, saved as ${saved}`, {
    shrink: file, signature: failure.signature, saved, ops: failure.scenario.ops.length, initial: failure.scenario.initial.length, shrinks: failure.shrinks, partial: failure.partial,
  });
}

/** Every scenario file of `dir`, run and judged; any failing one fails the command. */
function replayCorpus(dir: string, json: boolean): void {
  let files: string[];
  try {
    files = corpusFiles(dir);
  } catch (e) {
    throw new CliError('usage', (e as Error).message);
  }
  const results = files.map((file) => {
    const { judgement, result } = runJudged(readScenarioArg(file), false);
    const first = judgement.failures[0];
    return { file, pass: judgement.pass, signature: first ? signatureOf(first) : null, detail: first?.detail ?? null, traceHash: result?.report.traceHash ?? null };
  });
  const failed = results.filter((r) => !r.pass).length;
  const fields = { dir, passed: results.length - failed, failed, results };
  if (!json) {
    for (const r of results) console.log(r.pass ? `PASS ${r.file}` : `FAIL ${r.file}: ${r.signature} ${r.detail?.split('\n')[0]}`);
    console.log(`${results.length - failed} passed, ${failed} failed`);
  }
  if (failed > 0) throw new CliError('check-failed', `${failed} of ${results.length} scenario files in ${dir} failed`, fields);
  if (json) printJson('fuzz', fields);
}
