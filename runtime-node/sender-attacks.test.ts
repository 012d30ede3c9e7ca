/**
 * Real peers of an open ring (no key) in one process, on 127.0.0.1 with system ports, against
 * messages forged with the project's own codec: a sender named in a message is not believed
 * before its address proves it, and no message makes a peer send more than it carried, nor to an
 * address the message names.
 */
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import { encode } from '../core/codec';
import { pointOfBigInt } from '../core/id';
import type { DigestEntry, Msg, Peer, Rec } from '../core/types';
import { keyOf } from '../edge/key-id';
import { formatAddr, parseAddr } from './address';
import { PEER_PREAMBLE, toFrames } from './framing';
import { decodeControl, encodeEcho } from './identity';
import type { PeerOptions } from './peer-driver';
import { badInputs, sleep, startRing, waitFor, type Started } from './test-support';

const BITS = 16;
// A short RPC timeout: a forged stream is closed once its proof is overdue, this long after.
const BASE: Omit<PeerOptions, 'start'> = { bits: BITS, pingInterval: 100, config: { rpcTimeout: 1000 }, dropLogMs: 300 };

/** A third party at one address, UDP and TCP: what reaches it is counted, nothing is answered. */
interface Bystander {
  readonly addr: string;
  readonly udp: { bytes: number; count: number };
  readonly tcp: { bytes: number; connections: number };
}

async function bystander(t: ExecutionContext): Promise<Bystander> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const udp = createSocket('udp4');
    const bound = await new Promise<boolean>((r) => {
      udp.once('error', () => r(false));
      udp.bind(port, '127.0.0.1', () => r(true));
    });
    if (!bound) {
      server.close();
      udp.close();
      continue;
    }
    const b: Bystander = { addr: formatAddr('127.0.0.1', port), udp: { bytes: 0, count: 0 }, tcp: { bytes: 0, connections: 0 } };
    udp.on('message', (m) => {
      b.udp.bytes += m.length;
      b.udp.count++;
    });
    server.on('connection', (s) => {
      b.tcp.connections++;
      s.on('data', (d: Buffer) => (b.tcp.bytes += d.length));
      s.on('error', () => undefined);
    });
    t.teardown(() => {
      server.close();
      udp.close();
    });
    return b;
  }
}

async function attackerSocket(t: ExecutionContext): Promise<{ socket: UdpSocket; addr: string; received: { bytes: number } }> {
  const socket = createSocket('udp4');
  t.teardown(() => socket.close());
  const received = { bytes: 0 };
  socket.on('message', (m) => (received.bytes += m.length));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { socket, addr: formatAddr('127.0.0.1', socket.address().port), received };
}

function sendTo(socket: UdpSocket, addr: string, bytes: Uint8Array): Promise<void> {
  const hp = parseAddr(addr)!;
  return new Promise((r) => socket.send(bytes, hp.port, hp.host, () => r()));
}

/** A peer stream carrying forged messages; resolves once the peer has closed it. */
async function forgedStream(t: ExecutionContext, addr: string, messages: readonly Uint8Array[]): Promise<number> {
  const hp = parseAddr(addr)!;
  const socket = connect(hp.port, hp.host);
  t.teardown(() => socket.destroy());
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  const bytes = Buffer.concat([PEER_PREAMBLE, ...messages.flatMap((m) => toFrames(m))]);
  socket.write(bytes);
  await new Promise((r) => socket.once('close', r));
  return bytes.length;
}

/** The ring's peers in ring order. */
function inOrder(ring: readonly Started[]): Started[] {
  return [...ring].sort((a, b) => (a.peer.self.id < b.peer.self.id ? -1 : 1));
}

function knows(s: Started, addr: string): boolean {
  const st = s.peer.state();
  return [...st.succs, ...(st.pred ? [st.pred] : []), ...st.fingers.distinct].some((p) => p.addr === addr);
}

const UNPROVEN = 'streams whose sender did not prove its address';
/** Streams closed unproven, as the rate-limited drop log tells them: its first lines, then its counts. */
const unproven = (s: Started) => badInputs(s).reduce((n, r) => {
  if (r.includes(`(${UNPROVEN}:`)) return n + 1;
  const counted = new RegExp(`^${UNPROVEN}: (\\d+) more dropped`).exec(r);
  return counted ? n + Number(counted[1]) : n;
}, 0);

