/**
 * Several cores together over the in-memory network of testing/core-net.ts: the rules between
 * peers (join, stabilize, rectify, failure detection, replication) as they play out, with no
 * simulator in between.
 */
import test from 'ava';
import { defaultConfig } from './config';
import { pointOfBigInt } from './id';
import { CoreNet } from './testing/core-net';
import type { Key, Msg, Peer, PeerState } from './types';

const cfg = defaultConfig(8, 3);
const peer = (n: number): Peer => ({ ...pointOfBigInt(BigInt(n), 8), addr: `p${n}` });
const key = (n: number, name = String(n)): Key => ({ ...pointOfBigInt(BigInt(n), 8), name });
const value = (s: string) => new TextEncoder().encode(s);
const ids = (states: readonly PeerState[]) => states.map((s) => Number.parseInt(s.self.id, 16)).sort((a, b) => a - b);

/** Whether every live peer's successor list is exactly the next r live peers and its predecessor the previous one. */
function ideal(net: CoreNet): boolean {
  const ring = net.alive().sort((a, b) => (a.self.id < b.self.id ? -1 : 1));
  return ring.every((s, i) => {
    const next = Array.from({ length: Math.min(cfg.replicas, ring.length) }, (_, j) => ring[(i + 1 + j) % ring.length].self.id);
    return s.phase.name === 'member' && s.succs.map((p) => p.id).join() === next.join() && s.pred?.id === ring[(i - 1 + ring.length) % ring.length].self.id;
  });
}

/** A ring grown by joins through its first peer, one a second. */
function grown(members: readonly number[], opts: ConstructorParameters<typeof CoreNet>[1] = {}): CoreNet {
  const net = new CoreNet(cfg, opts);
  net.start(peer(members[0]), { kind: 'create' });
  for (const n of members.slice(1)) {
    net.runFor(1_000);
    net.start(peer(n), { kind: 'join', via: peer(members[0]).addr });
  }
  net.runFor(10_000);
  return net;
}

test('peers joining one by one through the first form the ideal ring and serve puts and gets through any peer', (t) => {
  const net = grown([10, 200, 60, 130, 90, 30]);
  t.true(ideal(net));
  t.deepEqual(ids(net.alive()), [10, 30, 60, 90, 130, 200]);
  const put = net.command('p60', (rid) => ({ op: 'put', rid, key: key(100), value: value('hello') }));
  net.runFor(2_000);
  t.like(net.reply(put), { ok: true, op: 'put' });
  for (const via of ['p10', 'p130', 'p200']) {
    const get = net.command(via, (rid) => ({ op: 'get', rid, key: key(100) }));
    net.runFor(2_000);
    const reply = net.reply(get);
    t.true(reply?.ok === true && reply.op === 'get' && new TextDecoder().decode(reply.rec.value) === 'hello', via);
  }
  // The record is on its primary (130) and the next two, round the wrap.
  t.deepEqual(net.alive().filter((s) => s.records.get(key(100)) !== undefined).map((s) => s.self.addr).sort(), ['p10', 'p130', 'p200']);
});

test('a killed peer is noticed through missed pings and routed around; its records live on at the replicas', (t) => {
  const net = grown([10, 60, 90, 130, 200]);
  const put = net.command('p10', (rid) => ({ op: 'put', rid, key: key(120), value: value('v') }));
  net.runFor(2_000);
  t.like(net.reply(put), { ok: true });
  net.kill('p130');
  // Detection takes missLimit ping rounds; repair a few stabilize rounds more.
  net.runFor(cfg.missLimit * cfg.pingInterval + 5_000);
  t.true(ideal(net));
  t.deepEqual(ids(net.alive()), [10, 60, 90, 200]);
  const get = net.command('p60', (rid) => ({ op: 'get', rid, key: key(120) }));
  net.runFor(3_000);
  t.like(net.reply(get), { ok: true, op: 'get', holder: peer(200) });
});

test('on a network that loses a third of its datagrams and fails some stream sends, the ring still becomes ideal', (t) => {
  let n = 0;
  let faulty = true;
  // Deterministic "loss": every third datagram, and every seventh stream send.
  const drop = (_msg: Msg, _from: Peer, _to: Peer, channel: string) => {
    n++;
    return faulty && (channel === 'dgram' ? n % 3 === 0 : n % 7 === 0);
  };
  const net = grown([10, 200, 60, 130, 90, 30], { drop });
  faulty = false;
  net.runFor(20_000);
  t.true(ideal(net));
});
