/**
 * `chord peer` and the client commands as real processes: the console, big records, garbage on
 * the wire, and every way a start can fail. Ports come from the system (--port 0).
 */
import test, { type ExecutionContext } from 'ava';
import { createSocket } from 'node:dgram';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAddr } from '../runtime-node/address';
import { sha256 } from '../runtime-node/format';
import { MAX_VALUE_BYTES } from '../runtime-node/framing';
import { ChordProcess, ensureBuilt, runChord } from '../runtime-node/test-support';
import { EXIT_CODES } from './exit-codes';

const PING = ['--ping-interval', '0.1'];

test.before(ensureBuilt);

/** Starts `chord peer` and waits for its banner; returns the process and its address. */
async function peer(t: ExecutionContext, ...args: string[]): Promise<{ proc: ChordProcess; addr: string }> {
  const proc = new ChordProcess(t, ['peer', '--port', '0', ...PING, ...args]);
  const banner = await proc.waitLine(/^peer \d+ at (\S+) /, 10_000);
  return { proc, addr: /^peer \d+ at (\S+) /.exec(banner.text)![1] };
}

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'chord-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the console: case-insensitive commands, the seed\'s words, a one-line error for nonsense', async (t) => {
  t.timeout(30_000);
  const { proc } = await peer(t, '--id', '77');
  proc.send('STORE 42');
  await proc.waitLine(/^stored "42" \(id 42\): \d+ bytes, version 1, on peers 77 /, 10_000);
  proc.send('Request 42');
  await proc.waitLine(/^ {2}"record 42, stored through peer 77"$/, 10_000);
  proc.send('request 43');
  await proc.waitLine(/^not found: "43"/, 10_000);
  proc.send('frobnicate now');
  await proc.waitLine(/^unknown command "frobnicate"; type help for the list$/, 10_000);
  proc.send('store');
  await proc.waitLine(/^usage: store <key> \[file\]$/, 10_000);
  proc.send('help');
  await proc.waitLine(/^ {2}quit +leave the ring gracefully/, 10_000);
  proc.send('state');
  await proc.waitLine(/^ {2}records +1$/, 10_000);
  proc.send('ring');
  await proc.waitLine(/^ring of 1 peer\(s\) from .*, back to the start:$/, 10_000);
  proc.send('QUIT');
  t.like(await proc.waitExit(10_000), { code: 0 });
});

test('a 64 MiB file goes in and comes out intact; a larger one is refused before sending', async (t) => {
  t.timeout(90_000);
  // Pings every 0.5 s, not 0.1: encoding, copying and hashing 64 MiB keeps a peer's event loop
  // busy for a good part of 0.3 s on a loaded two-core machine, and three missed rounds would
  // declare a live neighbour gone in the middle of the transfer this test is about.
  const slow = ['--ping-interval', '0.5'];
  const a = await peer(t, '--bits', '16', ...slow);
  const b = await peer(t, '--bits', '16', ...slow, '--join', a.addr);
  const c = await peer(t, '--bits', '16', ...slow, '--join', a.addr);
  await Promise.all([b, c].map((p) => p.proc.waitLine(/joined the ring/, 10_000)));
  const dir = tempDir(t);
  const big = randomFillSync(Buffer.allocUnsafe(MAX_VALUE_BYTES));
  writeFileSync(join(dir, 'big.bin'), big);
  const put = await runChord(t, ['put', '--via', b.addr, 'big.bin', join(dir, 'big.bin'), '--json'], 60_000);
  t.is(put.code, 0, put.stderr);
  t.like(JSON.parse(put.stdout), { ok: true, size: MAX_VALUE_BYTES, sha256: sha256(big) });
  const out = join(dir, 'out.bin');
  const get = await runChord(t, ['get', '--via', c.addr, 'big.bin', '-o', out, '--json'], 60_000);
  t.is(get.code, 0, get.stderr);
  t.like(JSON.parse(get.stdout), { ok: true, size: MAX_VALUE_BYTES, sha256: sha256(big) });
  t.is(sha256(readFileSync(out)), sha256(big));
  const toStdout = await runChord(t, ['get', '--via', a.addr, 'big.bin'], 60_000);
  t.is(toStdout.code, 0, toStdout.stderr);
  t.is(sha256(toStdout.stdoutBytes), sha256(big));

  writeFileSync(join(dir, 'too-big.bin'), Buffer.concat([big, Buffer.alloc(1)]));
  const refused = await runChord(t, ['put', '--via', a.addr, 'too-big.bin', join(dir, 'too-big.bin')], 20_000);
  t.is(refused.code, EXIT_CODES.usage);
  t.regex(refused.stderr, /too-big\.bin is 67108865 bytes; the largest record is 67108864 bytes \(64 MiB\)/);
});