test('a forged leave-notice "from" a live peer does not make its predecessor drop it (forged fields from fast-check)', async (t) => {
  t.timeout(60_000);
  const ring = inOrder(await startRing(t, 3, BASE));
  const [a, b] = ring;
  const peers = fc.constantFrom<Peer>(...ring.map((s) => s.peer.self), { ...pointOfBigInt(7n, BITS), addr: '127.0.0.1:9' });
  const notice = fc.record({ rid: fc.nat(), succs: fc.array(peers, { maxLength: 4 }) }).map((m): Msg => ({ t: 'leave-notice', ...m }));
  const forgeries = fc.sample(notice, 8).map((m) => encode(b.peer.self, m));
  const closedBefore = unproven(a);
  // Each on a stream of its own, all at once; and by datagram, where a notice never comes.
  await Promise.all(forgeries.map((m) => forgedStream(t, a.peer.self.addr, [m])));
  const me = await attackerSocket(t);
  for (const m of forgeries) await sendTo(me.socket, a.peer.self.addr, m);
  await waitFor('every forged stream closed, unproven', 5000, () => unproven(a) - closedBefore === forgeries.length);
  await waitFor('the datagrams refused', 5000, () => badInputs(a).some((r) => /a leave-notice, which only comes by stream/.test(r)));
  t.is(a.peer.state().succs[0]?.id, b.peer.self.id);
  t.false(a.logs.some((e) => e.ev === 'peer-gone' && e.peer.id === b.peer.self.id));
  t.is(me.received.bytes, 0);
});

test('a fake peer\'s forged leave-notice and rectify make it neither successor nor heir of a range', async (t) => {
  t.timeout(60_000);
  const ring = inOrder(await startRing(t, 3, BASE));
  const [a, b] = ring;
  for (let i = 0; i < 20; i++) await b.peer.put(`key ${i}`, Buffer.from(`value ${i}`));
  const fakeAddr = await bystander(t);
  const fake: Peer = { ...pointOfBigInt(BigInt(`0x${a.peer.self.id}`) + 1n, BITS), addr: fakeAddr.addr };
  await Promise.all([
    forgedStream(t, a.peer.self.addr, [encode(b.peer.self, { t: 'leave-notice', rid: 1, succs: [fake] })]),
    forgedStream(t, b.peer.self.addr, [encode(fake, { t: 'rectify', ready: false, link: false })]),
  ]);
  // A few rounds of stabilize in which a believed forgery would have shown.
  await sleep(500);
  t.is(a.peer.state().succs[0]?.id, b.peer.self.id);
  t.is(b.peer.state().pred?.id, a.peer.self.id);
  for (const s of ring) t.false(knows(s, fake.addr), `peer ${s.peer.self.id} knows the fake peer`);
  t.deepEqual(fakeAddr.tcp, { bytes: 0, connections: 0 }, 'no hand-off, nor anything else, by stream to the fake peer');
  t.log(`the fake peer's address got ${fakeAddr.udp.count} challenge datagram(s), ${fakeAddr.udp.bytes} bytes`);
});

test('400 small fetch datagrams naming another address: nothing goes there, and less comes back than was sent', async (t) => {
  t.timeout(60_000);
  const ring = await startRing(t, 3, BASE);
  const target = ring[0];
  const big = Buffer.alloc(1 << 20, 7);
  t.like(await target.peer.put('big', big), { ok: true });
  const victim = await bystander(t);
  const me = await attackerSocket(t);
  const key = keyOf('big', BITS);
  t.true(target.peer.state().records.size > 0, 'the target holds the record (r = 3 of 3 peers)');
  let sent = 0;
  // Half name the victim, half the attacker's own address (a claim its source matches).
  for (let i = 0; i < 400; i++) {
    const from: Peer = { ...pointOfBigInt(BigInt(1000 + i), BITS), addr: i % 2 === 0 ? victim.addr : me.addr };
    const bytes = encode(from, { t: 'fetch', rid: i + 1, key });
    sent += bytes.length;
    await sendTo(me.socket, target.peer.self.addr, bytes);
  }
  await waitFor('the fetches refused', 10_000, () => badInputs(target).some((r) => /^messages by datagram that only come by stream: \d+ more/.test(r)));
  await sleep(300);
  t.deepEqual(victim.udp, { bytes: 0, count: 0 });
  t.deepEqual(victim.tcp, { bytes: 0, connections: 0 });
  t.true(me.received.bytes <= sent);
  t.log(`fetch datagrams: ${sent} bytes sent, ${me.received.bytes} back to the source, ${victim.udp.bytes + victim.tcp.bytes} to the named address (${(me.received.bytes + victim.udp.bytes + victim.tcp.bytes) / sent} bytes per byte)`);
});

