import test from 'ava';
import fc from 'fast-check';
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frameMessage, FrameReader, KEYED_PEER_PREAMBLE, toFrames } from './framing';
import { FrameMac, loadRingKey, MIN_KEY_BYTES, REPLAY_WINDOW, ReplayWindow, RingKey, RingKeyError, TAG_BYTES, type HandshakeResult } from './ring-key';

const KEY = new RingKey(Buffer.from('a ring key of this test, 32 byte'));
const OTHER = new RingKey(Buffer.from('another ring key, also 32 bytes!'));
const PEER = '127.0.0.1:4000';

type Keys = Extract<HandshakeResult, { ok: true }>;

/** Both ends of a handshake, run to completion; throws if either end refuses. */
function handshake(initiatorKey = KEY, responderKey = KEY): { initiator: Keys; responder: Keys } {
  const i = initiatorKey.initiate(KEYED_PEER_PREAMBLE);
  const r = responderKey.respond(i.hello.subarray(0, 4), i.hello.subarray(4));
  const initiator = i.finish(r.hello);
  if (!initiator.ok) throw new Error(initiator.error);
  const responder = r.finish(initiator.reply);
  if (!responder.ok) throw new Error(responder.error);
  return { initiator, responder };
}

/** What a reader checking `mac` makes of `bytes`. */
function read(bytes: Buffer, mac: Keys['receive'], chunk = 16): { messages: Buffer[]; error: string | null } {
  const messages: Buffer[] = [];
  const reader = new FrameReader({ message: (m) => messages.push(m) }, 1 << 20, chunk, mac);
  return { messages, error: reader.push(bytes) };
}

test('a key file: at least 16 bytes, every byte counts; a missing or short one is a clear error', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'chord-key-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'short'), Buffer.alloc(MIN_KEY_BYTES - 1, 1));
  writeFileSync(join(dir, 'ok'), Buffer.alloc(MIN_KEY_BYTES, 1));
  t.throws(() => loadRingKey(join(dir, 'missing')), { instanceOf: RingKeyError, message: /cannot read the ring key file .*missing: ENOENT/ });
  t.throws(() => loadRingKey(join(dir, 'short')), { instanceOf: RingKeyError, message: /holds 15 bytes; a ring key has at least 16/ });
  t.throws(() => loadRingKey(dir), { instanceOf: RingKeyError, message: /EISDIR/ });
  t.true(loadRingKey(join(dir, 'ok')) instanceof RingKey);
});

test('the handshake: same key, both ends agree on a key per direction', (t) => {
  const { initiator, responder } = handshake();
  const message = Buffer.from('a message long enough for several frames of sixteen bytes');
  t.deepEqual(read(Buffer.concat(toFrames(message, 16, initiator.send)), responder.receive).messages, [message]);
  t.deepEqual(read(Buffer.concat(toFrames(message, 16, responder.send)), initiator.receive).messages, [message]);
  // A frame reflected back to its sender fails: each direction has its own key.
  t.regex(read(Buffer.concat(toFrames(message, 16, initiator.send)), initiator.receive).error ?? '', /failed its ring-key MAC/);
});

test('the stream keys: one HKDF-SHA256 of the key over the transcript, 32 bytes each way', (t) => {
  const secret = Buffer.from('a ring key of this test, 32 byte');
  const ring = new RingKey(secret);
  const i = ring.initiate(KEYED_PEER_PREAMBLE);
  const r = ring.respond(KEYED_PEER_PREAMBLE, i.hello.subarray(4));
  const initiator = i.finish(r.hello) as Keys;
  const transcript = Buffer.concat([i.hello, r.hello.subarray(0, 32)]);
  const keys = Buffer.from(hkdfSync('sha256', secret, transcript, 'chord ring-key v1 stream keys', 64));
  const tag = (mac: FrameMac) => {
    const into = Buffer.alloc(TAG_BYTES);
    mac.sign(Buffer.from('header'), Buffer.from('chunk'), into, 0);
    return into;
  };
  t.deepEqual(tag(initiator.send), tag(new FrameMac(keys.subarray(0, 32))));
  t.deepEqual(tag(initiator.receive), tag(new FrameMac(keys.subarray(32))));
});

