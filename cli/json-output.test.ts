/**
 * Every `--json` output of every command, successes and failures, validated against the one
 * schema (schema/cli-output.schema.json) by ajv, with the exit code of each error code; and the
 * lines of `--log-format json` against its logLine. Real processes on ports the system chooses.
 */
import test, { type ExecutionContext } from 'ava';
import Ajv2020 from 'ajv/dist/2020';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Scenario } from '../sim/scenario';
import { ChordProcess, ensureBuilt, runChord, type Ran } from '../runtime-node/test-support';
import { EXIT_CODES, type ErrorCode } from './exit-codes';

const SCHEMA = JSON.parse(readFileSync(join(__dirname, '..', 'schema', 'cli-output.schema.json'), 'utf8')) as { $id: string };
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
const validate = ajv.compile(SCHEMA);
const validateLog = ajv.getSchema(`${SCHEMA.$id}#/$defs/logLine`)!;
const LIMIT = 60_000;

test.before(ensureBuilt);

type Output = Record<string, unknown> & { ok?: boolean; command: string | null; error?: { code: ErrorCode; message: string } };

/** Every stdout line of a run, each checked against the schema. */
function lines(t: ExecutionContext, r: Ran, what: string): Output[] {
  const out = r.stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Output);
  t.true(out.length > 0, `${what}: no output\n${r.stderr}`);
  for (const o of out) t.true(validate(o), `${what}: ${JSON.stringify(validate.errors?.slice(0, 5))}\n${JSON.stringify(o).slice(0, 2000)}`);
  return out;
}

/** Runs a command that must succeed: one valid result object, exit 0. */
async function success(t: ExecutionContext, args: string[], input?: string): Promise<Output> {
  const r = await runChord(t, args, LIMIT, input);
  t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  const out = lines(t, r, args.join(' '));
  const last = out.at(-1)!;
  t.like(last, { ok: true }, args.join(' '));
  return last;
}

/** Runs a command that must fail with `code`: the error object on stdout, its exit code, a reason on stderr. */
async function failure(t: ExecutionContext, code: ErrorCode, args: string[]): Promise<Output> {
  const r = await runChord(t, args, LIMIT);
  const what = args.join(' ');
  t.is(r.code, EXIT_CODES[code], `${what}: ${r.stdout}${r.stderr}`);
  const out = lines(t, r, what);
  const last = out.at(-1)!;
  t.like(last, { ok: false, error: { code } }, what);
  t.regex(r.stderr, /\S/, `${what}: a reason on standard error`);
  return last;
}

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'chord-json-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function peer(t: ExecutionContext, ...args: string[]): Promise<{ proc: ChordProcess; addr: string }> {
  const proc = new ChordProcess(t, ['peer', '--port', '0', '--ping-interval', '0.1', '--bits', '16', ...args]);
  const banner = await proc.waitLine(/^peer \d+ at (\S+) /, 10_000);
  return { proc, addr: /^peer \d+ at (\S+) /.exec(banner.text)![1] };
}

test('the schema holds what it says: it refuses shapes that are not chord output', (t) => {
  const bad: unknown[] = [
    { ok: true, command: 'put', key: 'k' },
    { ok: false, command: 'get', error: { code: 'no-such-code', message: 'x' } },
    { ok: false, command: 'get' },
    { ok: true, command: 'demo' },
    { ok: true, command: 'ring', closed: true, peers: [], unreachable: [], extra: 1 },
    { command: 'fuzz', type: 'scenario' },
  ];
  for (const b of bad) t.false(validate(b), JSON.stringify(b));
});

