/**
 * `chord fuzz` as its users run it: a campaign that is reproducible from its seed whatever the
 * worker count, shards that split it into disjoint parts, failures saved to the corpus with what
 * replays them, a corpus re-run as a regression suite, and the exit codes of success, a failure
 * found (check-failed) and bad arguments (usage).
 */
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Scenario } from '../sim/scenario';
import { ensureBuilt, runChord } from '../runtime-node/test-support';
import { EXIT_CODES } from './exit-codes';

test.before(ensureBuilt);

const LIMIT = 120_000;

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'chord-fuzz-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface ScenarioLine {
  readonly type: 'scenario';
  readonly g: number;
  readonly generator: string;
  readonly seed: number;
  readonly traceHash: string;
  readonly pass: boolean;
}

function lines(stdout: string): { scenarios: ScenarioLine[]; summary: Record<string, unknown> } {
  const parsed = stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
  return { scenarios: parsed.filter((p) => p.type === 'scenario') as ScenarioLine[], summary: parsed.find((p) => p.type === 'summary') as Record<string, unknown> };
}

const key = (s: ScenarioLine) => `${s.g} ${s.generator} ${s.seed} ${s.traceHash}`;

test('bad arguments exit with the usage code and the reason; --help exits 0', async (t) => {
  for (const args of [['--time', '10x'], ['--shard', '3/2'], ['--generator', 'nope'], ['--workers', '0'], ['--runs', '3', '--time', '1m'], ['--bogus']]) {
    const r = await runChord(t, ['fuzz', ...args], LIMIT);
    t.is(r.code, EXIT_CODES.usage, args.join(' '));
    t.regex(r.stderr, /error|expected|unknown|cannot/i, args.join(' '));
  }
  const help = await runChord(t, ['fuzz', '--help'], LIMIT);
  t.is(help.code, 0);
  for (const flag of ['--time', '--runs', '--workers', '--seed', '--shard', '--generator', '--corpus', '--json', '--json-lines', '--max-failures', '--replay-corpus']) t.true(help.stdout.includes(flag), flag);
});

test('a campaign runs the same scenarios from its seed whatever the worker count, and reports each', async (t) => {
  const corpus = tempDir(t);
  const run = (workers: number) => runChord(t, ['fuzz', '--runs', '16', '--workers', String(workers), '--seed', 'same', '--json-lines', '--corpus', corpus], LIMIT);
  const [one, two] = await Promise.all([run(1), run(2)]);
  t.is(one.code, 0, one.stderr);
  t.is(two.code, 0, two.stderr);
  const a = lines(one.stdout);
  const b = lines(two.stdout);
  t.is(a.scenarios.length, 16);
  t.deepEqual(a.scenarios.map(key).sort(), b.scenarios.map(key).sort());
  t.true(new Set(a.scenarios.map((s) => s.generator)).size >= 2, 'several generators are drawn');
  t.like(a.summary, { ok: true, seed: 'same', shard: '1/1', scenarios: 16, failed: 0, stopped: 'runs' });
  t.deepEqual((b.summary.perWorker as { scenarios: number }[]).map((w) => w.scenarios), [8, 8]);
  t.deepEqual(readdirSync(corpus), [], 'nothing failed, nothing saved');
});

test('shards split a campaign into disjoint parts that together are the whole', async (t) => {
  const corpus = tempDir(t);
  const run = (shard: string, runs: number) => runChord(t, ['fuzz', '--runs', String(runs), '--workers', '1', '--seed', 'split', '--shard', shard, '--generator', 'churn,membership', '--json-lines', '--corpus', corpus], LIMIT);
  const [first, second, whole] = await Promise.all([run('1/2', 4), run('2/2', 4), run('1/1', 8)]);
  const one = lines(first.stdout).scenarios.map(key);
  const other = lines(second.stdout).scenarios.map(key);
  t.deepEqual(one.filter((k) => other.includes(k)), []);
  t.deepEqual([...one, ...other].sort(), lines(whole.stdout).scenarios.map(key).sort());
});

