/**
 * Records and replicas, one peer at a time: where a store goes, when it is acknowledged, how
 * copies are merged, the digest/want exchange, the sweep of misplaced copies, and batching.
 * Peer 9 of the seed's ring 2, 4, 5, 8, 9, 14, 19 (primary for (5, 9]) unless said.
 */
import test from 'ava';
import { isReady } from './coverage';
import type { Input, Msg, Rec } from './types';
import { cfg, deliver, drive, driveThen, enc, joined, key, logs, peer, rec, sends, fire, type Timed } from './testing/drive';

const AT9: Input = { kind: 'init', succs: [peer(14), peer(19)], pred: peer(5) };
const replicate = (records: readonly Rec[]): Input => deliver(peer(14), { t: 'replicate', rid: 0, records });
const store = (n: number, value = 'v', rid = 41): Input => deliver(peer(2), { t: 'store', rid, key: key(n), value: enc(value) });
const replicateTimer = fire('replicate');
const withWriter = (r: Rec, writer: string, version = r.version): Rec => ({ ...r, writer, version });
/** Peer 9 joined and rectified by 5, but not ready: no hand-off has come yet. */
const UNREADY: Timed[] = [...joined(peer(9), [peer(14), peer(19)]), deliver(peer(5), { t: 'rectify', ready: true, link: false })];

test('merging keeps the newest copy of each record: higher version, then higher writer id', (t) => {
  const base = rec(7, 2);
  const { state, effects } = driveThen(peer(9), [AT9, replicate([base])], [
    replicate([withWriter(base, '01', 1)]),
    replicate([withWriter(base, '00', 2)]),
    replicate([withWriter(base, 'ff', 2), rec(8, 1)]),
  ]);
  t.deepEqual(state.records.get(key(7)), withWriter(base, 'ff', 2));
  t.deepEqual(logs(effects, 'records-received').map((e) => e.count), [2]);
});

test('a store at the primary goes to its r-1 replicas and is acknowledged with the holders and a new version', (t) => {
  const first = drive(peer(9), [AT9, store(7)]);
  const [a, b] = sends(first.effects, 'replicate');
  t.deepEqual([a.to.addr, b.to.addr], ['p14', 'p19']);
  t.deepEqual(a.msg.records, [{ key: key(7), value: enc('v'), version: 1, writer: peer(9).id }]);
  t.deepEqual(sends(first.effects, 'stored'), [], 'not before the replicas confirm');
  const rid = a.msg.rid;
  const acked = driveThen(peer(9), [AT9, store(7)], [deliver(peer(14), { t: 'replicated', rid }), deliver(peer(14), { t: 'replicated', rid })]);
  t.deepEqual(sends(acked.effects, 'stored'), [], 'one replica confirming twice is still one');
  // A second store of the key gets the next version.
  const again = drive(peer(9), [AT9, store(7), store(7, 'w', 42)]);
  t.deepEqual(sends(again.effects, 'replicate').slice(-1)[0].msg.records.map((r) => r.version), [2]);
});

test('in a ring smaller than r the replicas stop at the primary itself', (t) => {
  const two = drive(peer(9), [{ kind: 'init', succs: [peer(14), peer(9)], pred: peer(14) }, store(7)]);
  t.deepEqual(sends(two.effects, 'replicate').map((s) => s.to.addr), ['p14']);
  const one = drive(peer(9), [{ kind: 'init', succs: [], pred: null }, store(7)]);
  t.deepEqual(sends(one.effects, 'replicate'), []);
  t.deepEqual(sends(one.effects, 'stored').map((s) => s.msg), [{ t: 'stored', rid: 41, status: 'ok', version: 1, holders: [peer(9)] }]);
  t.deepEqual(sends(drive(peer(9), [{ kind: 'init', succs: [peer(14)], pred: peer(5) }, store(7)], { ...cfg, replicas: 1 }).effects, 'stored').map((s) => s.msg.status), ['ok']);
});