test('put, get and ring: results and every failure, each with its exit code', async (t) => {
  t.timeout(120_000);
  const dir = tempDir(t);
  const keyFile = join(dir, 'ring.key');
  writeFileSync(keyFile, 'the ring key of the json output tests\n');
  const { addr } = await peer(t, '--id', '100');
  const keyed = await peer(t, '--id', '200', '--ring-key', keyFile);
  const put = await success(t, ['put', '--via', addr, 'notes', '--value', 'hello, chord', '--json']);
  t.like(put, { command: 'put', key: 'notes', size: 12, version: 1 });
  const get = await success(t, ['get', '--via', addr, 'notes', '--json']);
  t.like(get, { command: 'get', value: 'hello, chord', version: 1 });
  writeFileSync(join(dir, 'bytes.bin'), Buffer.from([0xff, 0xfe, 0x00]));
  await success(t, ['put', '--via', addr, 'bytes', join(dir, 'bytes.bin'), '--json']);
  t.like(await success(t, ['get', '--via', addr, 'bytes', '--json']), { valueBase64: Buffer.from([0xff, 0xfe, 0x00]).toString('base64') });
  t.like(await success(t, ['get', '--via', addr, 'bytes', '-o', join(dir, 'out.bin'), '--json']), { output: join(dir, 'out.bin') });
  const ring = await success(t, ['ring', '--via', addr, '--json']);
  t.like(ring, { command: 'ring', closed: true });

  t.like(await failure(t, 'not-found', ['get', '--via', addr, 'missing', '--json']), { command: 'get', key: 'missing', hops: 0 });
  await failure(t, 'usage', ['put', '--via', addr, 'k', 'a-file', '--value', 'v', '--json']);
  await failure(t, 'usage', ['put', '--via', addr, 'k', join(dir, 'no-such-file'), '--json']);
  await failure(t, 'usage', ['get', '--via', addr, '--json']);
  await failure(t, 'usage', ['ring', '--via', 'nowhere', '--json']);
  await failure(t, 'unreachable', ['get', '--via', '127.0.0.1:1', 'k', '--json']);
  await failure(t, 'unreachable', ['ring', '--via', '127.0.0.1:1', '--json']);
  await failure(t, 'ring-key', ['ring', '--via', addr, '--ring-key', join(dir, 'no-such-key'), '--json']);
  await failure(t, 'refused', ['put', '--via', keyed.addr, 'k', '--value', 'v', '--json']);
  await failure(t, 'refused', ['ring', '--via', addr, '--ring-key', keyFile, '--json']);
  // A server that takes the connection and never answers.
  const silent = createServer((s: Socket) => s.on('error', () => undefined));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.teardown(() => silent.close());
  const port = (silent.address() as { port: number }).port;
  await failure(t, 'timeout', ['get', '--via', `127.0.0.1:${port}`, 'k', '--timeout', '0.3', '--json']);
});

/** A failure within the failure model: an rpcTimeout shorter than a hop, so a leave gives up. */
const FAILING: Scenario = {
  seed: '0', bits: 8, replicas: 1, initial: ['10', '80'], timing: { rpcTimeout: 1 },
  network: { latencyMin: 20, latencyMax: 20, loss: 0, duplicate: 0, streamFailure: 0, clockSkew: 0 },
  ops: [{ at: 0, op: 'put', via: '80', key: '39', value: 'v0' }, { at: 1_000, op: 'leave', id: '80' }],
  faultsUntil: 2_000, settleLimit: 120_000, useCodec: true,
};

test('sim and replay: a passing run, a failing one (check-failed), and usage errors', async (t) => {
  t.timeout(120_000);
  const dir = tempDir(t);
  const small = ['--peers', '4', '--duration', '1000', '--lookups', '5', '--records', '5'];
  const sim = await success(t, ['sim', ...small, '--json']);
  t.like(sim, { command: 'sim', verdict: 'PASS', signatures: [] });
  const failed = await failure(t, 'check-failed', ['sim', ...small, '--settle', '0', '--churn', '3', '--json']);
  t.like(failed, { command: 'sim', verdict: 'FAIL' });
  t.true((failed.signatures as string[]).includes('Liveness/no-convergence'));
  const text = await runChord(t, ['sim', ...small, '--settle', '0', '--churn', '3'], LIMIT);
  t.is(text.code, EXIT_CODES['check-failed']);
  t.regex(text.stdout, /^FAIL$/m);
  await failure(t, 'usage', ['sim', '--peers', '0', '--json']);
  await failure(t, 'usage', ['sim', '--bogus', '--json']);

  const regression = 'properties/regressions/' + readdirSync('properties/regressions').find((f) => f.endsWith('.json'))!;
  t.like(await success(t, ['replay', '--scenario', regression, '--json']), { command: 'replay', verdict: 'PASS', replayed: { scenario: regression } });
  t.like(await success(t, ['replay', '--property', 'churn', '--seed', '1', '--path', '0', '--json']), { replayed: { property: 'churn', seed: 1, path: '0' } });
  writeFileSync(join(dir, 'failing.json'), JSON.stringify(FAILING));
  t.like(await failure(t, 'check-failed', ['replay', '--scenario', join(dir, 'failing.json'), '--json', '--html', join(dir, 'run.html')]), { verdict: 'FAIL', html: join(dir, 'run.html') });
  const none = await failure(t, 'usage', ['replay', '--json']);
  t.regex(none.error!.message, /give --seed and --path/);
  await failure(t, 'usage', ['replay', '--scenario', join(dir, 'no-such-file.json'), '--json']);
});