test('the handshake fails for another key, on either side, and for a reflected proof', (t) => {
  t.throws(() => handshake(KEY, OTHER), { message: /did not prove the ring key/ });
  const i = KEY.initiate(KEYED_PEER_PREAMBLE);
  const r = KEY.respond(KEYED_PEER_PREAMBLE, i.hello.subarray(4));
  const liar = OTHER.respond(KEYED_PEER_PREAMBLE, i.hello.subarray(4));
  t.like(i.finish(liar.hello), { ok: false });
  // A responder's own proof sent back as the initiator's: the role label tells them apart.
  t.like(r.finish(r.hello.subarray(32)), { ok: false });
  // An initiator proving with another key.
  const wrong = OTHER.initiate(KEYED_PEER_PREAMBLE);
  const r2 = KEY.respond(KEYED_PEER_PREAMBLE, wrong.hello.subarray(4));
  const proof = wrong.finish(Buffer.concat([r2.hello.subarray(0, 32), Buffer.alloc(32)]));
  t.like(proof, { ok: false });
  const refused = r2.finish(Buffer.alloc(32));
  t.false(refused.ok);
  t.regex(refused.ok ? '' : refused.error, /wrong ring-key proof/);
});

test('a proof from one connection is worth nothing in another (fresh nonces)', (t) => {
  const i = KEY.initiate(KEYED_PEER_PREAMBLE);
  const first = KEY.respond(KEYED_PEER_PREAMBLE, i.hello.subarray(4));
  const ok = i.finish(first.hello);
  t.true(ok.ok);
  // The same initiator hello answered again: the replayed initiator proof fails.
  const second = KEY.respond(KEYED_PEER_PREAMBLE, i.hello.subarray(4));
  t.like(second.finish((ok as Keys).reply), { ok: false });
});

test('property: any tampered byte of the handshake fails it', (t) => {
  fc.assert(fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (at, flip, inResponse) => {
    const i = KEY.initiate(KEYED_PEER_PREAMBLE);
    const hello = Buffer.from(i.hello);
    if (!inResponse) hello[4 + (at % 32)] ^= flip;
    const r = KEY.respond(KEYED_PEER_PREAMBLE, hello.subarray(4));
    const answer = Buffer.from(r.hello);
    if (inResponse) answer[at % answer.length] ^= flip;
    const done = i.finish(answer);
    // A changed nonce of the initiator's passes the first step, and fails at the responder.
    t.false(done.ok && r.finish(done.reply).ok);
  }));
});

test('property: any tampered byte of a sealed stream keeps its message from being delivered', (t) => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (message, at, flip) => {
    const { initiator, responder } = handshake();
    const stream = Buffer.concat(toFrames(message, 16, initiator.send));
    stream[at % stream.length] ^= flip;
    t.deepEqual(read(stream, responder.receive).messages, []);
  }));
});

test('a frame tag is HMAC-SHA256 of the frame\'s sequence number, header and chunk, truncated to 16 bytes', (t) => {
  const key = Buffer.from('a per-direction key of 32 bytes!');
  const signer = new FrameMac(key);
  const checker = new FrameMac(key);
  const header = Buffer.from('header ok');
  for (const [seq, chunk] of [[0, 'first chunk'], [1, 'second'], [2, 'x'.repeat(20_000)]] as const) {
    const seqBytes = Buffer.alloc(8);
    seqBytes.writeBigUInt64BE(BigInt(seq));
    const expected = createHmac('sha256', key).update(seqBytes).update(header).update(chunk).digest().subarray(0, TAG_BYTES);
    const into = Buffer.alloc(TAG_BYTES + 2, 0xee);
    signer.sign(header, Buffer.from(chunk), into, 1);
    t.deepEqual(into.subarray(1, 1 + TAG_BYTES), expected, `frame ${seq}`);
    t.is(into[0], 0xee);
    t.is(into[1 + TAG_BYTES], 0xee);
    t.true(checker.verify(header, Buffer.from(chunk), expected), `frame ${seq}`);
  }
  // A wrong tag fails, and still counts as a frame: the next right one is for the next number.
  const other = new FrameMac(key);
  t.false(other.verify(header, Buffer.from('first chunk'), Buffer.alloc(TAG_BYTES)));
  const seqOne = Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]);
  t.true(other.verify(header, Buffer.from('second'), createHmac('sha256', key).update(seqOne).update(header).update('second').digest().subarray(0, TAG_BYTES)));
});

