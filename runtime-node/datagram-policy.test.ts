import test from 'ava';
import fc from 'fast-check';
import { decode, encode } from '../core/codec';
import { pointOfHex } from '../core/id';
import type { Msg, Peer } from '../core/types';
import { mayComeByDatagram, padQuestion, unpad } from './datagram-policy';

const addr = fc.tuple(fc.constantFrom('127.0.0.1', '10.0.0.5', '[::1]', 'a-long-host-name.example.org'), fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `${h}:${p}`);
const peer = (hex: fc.Arbitrary<string>) => fc.tuple(hex, addr).map(([id, a]): Peer => ({ ...pointOfHex(id), addr: a }));

test('a ping is padded to at least the size of its pong, and unpads to itself', (t) => {
  const hex = fc.stringMatching(/^[0-9a-f]{2}$/);
  fc.assert(fc.property(peer(hex), peer(hex), fc.nat(), (from, to, nonce) => {
    const ping: Msg = { t: 'ping', nonce };
    const raw = encode(from, ping);
    const padded = padQuestion(raw, to, ping);
    const pong = encode(to, { t: 'pong', nonce, member: true });
    const inner = unpad(Buffer.from(padded));
    return padded.length >= pong.length && typeof inner !== 'string' && decode(inner, 8).ok && Buffer.from(inner).equals(Buffer.from(raw));
  }));
  t.pass();
});

test('only pings and pongs come by datagram; other messages and answers are not padded', (t) => {
  t.true(mayComeByDatagram('ping') && mayComeByDatagram('pong'));
  for (const m of ['fetch', 'digest', 'find', 'get-state', 'leave-notice', 'rectify'] as const) t.false(mayComeByDatagram(m));
  const me: Peer = { ...pointOfHex('0a'), addr: '127.0.0.1:1' };
  const pong = encode(me, { t: 'pong', nonce: 1, member: true });
  t.is(padQuestion(pong, me, { t: 'pong', nonce: 1, member: true }), pong);
  t.is(unpad(Buffer.from('CHPD')), 'truncated datagram padding');
  t.is(unpad(Buffer.from('CHPD\x00\x02zz')), 'datagram padding without a message');
});
