/**
 * `--ring-key` on the command line, with real processes on ports the system chooses: a bad key
 * file is a usage error, a keyed peer serves only clients with its key, an open one says so.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChordProcess, ensureBuilt, runChord } from '../runtime-node/test-support';
import { EXIT_CODES } from './exit-codes';

test.before(ensureBuilt);

function keyFiles(t: ExecutionContext): { key: string; other: string; short: string; missing: string } {
  const dir = mkdtempSync(join(tmpdir(), 'chord-key-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = { key: join(dir, 'key'), other: join(dir, 'other'), short: join(dir, 'short'), missing: join(dir, 'missing') };
  writeFileSync(files.key, 'the ring key of the command-line tests\n');
  writeFileSync(files.other, 'some other ring key, long enough\n');
  writeFileSync(files.short, 'too short\n');
  return files;
}

async function peer(t: ExecutionContext, ...args: string[]): Promise<{ proc: ChordProcess; addr: string }> {
  const proc = new ChordProcess(t, ['peer', '--port', '0', '--ping-interval', '0.1', ...args]);
  const banner = await proc.waitLine(/^peer \d+ at (\S+) /, 10_000);
  return { proc, addr: /^peer \d+ at (\S+) /.exec(banner.text)![1] };
}

test('a missing, unreadable or short key file, by flag or by CHORD_RING_KEY, is a clear error, exit 2', async (t) => {
  t.timeout(60_000);
  const f = keyFiles(t);
  const cases = [
    { args: ['peer', '--ring-key', f.missing], err: /option '--ring-key <file>' argument '.*missing' is invalid\. cannot read the ring key file .*missing: ENOENT/ },
    { args: ['put', '--via', '1', 'k', '--value', 'v', '--ring-key', f.short], err: /the ring key file .*short holds 10 bytes; a ring key has at least 16/ },
    { args: ['launch', '--ring-key', join(f.key, '..')], err: /cannot read the ring key file .*: EISDIR/ },
    { args: ['init', '2', '4', '5', '1', '--ring-key', f.missing], err: /ENOENT/ },
  ];
  for (const c of cases) {
    const r = await runChord(t, c.args, 20_000);
    t.is(r.code, EXIT_CODES['ring-key'], c.args.join(' '));
    t.regex(r.stderr, c.err, c.args.join(' '));
  }
  const env = await runChord(t, ['ring', '--via', '1'], 20_000, '', { CHORD_RING_KEY: f.short });
  t.is(env.code, EXIT_CODES['ring-key']);
  t.regex(env.stderr, /option '--ring-key <file>' value '.*short' from env 'CHORD_RING_KEY' is invalid\. .*holds 10 bytes/);
});

test('a keyed peer: says so, serves clients with its key (flag or environment), refuses the others (exit 6) and keyless peers', async (t) => {
  t.timeout(60_000);
  const f = keyFiles(t);
  const { proc, addr } = await peer(t, '--ring-key', f.key);
  await proc.waitLine(/^ring key set: only its holders may join, store, read or ask/, 5000);
  const put = await runChord(t, ['put', '--via', addr, 'k', '--value', 'secret-ring value', '--ring-key', f.key], 20_000);
  t.is(put.code, 0, put.stderr);
  const get = await runChord(t, ['get', '--via', addr, 'k'], 20_000, '', { CHORD_RING_KEY: f.key });
  t.is(get.code, 0, get.stderr);
  t.is(get.stdout, 'secret-ring value');
  const keyless = await runChord(t, ['put', '--via', addr, 'k', '--value', 'overwritten'], 20_000);
  t.is(keyless.code, EXIT_CODES.refused);
  t.regex(keyless.stderr, /^chord put: peer .* refused the connection: this peer lets in only holders of its ring key \(give --ring-key FILE, or CHORD_RING_KEY\)$/m);
  const other = await runChord(t, ['ring', '--via', addr, '--ring-key', f.other], 20_000);
  t.is(other.code, EXIT_CODES.refused);
  t.regex(other.stderr, /^chord ring: the ring-key handshake with peer .* failed: the other end did not prove the ring key/m);
  const again = await runChord(t, ['get', '--via', addr, 'k', '--ring-key', f.key], 20_000);
  t.is(again.stdout, 'secret-ring value');
  await proc.waitLine(/^dropped bad input: TCP from .*: a client connection without the ring key; closed \(connections without the ring key: more are counted/, 5000);
  // A keyless peer, which says at start-up that its ring is open, cannot join this one.
  const stranger = await runChord(t, ['peer', '--port', '0', '--ping-interval', '0.1', '--join', addr], 30_000);
  t.is(stranger.code, EXIT_CODES.unreachable);
  t.regex(stranger.stdout, /^no ring key: the ring is open, anyone who can reach this port can join it, store, read and ask \(give --ring-key FILE to close it\)$/m);
  t.regex(stranger.stdout, /join failed: bootstrap peer unreachable/);
  t.true(proc.alive);
});
