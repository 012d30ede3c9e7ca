/**
 * The package's API as a user calls it (lib/index.ts): a testnet that is ideal when it resolves,
 * puts and gets in the public form, events, a leave, and the errors of bad options and joins.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { ChordError, createTestnet, startPeer, type ChordPeer, type PeerEvent, type PeerRef } from './index';
import { notIdeal } from './testnet';

const isDecimal = (s: string) => /^(0|[1-9][0-9]*)$/.test(s);
const refKeys = (p: PeerRef) => Object.keys(p).sort().join();

test('a testnet resolves ideal; records go in and come out through any peer, in the public form', async (t) => {
  t.timeout(30_000);
  const net = await createTestnet(4, { bits: 16 });
  t.teardown(() => net.close());
  const statuses = net.peers.map((p) => p.state());
  t.is(notIdeal(statuses), null);
  t.deepEqual(statuses.map((s) => BigInt(s.id)), [...statuses.map((s) => BigInt(s.id))].sort((a, b) => (a < b ? -1 : 1)), 'peers by ring position');
  for (const s of statuses) {
    t.true(isDecimal(s.id) && BigInt(s.id) < 2n ** 16n, s.id);
    t.deepEqual(Object.keys(s).sort(), ['address', 'bits', 'fingers', 'id', 'phase', 'predecessor', 'records', 'replicas', 'successors']);
    for (const p of [...s.successors, ...s.fingers, s.predecessor!]) t.is(refKeys(p), 'address,id');
  }
  const put = await net.peers[0].put('greeting', 'hello, ring');
  t.is(put.id, String(BigInt(`0x${createHash('sha1').update('greeting').digest('hex')}`) >> 144n), 'the top 16 bits of SHA-1("greeting")');
  t.is(put.version, 1);
  t.is(put.holders.length, 3);
  for (const h of put.holders) t.is(refKeys(h), 'address,id');
  const got = await net.peers[3].get('greeting');
  t.truthy(got);
  t.is(Buffer.from(got!.value).toString('utf8'), 'hello, ring');
  t.like(got, { key: 'greeting', id: put.id, version: 1 });
  t.true(put.holders.some((h) => h.id === got!.holder.id));
  t.is(await net.peers[1].get('never stored'), null);
  const bytes = Uint8Array.from([0, 1, 2, 255]);
  await net.peers[2].put('42', bytes);
  t.deepEqual([...(await net.peers[0].get('42'))!.value], [...bytes]);
  t.is((await net.peers[0].get('42'))!.id, '42', 'an integer key is its own ring position');
});

test('events in the public form; a graceful leave hands the records on and stops the peer', async (t) => {
  t.timeout(30_000);
  const net = await createTestnet(3, { bits: 16 });
  t.teardown(() => net.close());
  for (let i = 0; i < 10; i++) await net.peers[i % 3].put(`k${i}`, `v${i}`);
  const [leaver, ...rest] = net.peers;
  const heard: PeerEvent[] = [];
  const told: PeerEvent[] = [];
  for (const p of rest) p.on('event', (e) => heard.push(e));
  leaver.on('event', (e) => told.push(e));
  const stops: string[] = [];
  leaver.once('stopped', (info) => stops.push(info.how));
  const info = await leaver.leave();
  t.is(info.how, 'left');
  t.deepEqual(stops, ['left']);
  t.true(heard.some((e) => e.type === 'peer-gone' && e.peer.id === leaver.id && e.how === 'left'), JSON.stringify(heard));
  t.true(told.some((e) => e.type === 'records-moved' && e.why === 'leave' && e.count === 10 && rest.some((p) => p.id === e.to.id)), JSON.stringify(told));
  t.like(told.at(-1), { type: 'left', kept: 0, told: true });
  for (const e of [...heard, ...told]) t.false(JSON.stringify(e).includes('"k"'), 'no internal fields');
  for (let i = 0; i < 10; i++) t.is(Buffer.from((await rest[i % 2].get(`k${i}`))!.value).toString(), `v${i}`);
});

test('a peer joins a testnet through its bootstrap address; a join that cannot reach it fails with join-failed', async (t) => {
  t.timeout(30_000);
  const net = await createTestnet(2, { bits: 16 });
  t.teardown(() => net.close());
  const late: ChordPeer = await startPeer({ join: net.bootstrap, bits: 16, pingInterval: 100, id: '777' });
  t.teardown(() => late.close());
  t.is(late.id, '777');
  t.is(late.state().phase, 'member');
  const failed = await t.throwsAsync(startPeer({ join: '127.0.0.1:1', bits: 16, pingInterval: 100 }), { instanceOf: ChordError });
  t.is(failed?.code, 'join-failed');
  t.regex(failed?.message ?? '', /bootstrap peer unreachable/);
});

test('bad options are refused with bad-options before anything starts', async (t) => {
  for (const o of [{ bits: 7 }, { bits: 8, id: '256' }, { id: '0x10' }, { ringKey: new Uint8Array(4) }, { pingInterval: -1 }]) {
    const e = await t.throwsAsync(startPeer(o), { instanceOf: ChordError }, JSON.stringify(o, (_k, v: unknown) => (v instanceof Uint8Array ? `${v.length} bytes` : v)));
    t.is(e?.code, 'bad-options');
  }
  t.is((await t.throwsAsync(createTestnet(0), { instanceOf: ChordError }))?.code, 'bad-options');
});