test('a store or fetch at a peer that is not the primary, or not ready, is refused with the reason', (t) => {
  const statuses = (inputs: Timed[]) => sends(drive(peer(9), inputs).effects, 'stored').map((s) => s.msg);
  t.deepEqual(statuses([AT9, store(12)]), [{ t: 'stored', rid: 41, status: 'not-responsible', version: 0, holders: [] }]);
  const fetched = (inputs: Timed[], n: number) => sends(drive(peer(9), [...inputs, deliver(peer(2), { t: 'fetch', rid: 3, key: key(n) })]).effects, 'fetched').map((s) => s.msg.status);
  t.deepEqual(fetched([AT9], 12), ['not-responsible']);
  t.deepEqual(fetched([AT9], 7), ['missing']);
  t.deepEqual(fetched([AT9, store(7)], 7), ['found']);
  // A joiner is not ready until its hand-off arrives.
  t.deepEqual(statuses([...UNREADY, store(7)]).map((m) => m.status), ['not-ready']);
  t.deepEqual(fetched(UNREADY, 7), ['not-ready']);
  t.deepEqual(fetched([...UNREADY, deliver(peer(14), { t: 'handoff', records: [rec(7)], from: peer(5), more: false })], 7), ['found']);
});

test('a hand-off makes only a member ready', (t) => {
  const { state } = drive(peer(9), [deliver(peer(14), { t: 'handoff', records: [rec(7)], from: peer(5), more: false })]);
  t.false(isReady(state, 0));
  t.is(state.records.size, 0);
});

test('each replication round sends each replica a digest of the records this peer is primary for', (t) => {
  const { effects } = driveThen(peer(9), [AT9, replicate([rec(7), rec(9), rec(12)])], [replicateTimer]);
  // Then the sweep offers 12, held here but not primary here, to its primary: 14, the
  // successor, answers that lookup without a message.
  t.deepEqual(sends(effects, 'digest').map((s) => [s.to.addr, s.msg.entries.map((e) => e.key.name).sort()]), [['p14', ['7', '9']], ['p19', ['7', '9']], ['p14', ['12']]]);
  t.deepEqual(sends(effects, 'digest')[0].msg.entries.find((e) => e.key.name === '7'), { key: key(7), version: 1, writer: peer(7).id });
  // Without a predecessor it knows no range of its own.
  t.deepEqual(sends(driveThen(peer(9), [{ kind: 'init', succs: [peer(14)], pred: null }, replicate([rec(7)])], [replicateTimer]).effects, 'digest'), []);
});

test('a digest is answered with the keys this peer lacks or holds older', (t) => {
  const digest: Msg = { t: 'digest', entries: [
    { key: key(6), version: 1, writer: peer(6).id },
    { key: key(7), version: 2, writer: peer(7).id },
    { key: key(8), version: 1, writer: peer(8).id },
    { key: key(9), version: 1, writer: '00' },
  ], from: null };
  const { effects } = driveThen(peer(14), [AT9, replicate([rec(7), rec(8), rec(9)])], [deliver(peer(9), digest)]);
  t.deepEqual(sends(effects, 'want').map((s) => [s.to.addr, s.msg.keys.map((k) => k.name)]), [['p9', ['6', '7']]]);
  t.deepEqual(sends(driveThen(peer(14), [AT9, replicate([rec(6)])], [deliver(peer(9), { t: 'digest', entries: [{ key: key(6), version: 1, writer: peer(6).id }], from: null })]).effects, 'want'), []);
});

