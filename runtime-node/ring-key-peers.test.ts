/**
 * Real peers in one process with a ring key, on 127.0.0.1 with ports chosen by the system: the
 * key holders form a ring and serve; a peer or client with another key or none gets nothing in,
 * and forged, unauthenticated or replayed bytes change nothing.
 */
import test, { type ExecutionContext } from 'ava';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { decode, encode } from '../core/codec';
import { pointOfBigInt } from '../core/id';
import type { Msg } from '../core/types';
import { formatAddr, parseAddr } from './address';
import { ask, ClientError } from './client';
import { stateInfo } from './client-server';
import { KEYED_PEER_PREAMBLE, PEER_PREAMBLE, toFrames } from './framing';
import type { PeerOptions } from './peer-driver';
import { RingKey, TAG_BYTES, type HandshakeResult } from './ring-key';
import { badInputs, sleep, startLogged, startRing, waitFor, type Started } from './test-support';

const KEY = new RingKey(Buffer.from('the ring key of these tests, 32B'));
const OTHER = new RingKey(Buffer.from('a key of some other ring, 32 B !'));
const BITS = 16;
const BASE: Omit<PeerOptions, 'start'> = { bits: BITS, pingInterval: 100, ringKey: KEY };

const text = (s: string) => Buffer.from(s, 'utf8');

/**
 * What must not change: each peer a member knowing no peer outside the ring (as successor,
 * predecessor or finger), and the records it holds.
 */
function unchanged(t: ExecutionContext, ring: readonly Started[], records: readonly number[]): void {
  const members = new Set(ring.map((s) => s.peer.self.addr));
  for (const [i, s] of ring.entries()) {
    const info = stateInfo(s.peer.state());
    t.is(info.phase, 'member');
    const known = [...info.succs, ...info.fingers, ...(info.pred ? [info.pred] : [])];
    t.deepEqual(known.filter((p) => !members.has(p.addr)), [], `peer ${info.self.id} knows a stranger`);
    t.is(info.records, records[i]);
  }
}

function recordCounts(ring: readonly Started[]): number[] {
  return ring.map((s) => s.peer.state().records.size);
}

async function udp(t: ExecutionContext): Promise<{ socket: UdpSocket; addr: string; received: Buffer[] }> {
  const socket = createSocket('udp4');
  t.teardown(() => socket.close());
  const received: Buffer[] = [];
  socket.on('message', (m) => received.push(m));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { socket, addr: formatAddr('127.0.0.1', socket.address().port), received };
}

function sendTo(socket: UdpSocket, addr: string, bytes: Uint8Array): Promise<void> {
  const hp = parseAddr(addr)!;
  return new Promise((r) => socket.send(bytes, hp.port, hp.host, () => r()));
}

/** Opens a TCP connection to `addr`, writes `bytes`, and waits for the peer to close it. */
async function closedAfter(t: ExecutionContext, addr: string, bytes: Buffer, onData?: (socket: Socket, data: Buffer) => void): Promise<void> {
  const hp = parseAddr(addr)!;
  const socket = connect(hp.port, hp.host);
  t.teardown(() => socket.destroy());
  socket.on('error', () => undefined);
  // Read what comes, or the close would wait behind unread bytes.
  socket.on('data', (data) => onData?.(socket, data));
  socket.write(bytes);
  await new Promise((r) => socket.once('close', r));
}

/**
 * A handshake with `key`, then whatever `after` makes of the keys (the frames to send); waits
 * for the peer to close the connection.
 */
function keyedSession(t: ExecutionContext, addr: string, key: RingKey, after: (keys: Extract<HandshakeResult, { ok: true }>) => Buffer[]): Promise<void> {
  const opening = key.initiate(KEYED_PEER_PREAMBLE);
  let head = Buffer.alloc(0);
  return closedAfter(t, addr, opening.hello, (socket, data) => {
    head = Buffer.concat([head, data]);
    if (head.length < opening.expect) return;
    const done = opening.finish(head.subarray(0, opening.expect));
    // Another key: send a proof anyway, as a stranger would.
    socket.write(done.ok ? Buffer.concat([done.reply, ...after(done)]) : Buffer.alloc(32, 7));
  });
}