test('large chunks go as a view of the message with their own tag, small ones in one buffer; a reader takes both', (t) => {
  const { initiator, responder } = handshake();
  const message = randomBytes(50_000);
  const frames = frameMessage(message, 20_000, initiator.send);
  t.deepEqual(frames.map((f) => [f.pieces.length, f.chunk]), [[3, 20_000], [3, 20_000], [1, 10_000]]);
  t.is(frames[0].pieces[1].buffer, message.buffer, 'a view, not a copy');
  const stream = Buffer.concat(frames.flatMap((f) => f.pieces));
  t.deepEqual(read(stream, responder.receive, 20_000).messages, [message]);
  // Read in pieces of any size, the chunks' MACs are the same.
  const reader = new FrameReader({ message: (m) => t.deepEqual(m, message) }, 1 << 20, 20_000, handshake().responder.receive);
  t.regex(reader.push(stream) ?? '', /frame 0 failed/, 'another connection\'s keys');
  fc.assert(fc.property(fc.array(fc.nat(stream.length), { maxLength: 30 }), fc.nat(stream.length - 1), (cuts, at) => {
    const pair = handshake();
    const bytes = Buffer.concat(frameMessage(message, 20_000, pair.initiator.send).flatMap((f) => f.pieces));
    const got: Buffer[] = [];
    const r = new FrameReader({ message: (m) => got.push(m) }, 1 << 20, 20_000, pair.responder.receive);
    let from = 0;
    for (const cut of [...cuts].sort((a, b) => a - b).concat(bytes.length)) {
      t.is(r.push(bytes.subarray(from, cut)), null);
      from = cut;
    }
    t.deepEqual(got, [message]);
    const tampered = Buffer.from(bytes);
    tampered[at] ^= 1;
    t.deepEqual(read(tampered, handshake().responder.receive, 20_000).messages, []);
  }), { numRuns: 30 });
});

test('a frame out of order, repeated or missing closes the stream', (t) => {
  const { initiator, responder } = handshake();
  const [one, two] = ['first', 'second'].map((m) => Buffer.concat(toFrames(Buffer.from(m), 16, initiator.send)));
  const swapped = read(Buffer.concat([two, one]), responder.receive);
  t.deepEqual(swapped.messages, []);
  t.regex(swapped.error ?? '', /frame 0 failed its ring-key MAC/);
  const { initiator: i2, responder: r2 } = handshake();
  const f = toFrames(Buffer.from('first'), 16, i2.send);
  const again = read(Buffer.concat([...f, ...f]), r2.receive);
  t.deepEqual(again.messages.map(String), ['first']);
  t.regex(again.error ?? '', /frame 1 failed/);
  const { initiator: i3, responder: r3 } = handshake();
  const [a, , c] = ['first', 'second', 'third'].map((m) => Buffer.concat(toFrames(Buffer.from(m), 16, i3.send)));
  const gap = read(Buffer.concat([a, c]), r3.receive);
  t.deepEqual(gap.messages.map(String), ['first']);
  t.regex(gap.error ?? '', /frame 1 failed/);
});