test('fuzz: a campaign, its lines, a corpus re-run and a shrink, passing and failing', async (t) => {
  t.timeout(180_000);
  const dir = tempDir(t);
  const corpus = join(dir, 'corpus');
  t.like(await success(t, ['fuzz', '--runs', '3', '--workers', '1', '--seed', 'json', '--corpus', corpus, '--json']), { command: 'fuzz', scenarios: 3, failed: 0 });
  const r = await runChord(t, ['fuzz', '--runs', '3', '--workers', '1', '--seed', 'json', '--corpus', corpus, '--json-lines'], LIMIT);
  t.is(r.code, 0, r.stderr);
  const out = lines(t, r, 'fuzz --json-lines');
  t.deepEqual(out.map((o) => o.type), ['scenario', 'scenario', 'scenario', 'summary']);
  const hang = await failure(t, 'check-failed', ['fuzz', '--runs', '2', '--workers', '1', '--seed', 'hang', '--case-timeout', '1ms', '--generator', 'sim', '--corpus', corpus, '--json']);
  t.like(hang, { command: 'fuzz', failed: 2, stopped: 'runs' });
  t.like(await success(t, ['fuzz', '--replay-corpus', 'properties/regressions', '--json']), { failed: 0 });
  const failing = join(dir, 'failing');
  mkdirSync(failing);
  writeFileSync(join(failing, 'failing.json'), JSON.stringify({ why: 'a leave that gives up', scenario: FAILING }));
  t.like(await failure(t, 'check-failed', ['fuzz', '--replay-corpus', failing, '--json']), { passed: 0, failed: 1 });
  const shrunk = await failure(t, 'check-failed', ['fuzz', '--shrink', join(failing, 'failing.json'), '--corpus', corpus, '--json']);
  t.like(shrunk, { signature: 'HandOver/kept-records' });
  const regression = 'properties/regressions/' + readdirSync('properties/regressions').find((f) => f.endsWith('.json'))!;
  t.like(await success(t, ['fuzz', '--shrink', regression, '--corpus', corpus, '--json']), { signature: null, saved: null });
  await failure(t, 'usage', ['fuzz', '--shard', '3/2', '--json']);
  await failure(t, 'usage', ['fuzz', '--replay-corpus', join(dir, 'none'), '--json']);
});

test('usage errors of any command, and of no command, are told in JSON too', async (t) => {
  t.timeout(60_000);
  t.like(await failure(t, 'usage', ['frobnicate', '--json']), { command: null });
  for (const command of ['demo', 'peer', 'init', 'join', 'launch']) t.like(await failure(t, 'usage', [command, '--bogus', '--json']), { command });
});

test('--log-format json: every line of a peer and of a launcher is a log record of the schema', async (t) => {
  t.timeout(60_000);
  const { proc, addr } = await peer(t, '--id', '300', '--log-level', 'debug');
  proc.kill('SIGTERM');
  await proc.waitExit(10_000);
  const json = new ChordProcess(t, ['peer', '--port', '0', '--ping-interval', '0.1', '--bits', '16', '--join', addr, '--log-format', 'json']);
  await json.waitExit(20_000);
  const joiner = new ChordProcess(t, ['peer', '--port', '0', '--ping-interval', '0.1', '--bits', '16', '--log-format', 'json', '--log-level', 'debug']);
  await joiner.waitLine(/"event":"started"/, 10_000);
  joiner.send('store 42');
  joiner.send('state');
  joiner.send('quit');
  await joiner.waitExit(10_000);
  const base = 27_100;
  const launcher = new ChordProcess(t, ['launch', '--peers', '2,4', '--ping-interval', '0.2', '--port-base', String(base), '--log-format', 'json'], { group: true });
  launcher.send('store 7');
  launcher.send('ring');
  launcher.send('exit');
  launcher.endInput();
  t.like(await launcher.waitExit(40_000), { code: 0 });
  for (const [name, p] of [['failed join', json], ['peer', joiner], ['launcher', launcher]] as const) {
    const records = p.lines.map((l) => JSON.parse(l.text) as Record<string, unknown>);
    for (const r of records) t.true(validateLog(r), `${name}: ${JSON.stringify(validateLog.errors)}\n${JSON.stringify(r)}`);
    t.true(records.length > 3, name);
  }
  const events = (p: ChordProcess) => p.lines.map((l) => (JSON.parse(l.text) as { event: string }).event);
  t.true(events(json).includes('join-failed'), 'the failed join says why, as a record');
  t.deepEqual(events(joiner).slice(0, 3), ['started', 'ring-key', 'created']);
  t.true(events(joiner).includes('console') && events(joiner).at(-1) === 'stopped');
  t.true(events(launcher).includes('ring-up') && events(launcher).includes('exited'));
  t.true(launcher.lines.some((l) => /"id":"4","event":"predecessor"/.test(l.text)), 'a peer\'s own records, relayed');
  const warnOnly = new ChordProcess(t, ['peer', '--port', '0', '--ping-interval', '0.1', '--log-level', 'warn']);
  await warnOnly.waitLine(/^no ring key: the ring is open/, 10_000);
  warnOnly.kill('SIGTERM');
  await warnOnly.waitExit(10_000);
  t.false(warnOnly.lines.some((l) => /^peer \d+ at|started the ring|^stopped:/.test(l.text)), warnOnly.output);
});
