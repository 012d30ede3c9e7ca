/**
 * Real peers in one process (startPeer), on 127.0.0.1 with ports chosen by the system: the
 * driver carries the core's protocol over real UDP and TCP.
 */
import test, { type ExecutionContext } from 'ava';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WIRE_VERSION } from '../core/codec';
import { parseAddr } from './address';
import { ask } from './client';
import { PEER_PREAMBLE, toFrames } from './framing';
import { startPeer, type PeerOptions } from './peer-driver';
import { badInputs, settled, startLogged, startRing, waitFor, type Started } from './test-support';

const PING = 100;
const BITS = 16;

function start(t: ExecutionContext, o: Partial<PeerOptions> & Pick<PeerOptions, 'start'>): Promise<Started> {
  return startLogged(t, { bits: BITS, pingInterval: PING, ...o });
}

function ring(t: ExecutionContext, n: number): Promise<Started[]> {
  return startRing(t, n, { bits: BITS, pingInterval: PING });
}

const text = (s: string) => Buffer.from(s, 'utf8');

test('peers in one process serve puts and gets through any peer, through a leave and a crash', async (t) => {
  t.timeout(40_000);
  const peers = (await ring(t, 6)).map((s) => s.peer);
  for (let i = 0; i < 30; i++) {
    const r = await peers[i % 3].put(`key ${i}`, text(`value ${i}`));
    t.true(r.ok, JSON.stringify(r));
  }
  const leaver = peers[1];
  const crashed = peers[4];
  await leaver.leave();
  t.is((await leaver.stopped).how, 'left');
  await crashed.close();
  const rest = peers.filter((p) => p !== leaver && p !== crashed);
  await settled(rest);
  for (let i = 0; i < 30; i++) {
    const r = await rest[i % rest.length].get(`key ${i}`);
    t.true(r.ok && r.op === 'get' && Buffer.from(r.rec.value).toString() === `value ${i}`, `key ${i}: ${JSON.stringify(r)}`);
  }
  const missing = await rest[0].get('never stored');
  t.like(missing, { ok: false, error: 'not-found' });
});

test('an abrupt departure is noticed within a few ping intervals', async (t) => {
  t.timeout(30_000);
  const all = await ring(t, 4);
  const sorted = [...all].sort((a, b) => (a.peer.self.id < b.peer.self.id ? -1 : 1));
  const [pred, victim] = sorted;
  const killedAt = performance.now();
  await victim.peer.close();
  await waitFor('the predecessor to declare the victim gone', 10 * PING + 2000, () =>
    pred.logs.some((e) => e.ev === 'peer-gone' && e.peer.id === victim.peer.self.id));
  const intervals = (performance.now() - killedAt) / PING;
  t.log(`noticed after ${intervals.toFixed(1)} ping intervals`);
  t.true(intervals <= 6, `took ${intervals.toFixed(1)} ping intervals`);
});

test('garbage datagrams and TCP bytes are logged and dropped, and the peer keeps serving', async (t) => {
  t.timeout(30_000);
  // Lines are one per kind and interval: a short interval tells the counted ones' last reasons soon.
  const [a, b] = await startRing(t, 2, { bits: BITS, pingInterval: PING, dropLogMs: 100 });
  const hp = parseAddr(a.peer.self.addr)!;
  const udp = createSocket('udp4');
  t.teardown(() => udp.close());
  await new Promise<void>((r) => udp.send(Buffer.from('definitely not a message'), hp.port, hp.host, () => r()));
  await new Promise<void>((r) => udp.send(Buffer.from([WIRE_VERSION, 200, 0]), hp.port, hp.host, () => r()));
  const garbage = async (bytes: Buffer) => {
    const socket = connect(hp.port, hp.host);
    socket.on('error', () => undefined);
    socket.write(bytes);
    await new Promise((r) => socket.once('close', r));
  };
  // Not a chord connection; a peer stream with broken frames; a frame holding no valid message.
  await garbage(Buffer.from('GET / HTTP/1.0\r\n\r\n'));
  await garbage(Buffer.concat([PEER_PREAMBLE, Buffer.alloc(20, 0xff)]));
  await garbage(Buffer.concat([PEER_PREAMBLE, ...toFrames(Buffer.from('junk'))]));
  const reasons = () => badInputs(a);
  await waitFor('five bad-input lines', 5000, () => reasons().length >= 5);
  t.true(reasons().some((r) => /UDP from .*unsupported wire version/.test(r)), reasons().join('\n'));
  t.true(reasons().some((r) => /UDP from .*unknown message type tag 200/.test(r)), reasons().join('\n'));
  t.true(reasons().some((r) => /not a chord connection/.test(r)), reasons().join('\n'));
  t.true(reasons().some((r) => /bad frame flags|exceeds the limit/.test(r)), reasons().join('\n'));
  t.true(reasons().some((r) => /TCP from .*wire version/.test(r)), reasons().join('\n'));
  // Still a working peer, for its ring and for clients.
  t.like(await a.peer.put('after garbage', text('fine')), { ok: true });
  t.like(await ask(b.peer.self.addr, { t: 'get', key: 'after garbage' }, 5000), { t: 'get-ok' });
});

test('a join through an unreachable bootstrap peer fails with the reason', async (t) => {
  t.timeout(20_000);
  const { peer } = await start(t, { start: { kind: 'join', via: '127.0.0.1:1' }, config: { rpcTimeout: 100 } });
  const info = await peer.stopped;
  t.is(info.how, 'failed');
  t.regex(info.reason, /bootstrap peer unreachable/);
});

test('a join with an ID already in the ring fails as a duplicate', async (t) => {
  t.timeout(20_000);
  const first = await start(t, { id: 1000n, start: { kind: 'create' } });
  const twin = await start(t, { id: 1000n, start: { kind: 'join', via: first.peer.self.addr } });
  const info = await twin.peer.stopped;
  t.is(info.how, 'failed');
  t.regex(info.reason, /duplicate peer ID/);
  t.is(first.peer.state().phase.name, 'member');
});

test('a port in use is a clear error', async (t) => {
  const { peer } = await start(t, { start: { kind: 'create' } });
  const port = parseAddr(peer.self.addr)!.port;
  await t.throwsAsync(startPeer({ bits: BITS, port, start: { kind: 'create' } }), { message: /port \d+ on 127\.0\.0\.1 is already in use/ });
});
