/**
 * Output whose reader goes away (`chord sim ... | head -1`, `chord launch | head -3`): the command
 * stops at once with 141, says nothing on standard error, and a launcher takes its peers with it.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { ensureBuilt, MAIN, portRefused, waitFor } from '../runtime-node/test-support';
import { EXIT } from './exit-codes';

test.before(ensureBuilt);

/** `chord args | head -n N`, in a shell as people type it (a pipe, not a socket); resolves with chord's exit code and standard error. */
function head(t: ExecutionContext, args: readonly string[], n: number): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const script = 'n=$1; shift; "$@" | head -n "$n"; exit "${PIPESTATUS[0]}"';
  const child = spawn('bash', ['-c', script, 'bash', String(n), process.execPath, MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  t.teardown(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Gone already, with its group.
    }
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdin.on('error', () => undefined);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr, stdout })));
}

test('a long trace on standard output whose reader has gone ends the command quietly', async (t) => {
  t.timeout(60_000);
  const r = await head(t, ['sim', '--peers', '8', '--duration', '20000', '--trace', '/dev/stdout'], 1);
  t.is(r.code, EXIT.brokenPipe, r.stderr);
  t.is(r.stderr, '');
  t.is(r.stdout.split('\n').length, 2, 'one line, as head prints it');
  const replay = await head(t, ['replay', '--property', 'churn', '--seed', '1', '--path', '0'], 1);
  t.is(replay.code, EXIT.brokenPipe);
  t.is(replay.stderr, '');
});

test('a launcher whose output is closed stops quietly, and its peers with it', async (t) => {
  t.timeout(60_000);
  const base = 27_300;
  const r = await head(t, ['launch', '--peers', '2,4,5', '--ping-interval', '0.2', '--port-base', String(base)], 3);
  t.is(r.code, EXIT.brokenPipe);
  t.is(r.stderr, '');
  await waitFor('every peer of the launcher to stop', 15_000, async () => (await Promise.all([2, 4, 5].map((id) => portRefused(base + id)))).every(Boolean));
  t.pass();
});