test('datagrams: sealed for one address, opened there once', (t) => {
  const sealer = KEY.datagramSealer();
  const opener = KEY.datagramOpener(PEER);
  const payload = Buffer.from('ping');
  const datagram = sealer.seal(payload, PEER);
  t.like(opener.open(datagram), { ok: true, payload });
  t.like(opener.open(datagram), { ok: false, why: 'replayed' });
  t.like(KEY.datagramOpener('127.0.0.1:4001').open(sealer.seal(payload, PEER)), { ok: false, why: 'forged' });
  t.like(OTHER.datagramOpener(PEER).open(sealer.seal(payload, PEER)), { ok: false, why: 'forged' });
  t.like(opener.open(payload), { ok: false, why: 'unkeyed' });
  t.like(opener.open(Buffer.alloc(0)), { ok: false, why: 'unkeyed' });
});

test('a datagram is CKD1, session, counter, payload and the HMAC-SHA256 of those and its destination, truncated', (t) => {
  const secret = Buffer.from('a ring key of this test, 32 byte');
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'chord ring-key v1 datagram', 32));
  const sealer = new RingKey(secret).datagramSealer();
  for (const counter of [0, 1]) {
    const payload = Buffer.from(`ping ${counter}`);
    const datagram = sealer.seal(payload, PEER);
    const header = datagram.subarray(0, 20);
    t.deepEqual(header.subarray(0, 4), Buffer.from('CKD1'));
    t.is(header.readBigUInt64BE(12), BigInt(counter));
    t.deepEqual(datagram.subarray(20, 20 + payload.length), payload);
    const destination = Buffer.concat([Buffer.from([0, PEER.length]), Buffer.from(PEER)]);
    t.deepEqual(datagram.subarray(20 + payload.length), createHmac('sha256', key).update(header).update(destination).update(payload).digest().subarray(0, TAG_BYTES));
  }
});

test('property: any tampered byte of a datagram is refused', (t) => {
  const sealer = KEY.datagramSealer();
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (payload, at, flip) => {
    const datagram = sealer.seal(payload, PEER);
    datagram[at % datagram.length] ^= flip;
    t.false(KEY.datagramOpener(PEER).open(datagram).ok);
  }));
});

test('property: the window accepts each counter once, in any order within its size, and refuses older ones', (t) => {
  fc.assert(fc.property(fc.array(fc.nat(300), { maxLength: 400 }), (counters) => {
    const window = new ReplayWindow();
    const seen = new Set<number>();
    let top = -1;
    for (const c of counters) {
      const fresh = !seen.has(c) && c > top - REPLAY_WINDOW;
      t.is(window.accept(BigInt(c)), fresh, `counter ${c} after top ${top}`);
      if (fresh) seen.add(c);
      top = Math.max(top, c);
    }
  }));
  fc.assert(fc.property(fc.shuffledSubarray([...Array(REPLAY_WINDOW).keys()], { minLength: REPLAY_WINDOW }), (order) => {
    const window = new ReplayWindow();
    t.true(order.every((c) => window.accept(BigInt(c))));
    t.false(order.some((c) => window.accept(BigInt(c))));
  }));
});

test('datagrams arriving out of order within the window are all accepted, replays of any of them are not', (t) => {
  const sealer = KEY.datagramSealer();
  const opener = KEY.datagramOpener(PEER);
  const datagrams = Array.from({ length: 10 }, (_, i) => sealer.seal(Buffer.from([i]), PEER));
  t.true([...datagrams].reverse().every((d) => opener.open(d).ok));
  t.true(datagrams.every((d) => !opener.open(d).ok));
});

test('the session table is bounded; the least recently heard session goes first', (t) => {
  const opener = KEY.datagramOpener(PEER, 4);
  const firsts = Array.from({ length: 6 }, () => KEY.datagramSealer().seal(Buffer.from('x'), PEER));
  for (const d of firsts) t.true(opener.open(d).ok);
  t.is(opener.trackedSessions, 4);
  // The limit the README states: a session forgotten is a session new again.
  t.like(opener.open(firsts[0]), { ok: true });
  t.like(opener.open(firsts[5]), { ok: false, why: 'replayed' });
});