function refusals(s: Started, re: RegExp): string[] {
  return badInputs(s).filter((r) => re.test(r));
}

test('a keyed ring forms and serves its key holders, peers and clients alike', async (t) => {
  t.timeout(40_000);
  const ring = await startRing(t, 3, BASE);
  for (let i = 0; i < 10; i++) t.like(await ring[i % 3].peer.put(`key ${i}`, text(`value ${i}`)), { ok: true });
  for (let i = 0; i < 10; i++) {
    const r = await ask(ring[(i + 1) % 3].peer.self.addr, { t: 'get', key: `key ${i}` }, 5000, { key: KEY });
    t.true(r.t === 'get-ok' && Buffer.from(r.value).toString() === `value ${i}`, JSON.stringify(r));
  }
  t.like(await ask(ring[0].peer.self.addr, { t: 'put', key: 'by a client', value: text('v') }, 5000, { key: KEY }), { t: 'put-ok' });
  // Nothing refused along the way: every datagram and connection was a key holder's.
  t.deepEqual(ring.flatMap(badInputs), []);
});

test('a peer with another key cannot join: the ring stays as it was, and logs the refusal', async (t) => {
  t.timeout(40_000);
  const ring = await startRing(t, 3, BASE);
  const before = recordCounts(ring);
  const stranger = await startLogged(t, { ...BASE, ringKey: OTHER, start: { kind: 'join', via: ring[0].peer.self.addr }, config: { rpcTimeout: 500 } });
  const info = await stranger.peer.stopped;
  t.is(info.how, 'failed');
  t.regex(info.reason, /bootstrap peer unreachable/);
  t.true(refusals(stranger, /^TCP to .*did not prove the ring key/).length > 0, badInputs(stranger).join('\n'));
  t.true(refusals(ring[0], /^TCP from .*(wrong ring-key proof|closed during the ring-key handshake)/).length > 0, badInputs(ring[0]).join('\n'));
  // A keyless one neither.
  const keyless = await startLogged(t, { ...BASE, ringKey: null, start: { kind: 'join', via: ring[1].peer.self.addr }, config: { rpcTimeout: 500 } });
  t.is((await keyless.peer.stopped).how, 'failed');
  await waitFor('the refusal of the keyless peer', 5000, () => refusals(ring[1], /a peer connection without the ring key/).length > 0);
  // Long enough for a stranger that got in to show up in a stabilize round or two.
  await sleep(300);
  unchanged(t, ring, before);
});

test('a client without the key, or with another, is refused with a clear error and stores nothing', async (t) => {
  t.timeout(30_000);
  const ring = await startRing(t, 3, BASE);
  const via = ring[0].peer.self.addr;
  const put = { t: 'put', key: 'intruder', value: text('x') } as const;
  const without = await t.throwsAsync(ask(via, put, 5000), { instanceOf: ClientError, message: /refused the connection: this peer lets in only holders of its ring key/ });
  t.is(without?.kind, 'refused');
  const other = await t.throwsAsync(ask(via, put, 5000, { key: OTHER }), { instanceOf: ClientError, message: /ring-key handshake with peer .* failed: the other end did not prove the ring key/ });
  t.is(other?.kind, 'refused');
  await t.throwsAsync(ask(via, { t: 'state' }, 5000), { message: /refused/ });
  t.like(await ask(via, { t: 'get', key: 'intruder' }, 5000, { key: KEY }), { t: 'error', code: 'not-found' });
  t.true(ring.every((s) => s.peer.state().records.size === 0));
});

