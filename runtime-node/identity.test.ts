import test from 'ava';
import fc from 'fast-check';
import { BufferBudget } from './budget';
import { CHUNK_BYTES, HEADER_BYTES } from './framing';
import { challengeBytes, decodeControl, encodeChallenge, encodeEcho, Identities, type Claim, type Control } from './identity';
import { waitFor } from './test-support';

const SELF: Claim = { id: '0a', addr: '127.0.0.1:4000' };
const PEER: Claim = { id: '1b', addr: '127.0.0.1:4001' };

/** An Identities whose wire is recorded; `open` lists the addresses it has a stream open to. */
function harness(open: string[] = [], proofTimeoutMs = 1000, rechallengeMs = proofTimeoutMs / 4, account?: BufferBudget, holdBytes = 1000) {
  const datagrams: { to: string; bytes: Uint8Array }[] = [];
  const streamed: { to: string; bytes: Uint8Array }[] = [];
  let clock = 0;
  const ids = new Identities({
    self: SELF,
    wire: {
      datagram: (to, bytes) => void datagrams.push({ to, bytes }),
      onOpenStream: (to, bytes) => open.includes(to) && streamed.push({ to, bytes }) > 0,
    },
    proofTimeoutMs,
    rechallengeMs,
    holdBytes,
    account,
    now: () => clock,
  });
  /** The nonce of the last challenge sent to `addr`. */
  const nonceTo = (addr: string) => {
    const c = decodeControl([...datagrams].reverse().find((d) => d.to === addr)!.bytes);
    if (c?.kind !== 'challenge') throw new Error('no challenge');
    return c.nonce;
  };
  return { ids, datagrams, streamed, nonceTo, advance: (ms: number) => (clock += ms) };
}

const echo = (nonce: string): Control => ({ kind: 'echo', nonce });

test('a stream is held until the claimed address echoes the challenge on it, then flows in order', (t) => {
  const h = harness();
  const closed: string[] = [];
  const gate = h.ids.stream((r) => closed.push(r));
  const got: number[] = [];
  t.is(gate.offer(PEER, 100, () => got.push(1)), null);
  t.is(gate.offer(PEER, 100, () => got.push(2)), null);
  t.deepEqual(got, []);
  t.deepEqual(h.datagrams.map((d) => d.to), [PEER.addr], 'one challenge, to the claimed address only');
  t.deepEqual(decodeControl(h.datagrams[0].bytes), { kind: 'challenge', nonce: h.nonceTo(PEER.addr), id: PEER.id });
  t.is(gate.control(echo(h.nonceTo(PEER.addr))), null);
  t.is(gate.offer(PEER, 100, () => got.push(3)), null);
  t.deepEqual(got, [1, 2, 3]);
  t.true(h.ids.isProven(PEER));
  gate.stop();
  t.deepEqual(closed, []);
});

test('no echo but the challenge\'s own, on the stream that made the claim, releases anything', (t) => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 12, maxLength: 12 }), { maxLength: 8 }), (guesses) => {
    const h = harness();
    const gate = h.ids.stream(() => undefined);
    const other = h.ids.stream(() => undefined);
    let delivered = 0;
    gate.offer(PEER, 100, () => delivered++);
    other.offer({ ...PEER, addr: '127.0.0.1:9' }, 100, () => undefined);
    const nonce = h.nonceTo(PEER.addr);
    for (const g of guesses) if (Buffer.from(g).toString('hex') !== nonce) gate.control(echo(Buffer.from(g).toString('hex')));
    // The right nonce, but on a stream claiming another address, proves nothing here.
    other.control(echo(nonce));
    gate.stop();
    other.stop();
    return delivered === 0 && !h.ids.isProven(PEER);
  }));
  t.pass();
});

test('a proven sender still needs a proof for every new stream: a second stream claiming it is held', (t) => {
  const h = harness();
  const first = h.ids.stream(() => undefined);
  first.offer(PEER, 100, () => undefined);
  first.control(echo(h.nonceTo(PEER.addr)));
  const forged = h.ids.stream(() => undefined);
  let delivered = false;
  forged.offer(PEER, 100, () => (delivered = true));
  t.false(delivered);
  first.stop();
  forged.stop();
});