test('a want is answered with the records held, and says how many moved', (t) => {
  const { effects } = driveThen(peer(9), [AT9, replicate([rec(7), rec(8)])], [deliver(peer(14), { t: 'want', keys: [key(7), key(3), key(8)] })]);
  t.deepEqual(sends(effects, 'replicate').map((s) => [s.to.addr, s.msg.rid, s.msg.records.map((r) => r.key.name)]), [['p14', 0, ['7', '8']]]);
  t.deepEqual(logs(effects, 'records-moved').map((e) => [e.to.addr, e.count, e.why]), [['p14', 2, 'replica']]);
  t.deepEqual(driveThen(peer(9), [AT9], [deliver(peer(14), { t: 'want', keys: [key(7)] })]).effects, []);
});

test('records travel in batches of at most 512 entries and 256 KiB', (t) => {
  const many = Array.from({ length: 1100 }, (_, i) => ({ ...rec(7), key: { ...key(7), name: `k${i}` } }));
  const { effects } = driveThen(peer(9), [AT9, replicate(many)], [deliver(peer(14), { t: 'want', keys: many.map((r) => r.key) })]);
  t.deepEqual(sends(effects, 'replicate').map((s) => s.msg.records.length), [512, 512, 76]);
  const big = [0, 1, 2].map((i) => ({ ...rec(7), key: { ...key(7), name: `b${i}` }, value: new Uint8Array(100 * 1024) }));
  const bytes = driveThen(peer(9), [AT9, replicate(big)], [deliver(peer(14), { t: 'want', keys: big.map((r) => r.key) })]);
  t.deepEqual(sends(bytes.effects, 'replicate').map((s) => s.msg.records.length), [2, 1]);
});

test('a hand-off ends with its marker, which carries the last batch, or nothing', (t) => {
  const empty = drive(peer(9), [AT9, deliver(peer(7), { t: 'rectify', ready: false, link: false })]);
  t.deepEqual(sends(empty.effects, 'handoff').map((s) => s.msg.records), [[]]);
  t.deepEqual(sends(empty.effects, 'replicate'), []);
  t.deepEqual(logs(empty.effects, 'records-moved'), []);
});

test('a new predecessor with no known old one takes everything outside its successor\'s range', (t) => {
  const start: Timed[] = [{ kind: 'init', succs: [peer(14)], pred: null }, replicate([rec(3), rec(7), rec(9), rec(12)])];
  const { effects } = driveThen(peer(9), start, [deliver(peer(7), { t: 'rectify', ready: false, link: false })]);
  t.deepEqual(sends(effects, 'handoff').flatMap((s) => s.msg.records.map((r) => r.key.name)).sort(), ['12', '3', '7']);
});

test('a lower version never replaces a higher one, whatever its writer', (t) => {
  const { state } = drive(peer(9), [AT9, replicate([rec(7, 2)]), replicate([withWriter(rec(7), 'ff', 1)])]);
  t.is(state.records.get(key(7))?.version, 2);
});

test('a leaving peer takes no store and serves no fetch: its records are on their way to its heir', (t) => {
  const leaving: Timed[] = [AT9, { kind: 'command', cmd: { op: 'leave', rid: 1 } }];
  t.deepEqual(sends(drive(peer(9), [...leaving, store(7)]).effects, 'stored').map((s) => s.msg.status), ['not-responsible']);
  const fetch = deliver(peer(2), { t: 'fetch', rid: 3, key: key(7) });
  t.deepEqual(sends(drive(peer(9), [AT9, store(7), leaving[1], fetch]).effects, 'fetched').map((s) => s.msg.status), ['not-responsible']);
});

test('replication rounds run only at a ready member that knows its predecessor', (t) => {
  const traffic = (inputs: readonly Timed[]) => driveThen(peer(9), inputs, [replicateTimer]).effects.filter((e) => e.kind === 'send').map((e) => (e.kind === 'send' ? e.msg.t : ''));
  const held = replicate([rec(7), rec(12)]);
  t.deepEqual(traffic([AT9, held]), ['digest', 'digest', 'digest'], 'two replicas, then the sweep of 12 answered by the successor');
  t.deepEqual(traffic([AT9, held, { kind: 'command', cmd: { op: 'leave', rid: 1 } }]), []);
  t.deepEqual(traffic([{ kind: 'init', succs: [peer(14)], pred: null }, held]), []);
  const unready: Timed[] = [...UNREADY, held];
  t.false(isReady(drive(peer(9), unready).state, 0));
  t.deepEqual(traffic(unready), []);
});