test('garbage datagrams and TCP bytes: the peer logs the first of each kind, drops them, keeps serving', async (t) => {
  t.timeout(30_000);
  const { proc, addr } = await peer(t, '--id', '50');
  const hp = parseAddr(addr)!;
  const udp = createSocket('udp4');
  t.teardown(() => udp.close());
  await new Promise<void>((r) => udp.send(Buffer.from('hello, peer'), hp.port, hp.host, () => r()));
  await proc.waitLine(/^dropped bad input: UDP from 127\.0\.0\.1:\d+: unsupported wire version 104; dropped \(malformed datagrams: more are counted/, 10_000);
  const socket = connect(hp.port, hp.host);
  socket.on('error', () => undefined);
  socket.end(Buffer.from('\x00\x01garbage garbage garbage'));
  await proc.waitLine(/^dropped bad input: TCP from 127\.0\.0\.1:\d+: not a chord connection .*; closed \(connections not speaking chord: more are counted/, 10_000);
  const put = await runChord(t, ['put', '--via', addr, 'k', '--value', 'v'], 10_000);
  t.is(put.code, 0, put.stderr);
  t.true(proc.alive);
});

test('exit codes of the client commands: not found, unreachable, bad arguments', async (t) => {
  t.timeout(30_000);
  const { addr } = await peer(t, '--id', '60');
  const missing = await runChord(t, ['get', '--via', addr, 'nothing here'], 10_000);
  t.is(missing.code, 3);
  t.regex(missing.stderr, /^chord get: not found: "nothing here" \(id \d+\)/);
  const json = await runChord(t, ['get', '--via', addr, 'nothing here', '--json'], 10_000);
  t.is(json.code, 3);
  t.like(JSON.parse(json.stdout), { ok: false, command: 'get', error: { code: 'not-found' } });
  const unreachable = await runChord(t, ['ring', '--via', '127.0.0.1:1'], 10_000);
  t.is(unreachable.code, 4);
  t.regex(unreachable.stderr, /cannot reach peer 127\.0\.0\.1:1/);
  const both = await runChord(t, ['put', '--via', addr, 'k', 'some-file', '--value', 'v'], 10_000);
  t.is(both.code, 1);
  t.regex(both.stderr, /either a file or --value/);
});

test('bad flags are refused by the command line with a non-zero exit', async (t) => {
  t.timeout(30_000);
  const cases = [
    { args: ['peer', '--bits', '7'], err: /--bits.*expected an integer from 8 to 160/ },
    { args: ['peer', '--id', '256'], err: /--id 256 is not below 2\^8/ },
    { args: ['peer', '--join', 'nowhere'], err: /expected host:port or a peer ID/ },
    { args: ['peer', '--ping-interval', '0'], err: /expected a number from 0\.01/ },
    { args: ['init', '300', '4', '5', '1'], err: /expected an integer from 0 to 255/ },
    { args: ['join', '25', '4'], err: /missing required argument/ },
    { args: ['put', 'k', '--value', 'v'], err: /required option '--via <peer>'/ },
    { args: ['get', '--via', '4', 'k', '--timeout', 'soon'], err: /expected a number/ },
    { args: ['launch', '--max-connections', '0'], err: /--max-connections.*expected an integer from 1/ },
  ];
  for (const c of cases) {
    const r = await runChord(t, c.args, 10_000);
    t.is(r.code, EXIT_CODES.usage, c.args.join(' '));
    t.regex(r.stderr, c.err, c.args.join(' '));
  }
});

test('an unreachable bootstrap peer: the reason is printed, exit unreachable', async (t) => {
  t.timeout(40_000);
  const r = await runChord(t, ['peer', '--id', '9', '--port', '0', ...PING, '--join', '127.0.0.1:1'], 35_000);
  t.is(r.code, EXIT_CODES.unreachable);
  t.regex(r.stdout, /join failed: bootstrap peer unreachable/);
});

test('a duplicate peer ID: a clear error, exit failed; a port in use: a clear error, exit failed', async (t) => {
  t.timeout(30_000);
  const { addr } = await peer(t, '--id', '33');
  const twin = await runChord(t, ['peer', '--id', '33', '--port', '0', ...PING, '--join', addr], 20_000);
  t.is(twin.code, EXIT_CODES.failed);
  t.regex(twin.stdout, /join failed: duplicate peer ID: 21 is already held by 127\.0\.0\.1:\d+/);
  const clash = await runChord(t, ['peer', '--id', '34', '--port', String(parseAddr(addr)!.port), ...PING], 20_000);
  t.is(clash.code, EXIT_CODES.failed);
  t.regex(clash.stderr, /^chord peer: TCP port \d+ on 127\.0\.0\.1 is already in use$/m);
});

test('SIGTERM leaves gracefully, exit 0', async (t) => {
  t.timeout(20_000);
  const { proc } = await peer(t, '--id', '44');
  proc.kill('SIGTERM');
  t.like(await proc.waitExit(10_000), { code: 0 });
  t.regex(proc.output, /^left the ring$/m);
});

test('--advertise: a wildcard bind without it, a name, a wildcard or another port are refused as usage errors (exit 1)', async (t) => {
  t.timeout(30_000);
  const cases = [
    { args: ['--host', '0.0.0.0'], err: /--host 0\.0\.0\.0 listens on every interface and names none that other peers could reach: give --advertise host\[:port\]/ },
    { args: ['--host', '::'], err: /--host :: listens on every interface/ },
    { args: ['--host', '0.0.0.0', '--advertise', 'peer.example.org:4000'], err: /--advertise needs an IP address, not "peer\.example\.org"/ },
    { args: ['--host', '0.0.0.0', '--advertise', '0.0.0.0:4000'], err: /--advertise 0\.0\.0\.0 is a wildcard/ },
    { args: ['--host', '0.0.0.0', '--advertise', '[fd00::5]:4000'], err: /--advertise fd00::5 is IPv6, but --host 0\.0\.0\.0 listens on IPv4 only/ },
    { args: ['--host', '0.0.0.0', '--advertise', '10.0.0.5:4000', '--port', '4001'], err: /--advertise port 4000 is not --port 4001/ },
    { args: ['--advertise', '10.0.0.5:70000'], err: /expected an IP address, with or without :port/ },
  ];
  for (const c of cases) {
    const r = await runChord(t, ['peer', '--bits', '16', ...c.args], 10_000);
    t.is(r.code, 1, c.args.join(' '));
    t.regex(r.stderr, c.err, c.args.join(' '));
  }
});