test('one stream, one sender: a second claim, or too much held, ends the stream', (t) => {
  const h = harness();
  const gate = h.ids.stream(() => undefined);
  t.is(gate.offer(PEER, 100, () => undefined), null);
  t.regex(gate.offer({ ...PEER, id: '2c' }, 100, () => undefined) ?? '', /claims two senders/);
  const greedy = h.ids.stream(() => undefined);
  t.regex(greedy.offer(PEER, 1001, () => undefined) ?? '', /before proving/);
  t.regex(greedy.control({ kind: 'challenge', nonce: '00', id: SELF.id }) ?? '', /challenge on a stream/);
  gate.stop();
  greedy.stop();
});

test('a stream that does not prove its claim in time is closed', async (t) => {
  const h = harness([], 80);
  const closed: string[] = [];
  const gate = h.ids.stream((r) => closed.push(r));
  gate.offer(PEER, 100, () => t.fail('delivered'));
  await waitFor('the stream to be closed', 2000, () => closed.length > 0);
  t.regex(closed[0], /did not prove within 80 ms that it is 1b@127\.0\.0\.1:4001/);
  t.true(h.datagrams.every((d) => d.to === PEER.addr));
});

test('a datagram is believed only from the address it claims, once that address proved the ID', (t) => {
  const h = harness();
  let delivered = 0;
  t.is(h.ids.datagram(PEER, '127.0.0.1:9', 100, () => delivered++), 'not from its address');
  t.is(h.datagrams.length, 0, 'nothing is sent to an address a datagram names but did not come from');
  t.is(h.ids.datagram(PEER, PEER.addr, 100, () => delivered++), 'held');
  h.ids.controlDatagram(echo(h.nonceTo(PEER.addr)), '127.0.0.1:9');
  t.is(delivered, 0, 'an echo from elsewhere proves nothing');
  h.ids.controlDatagram(echo(h.nonceTo(PEER.addr)), PEER.addr);
  t.is(delivered, 1);
  t.is(h.ids.datagram(PEER, PEER.addr, 100, () => delivered++), 'believed');
  t.is(h.ids.datagram({ ...PEER, id: '2c' }, PEER.addr, 100, () => delivered++), 'held', 'another ID at a proven address');
  t.is(delivered, 2);
  h.advance(11 * 60_000);
  t.false(h.ids.isProven(PEER), 'proofs expire');
});

test('a datagram too small to pay for its challenge is dropped, unless this peer challenged its sender first', (t) => {
  const h = harness();
  let delivered = 0;
  t.is(h.ids.datagram(PEER, PEER.addr, challengeBytes(PEER.id) - 1, () => delivered++), 'unproven');
  t.is(h.datagrams.length, 0);
  h.ids.sending(PEER);
  t.is(h.ids.datagram(PEER, PEER.addr, 1, () => delivered++), 'held');
  h.ids.controlDatagram(echo(h.nonceTo(PEER.addr)), PEER.addr);
  t.is(delivered, 1);
  h.ids.sending(PEER);
  t.is(h.datagrams.length, 1, 'no challenge to a proven peer');
  h.advance(11 * 60_000);
  t.false(h.ids.isProven(PEER), 'proofs expire');
});

test('a lost challenge goes again with our next ping once rechallengeMs has passed, and the pongs it held are delivered', (t) => {
  // Found by the launcher's test with 0.2 s pings: the first challenge went before the other
  // peer listened, went again only after a quarter of the 3 s RPC timeout, and its pongs were
  // held past three rounds, so a live neighbour was declared gone.
  const h = harness([], 3000, 100);
  let delivered = 0;
  h.ids.sending(PEER);
  const lost = h.nonceTo(PEER.addr);
  t.is(h.ids.datagram(PEER, PEER.addr, 1, () => delivered++), 'held');
  h.advance(99);
  h.ids.sending(PEER);
  t.is(h.datagrams.length, 1, 'not again before rechallengeMs');
  h.advance(1);
  h.ids.sending(PEER);
  t.is(h.datagrams.length, 2);
  t.not(h.nonceTo(PEER.addr), lost);
  h.ids.controlDatagram(echo(h.nonceTo(PEER.addr)), PEER.addr);
  t.is(delivered, 1, 'the pong held since the first challenge');
});