test('a primary with nothing to offer only announces its range, and a full batch is not followed by an empty one', (t) => {
  t.deepEqual(sends(driveThen(peer(9), [AT9], [replicateTimer]).effects, 'digest').map((s) => [s.to.addr, s.msg.entries.length, s.msg.from?.id]), [['p14', 0, peer(5).id], ['p19', 0, peer(5).id]]);
  const many = Array.from({ length: 513 }, (_, i) => ({ ...rec(7), key: { ...key(7), name: `k${i}` } }));
  const digests = sends(driveThen(peer(9), [AT9, replicate(many)], [replicateTimer]).effects, 'digest');
  t.deepEqual(digests.map((s) => [s.to.addr, s.msg.entries.length]), [['p14', 512], ['p14', 1], ['p19', 512], ['p19', 1]]);
  t.is(new Set(digests.filter((s) => s.to.addr === 'p14').flatMap((s) => s.msg.entries.map((e) => e.key.name))).size, 513);
});

test('the sweep goes on while client lookups wait, and a peer holding only its own records sweeps nothing', (t) => {
  const get: Input = { kind: 'command', cmd: { op: 'get', rid: 1, key: key(100) } };
  const waiting = drive(peer(9), [AT9, replicate([rec(2)]), get]);
  t.true([...waiting.state.ops.values()].some((op) => op.purpose === 'get'));
  t.deepEqual(sends(driveThen(peer(9), [AT9, replicate([rec(2)]), get], [replicateTimer]).effects, 'find').map((s) => s.msg.target.id), [key(2).id]);
  t.deepEqual(sends(driveThen(peer(9), [AT9, replicate([rec(7), rec(8)])], [replicateTimer]).effects, 'find'), []);
});

test('the sweep wraps around to the first record once every misplaced record has had its turn', (t) => {
  // Held in the order 3, 2, 20: neither the first nor the last held is first round the ring.
  let inputs: Timed[] = [AT9, replicate([rec(3), rec(2), rec(20)])];
  const swept: string[] = [];
  for (let round = 0; round < 4; round++) {
    const [find] = sends(driveThen(peer(9), inputs, [replicateTimer]).effects, 'find');
    swept.push(find.msg.target.id);
    inputs = [...inputs, replicateTimer, deliver(find.to, { t: 'found', rid: find.msg.rid, done: true, peers: [peer(4)] })];
  }
  t.deepEqual(swept, [key(2).id, key(3).id, key(20).id, key(2).id]);
});

test('a record bigger than a batch travels alone, and records filling a batch exactly travel together', (t) => {
  const sized = (name: string, bytes: number): Rec => ({ ...rec(7), key: { ...key(7), name }, value: new Uint8Array(bytes) });
  const batches = (records: Rec[]) => sends(driveThen(peer(9), [AT9, replicate(records)], [deliver(peer(14), { t: 'want', keys: records.map((r) => r.key) })]).effects, 'replicate').map((s) => s.msg.records.length);
  t.deepEqual(batches([sized('huge', 300 * 1024)]), [1]);
  t.deepEqual(batches([sized('a', 128 * 1024), sized('b', 128 * 1024)]), [2]);
});

test('a fresh peer sweeps from the first record round the ring, whatever the names are', (t) => {
  const named = (n: number, name: string): Rec => ({ ...rec(n), key: { ...key(n), name } });
  const { effects } = driveThen(peer(9), [AT9, replicate([named(3, 'Apple'), named(2, 'zebra')])], [replicateTimer]);
  t.deepEqual(sends(effects, 'find').map((s) => s.msg.target.id), [key(2).id]);
});