test('forged, unauthenticated and replayed datagrams are dropped with one line per kind, and change nothing', async (t) => {
  t.timeout(30_000);
  const ring = await startRing(t, 3, { ...BASE, dropLogMs: 1500 });
  const target = ring[0];
  const me = await udp(t);
  const fake = { ...pointOfBigInt(12_345n, BITS), addr: me.addr };
  const ping = (nonce: number): Msg => ({ t: 'ping', nonce });
  // A key holder's ping is answered: the sender is reachable and the test can tell a pong.
  const sealer = KEY.datagramSealer();
  const valid = sealer.seal(encode(fake, ping(1)), target.peer.self.addr);
  await sendTo(me.socket, target.peer.self.addr, valid);
  const opener = KEY.datagramOpener(me.addr);
  await waitFor('the pong', 5000, () => me.received.some((d) => {
    const o = opener.open(d);
    return o.ok && (decode(o.payload, BITS) as { ok: boolean; msg?: Msg }).msg?.t === 'pong';
  }));
  const before = recordCounts(ring);
  const answers = me.received.length;
  // Plain core bytes; sealed with another key; sealed for another address; the valid one again.
  for (let i = 0; i < 5; i++) await sendTo(me.socket, target.peer.self.addr, encode(fake, ping(10 + i)));
  await sendTo(me.socket, target.peer.self.addr, OTHER.datagramSealer().seal(encode(fake, ping(20)), target.peer.self.addr));
  await sendTo(me.socket, target.peer.self.addr, sealer.seal(encode(fake, ping(21)), ring[1].peer.self.addr));
  for (let i = 0; i < 3; i++) await sendTo(me.socket, target.peer.self.addr, valid);
  await waitFor('the counts', 5000, () => refusals(target, /more dropped/).length >= 2);
  t.deepEqual(refusals(target, /^UDP from .*no ring-key MAC; dropped \(datagrams without a valid ring-key MAC: more are counted/).length, 1);
  t.regex(refusals(target, /^datagrams without a valid ring-key MAC: \d+ more/)[0], /: 6 more dropped since the last line; the last: .*another key, or meant for another address/);
  t.is(refusals(target, /^UDP from .*replayed/).length, 1);
  t.regex(refusals(target, /^replayed datagrams: \d+ more/)[0], /: 2 more dropped/);
  t.is(me.received.length, answers, 'no pong to anything refused');
  unchanged(t, ring, before);
});

test('forged connections: a wrong proof, a plain peer stream, frames without or with a wrong MAC, a stalled handshake: closed, nothing changes', async (t) => {
  t.timeout(30_000);
  const ring = await startRing(t, 3, { ...BASE, config: { rpcTimeout: 1000 }, dropLogMs: 300 });
  const target = ring[0];
  const addr = target.peer.self.addr;
  const before = recordCounts(ring);
  const fake = { ...pointOfBigInt(54_321n, BITS), addr: '127.0.0.1:9' };
  const message = encode(fake, { t: 'ping', nonce: 7 });
  await keyedSession(t, addr, OTHER, () => []);
  await closedAfter(t, addr, Buffer.concat([PEER_PREAMBLE, ...toFrames(message)]));
  // The preamble and a nonce, then nothing: closed when the handshake times out.
  const stalledAt = performance.now();
  await closedAfter(t, addr, KEY.initiate(KEYED_PEER_PREAMBLE).hello);
  t.true(performance.now() - stalledAt < 5000);
  // A key holder's handshake, then frames no key holder sends: without MACs (the reader takes
  // the next bytes for the tag), and with a MAC one bit off.
  await keyedSession(t, addr, KEY, () => [...toFrames(message), ...toFrames(message)]);
  await keyedSession(t, addr, KEY, (keys) => {
    const framed = Buffer.concat(toFrames(message, undefined, keys.send));
    framed[framed.length - TAG_BYTES] ^= 1;
    return [framed];
  });
  await waitFor('the frame refusals', 5000, () => refusals(target, /failed its ring-key MAC/).length === 2);
  // Each refusal is told, as the first of an interval or as the last of the count after it.
  const reasons = badInputs(target).join('\n');
  t.regex(reasons, /TCP from .*: wrong ring-key proof \(the other end holds another key\); closed/);
  t.regex(reasons, /TCP from .*: a peer connection without the ring key; closed/);
  t.regex(reasons, /TCP from .*: nothing valid within 1000 ms; closed/);
  unchanged(t, ring, before);
  t.like(await target.peer.put('still serving', text('yes')), { ok: true });
});