test('a failing case is saved to the corpus with what replays it, and the campaign exits check-failed', async (t) => {
  // Every case takes longer than a case timeout of 1 ms: each is a hang, saved as generated.
  const corpus = tempDir(t);
  const r = await runChord(t, ['fuzz', '--runs', '50', '--workers', '1', '--seed', 'hang', '--case-timeout', '1ms', '--max-failures', '2', '--generator', 'sim', '--json', '--corpus', corpus], LIMIT);
  t.is(r.code, EXIT_CODES['check-failed'], r.stderr);
  const summary = JSON.parse(r.stdout) as { ok: boolean; failed: number; stopped: string; signatures: { signature: string; count: number; file: string }[] };
  t.like(summary, { ok: false, command: 'fuzz', stopped: 'max-failures', error: { code: 'check-failed' } });
  t.true(summary.failed >= 2);
  t.is(summary.signatures[0].signature, 'Hang/case-timeout');
  t.regex(r.stderr, /FAIL Hang\/case-timeout \[sim seed -?\d+\]/);
  const [file] = readdirSync(corpus);
  const entry = JSON.parse(readFileSync(join(corpus, file), 'utf8')) as Record<string, unknown>;
  t.like(entry, { signature: 'Hang/case-timeout', verdict: 'FAIL', generator: 'sim' });
  t.regex(String(entry.replay), /^npx chord replay --scenario .*hang-case-timeout-[0-9a-f-]+\.json$/);
  t.regex(String(entry.regenerate), /^npx chord replay --property sim --seed -?\d+ --path "0"$/);
  t.true(Array.isArray((entry.scenario as Scenario).ops));
});

/** A failure within the failure model: an rpcTimeout shorter than a hop, so a leave gives up. */
const FAILING: Scenario = {
  seed: '0', bits: 8, replicas: 1, initial: ['10', '80'], timing: { rpcTimeout: 1 },
  network: { latencyMin: 20, latencyMax: 20, loss: 0, duplicate: 0, streamFailure: 0, clockSkew: 0 },
  ops: [{ at: 0, op: 'put', via: '80', key: '39', value: 'v0' }, { at: 1_000, op: 'leave', id: '80' }],
  faultsUntil: 2_000, settleLimit: 120_000, useCodec: true,
};

test('a corpus re-runs as a regression suite: 0 when every scenario passes, check-failed when one fails', async (t) => {
  const passing = await runChord(t, ['fuzz', '--replay-corpus', 'properties/regressions'], LIMIT);
  t.is(passing.code, 0, passing.stdout);
  t.regex(passing.stdout, /^\d+ passed, 0 failed$/m);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'failing.json'), JSON.stringify({ why: 'a leave that gives up', scenario: FAILING }));
  const failing = await runChord(t, ['fuzz', '--replay-corpus', dir, '--json'], LIMIT);
  t.is(failing.code, EXIT_CODES['check-failed']);
  t.like(JSON.parse(failing.stdout), { ok: false, passed: 0, failed: 1 });
});

test('--shrink cuts a failing scenario down to what still fails the same way, and saves it', async (t) => {
  const dir = tempDir(t);
  const big: Scenario = { ...FAILING, initial: ['10', '80', '90', 'a0', 'b0'], ops: [...FAILING.ops, { at: 500, op: 'get', via: '10', key: '39' }, { at: 600, op: 'put', via: '90', key: '7', value: 'x' }] };
  writeFileSync(join(dir, 'big.json'), JSON.stringify(big));
  const r = await runChord(t, ['fuzz', '--shrink', join(dir, 'big.json'), '--corpus', join(dir, 'corpus')], LIMIT);
  t.is(r.code, EXIT_CODES['check-failed'], r.stderr);
  t.regex(r.stdout, /^HandOver\/kept-records: 4 ops and 5 initial peers shrunk to \d and \d/m);
  const [file] = readdirSync(join(dir, 'corpus'));
  const entry = JSON.parse(readFileSync(join(dir, 'corpus', file), 'utf8')) as { scenario: Scenario; size: { ops: number } };
  t.true(entry.scenario.ops.length < 4 && entry.scenario.initial.length <= 2);
});