test('a digest of 500,000 keys naming another address makes the peer send nothing there but one challenge', async (t) => {
  t.timeout(90_000);
  const ring = await startRing(t, 3, BASE);
  const target = ring[0];
  const victim = await bystander(t);
  const from: Peer = { ...pointOfBigInt(4242n, BITS), addr: victim.addr };
  const entries: DigestEntry[] = Array.from({ length: 500_000 }, (_, i) => ({ key: { ...pointOfBigInt(BigInt(i % 65536), BITS), name: `k${i}` }, version: 1, writer: 'x' }));
  const digest = encode(from, { t: 'digest', entries, from: null });
  const sent = await forgedStream(t, target.peer.self.addr, [digest]);
  // By datagram too, as large as one may be: dropped.
  const me = await attackerSocket(t);
  const small = encode(from, { t: 'digest', entries: entries.slice(0, 2000), from: null });
  await sendTo(me.socket, target.peer.self.addr, small);
  await waitFor('the datagram refused', 5000, () => badInputs(target).some((r) => /a digest, which only comes by stream/.test(r)));
  await sleep(300);
  t.deepEqual(victim.tcp, { bytes: 0, connections: 0 });
  t.true(victim.udp.count <= 1 && victim.udp.bytes <= 64, `${victim.udp.count} datagrams, ${victim.udp.bytes} bytes`);
  t.is(me.received.bytes, 0);
  t.log(`digest: ${sent} bytes by stream and ${small.length} by datagram; ${victim.udp.bytes} bytes to the named address`);
});

/**
 * A stranger that proves its address: it listens (UDP and TCP) where its claim says, and echoes
 * the challenge that comes there on the stream that made the claim, as a real peer would.
 */
async function provenStranger(t: ExecutionContext, id: bigint): Promise<{ self: Peer; send(to: string, messages: readonly Msg[]): void }> {
  const udp = createSocket('udp4');
  t.teardown(() => udp.close());
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  const self: Peer = { ...pointOfBigInt(id, BITS), addr: formatAddr('127.0.0.1', udp.address().port) };
  const streams: ReturnType<typeof connect>[] = [];
  udp.on('message', (m) => {
    const c = decodeControl(m);
    if (c?.kind === 'challenge') for (const s of streams) s.write(Buffer.concat(toFrames(encodeEcho(c.nonce))));
  });
  return {
    self,
    send(to, messages) {
      const hp = parseAddr(to)!;
      const socket = connect(hp.port, hp.host);
      t.teardown(() => socket.destroy());
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      streams.push(socket);
      socket.write(Buffer.concat([PEER_PREAMBLE, ...messages.flatMap((m) => toFrames(encode(self, m)))]));
    },
  };
}

test('a stranger that proves its address is refused the records it makes up, in a store copy, a copy, a hand-off and a leave', async (t) => {
  t.timeout(60_000);
  const ring = inOrder(await startRing(t, 3, BASE));
  const target = ring[0];
  // About opposite the target on the ring: no neighbour of it.
  const stranger = await provenStranger(t, BigInt(`0x${target.peer.self.id}`) + (1n << BigInt(BITS - 1)));
  const made = (name: string): Rec => ({ key: keyOf(name, BITS), value: Buffer.from('made up'), version: 1000, writer: stranger.self.id });
  stranger.send(target.peer.self.addr, [
    { t: 'replicate', rid: 7, records: [made('copy of a store')] },
    { t: 'replicate', rid: 0, records: [made('unasked copy')] },
    { t: 'handoff', records: [made('hand-off')], from: stranger.self, more: false },
    { t: 'leave', rid: 9, pred: null, records: [made('leave')], from: stranger.self, more: false },
  ]);
  const refused = () => target.logs.filter((e) => e.ev === 'records-refused' && e.from.id === stranger.self.id);
  await waitFor('all four refused', 10_000, () => refused().length === 4);
  t.deepEqual(refused().map((e) => (e.ev === 'records-refused' ? e.what : '')), ['replicate', 'replicate', 'handoff', 'leave']);
  for (const name of ['copy of a store', 'unasked copy', 'hand-off', 'leave']) {
    t.is(target.peer.state().records.get(keyOf(name, BITS)), undefined);
    t.like(await ring[1].peer.get(name), { ok: false, error: 'not-found' });
  }
  // Delivered (refused, not held unproven), and the ring works as before.
  t.like(await target.peer.put('a real one', Buffer.from('v')), { ok: true });
  t.like(await ring[2].peer.get('a real one'), { ok: true });
});