test('what unproven streams hold is taken from the peer\'s budget, given back once proven or closed; with no room the stream ends', (t) => {
  const budget = new BufferBudget(500);
  const h = harness([], 1000, 250, budget);
  const one = h.ids.stream(() => undefined);
  t.is(one.offer(PEER, 300, () => undefined), null);
  t.is(budget.inUse, 300);
  const two = h.ids.stream(() => undefined);
  t.regex(two.offer(PEER, 300, () => undefined) ?? '', /no room in the peer's buffer budget/);
  t.is(one.control(echo(h.nonceTo(PEER.addr))), null);
  t.is(budget.inUse, 0, 'proven: delivered, and given back');
  const three = h.ids.stream(() => undefined);
  t.is(three.offer(PEER, 400, () => undefined), null);
  three.stop();
  t.is(budget.inUse, 0, 'closed unproven: given back');
});

test('a large held message takes from the half of the budget for others\' large messages, and goes back with the rest', (t) => {
  const budget = new BufferBudget(4 * CHUNK_BYTES);
  const h = harness([], 1000, 250, budget, 8 * CHUNK_BYTES);
  const one = h.ids.stream(() => undefined);
  t.is(one.offer(PEER, CHUNK_BYTES + 1, () => undefined), null);
  t.is(one.offer(PEER, 10, () => undefined), null);
  t.deepEqual([budget.inUse, budget.largeInUse], [CHUNK_BYTES + 11, CHUNK_BYTES + 1]);
  // Half the budget is two chunks: a second large message does not fit, a small one does.
  const two = h.ids.stream(() => undefined);
  t.regex(two.offer(PEER, CHUNK_BYTES + 1, () => undefined) ?? '', /no room in the peer's buffer budget/);
  t.is(h.ids.stream(() => undefined).offer(PEER, CHUNK_BYTES, () => undefined), null);
  one.stop();
  t.deepEqual([budget.inUse, budget.largeInUse], [CHUNK_BYTES, 0]);
});

test('a challenge is answered only for our own ID, on an open stream if there is one, never larger', (t) => {
  const h = harness(['127.0.0.1:7']);
  h.ids.controlDatagram({ kind: 'challenge', nonce: 'ab'.repeat(12), id: PEER.id }, '127.0.0.1:7');
  t.is(h.streamed.length + h.datagrams.length, 0);
  h.ids.controlDatagram({ kind: 'challenge', nonce: 'ab'.repeat(12), id: SELF.id }, '127.0.0.1:7');
  h.ids.controlDatagram({ kind: 'challenge', nonce: 'cd'.repeat(12), id: SELF.id }, '127.0.0.1:8');
  t.deepEqual(h.streamed.map((s) => [s.to, decodeControl(s.bytes)]), [['127.0.0.1:7', echo('ab'.repeat(12))]]);
  t.deepEqual(h.datagrams.map((s) => [s.to, decodeControl(s.bytes)]), [['127.0.0.1:8', echo('cd'.repeat(12))]]);
  for (const id of ['0a', '0'.repeat(40)]) t.true(encodeEcho('ab'.repeat(12)).length + HEADER_BYTES <= challengeBytes(id));
});

test('control messages: a round trip for every ID up to 160 bits; anything else decodes to null or a control, never throws', (t) => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.stringMatching(/^[0-9a-f]{1,40}$/), (n, id) => {
    const nonce = Buffer.from(n).toString('hex');
    const c = decodeControl(encodeChallenge(nonce, id));
    return c?.kind === 'challenge' && c.nonce === nonce && c.id === id && decodeControl(encodeEcho(nonce))?.kind === 'echo';
  }));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
    const withMagic = Buffer.concat([Buffer.from('CHID'), bytes]);
    decodeControl(bytes);
    decodeControl(withMagic);
    return true;
  }));
  t.is(decodeControl(encodeChallenge('00'.repeat(12), '0a').subarray(0, 20)), null);
});
