import test from 'ava';
import type { Peer, Reply } from '../core/types';
import { percentile, type Issued, Workload } from './workload';

const HOLDER: Peer = { id: '01', k: 1, addr: '01' };
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function putOk(version: number, hops = 1): Reply {
  return { ok: true, op: 'put', version, holders: [HOLDER], hops };
}

function read(value: string, version: number): Reply {
  return { ok: true, op: 'get', rec: { key: { id: '05', k: 5, name: 'k' }, value: bytes(value), version, writer: '01' }, holder: HOLDER, hops: 2 };
}

/** Acknowledges "old" at version 1, then a put of "new" fails; returns the workload. */
function withUnknownWrite(): Workload {
  const w = new Workload(8);
  w.reply((w.put('01', 'k', bytes('old')) as Issued).rid, putOk(1), 0);
  w.reply((w.put('01', 'k', bytes('new')) as Issued).rid, { ok: false, op: 'put', error: 'no-answer', hops: 3 }, 0);
  return w;
}

test('a second put to a key waits for the first', (t) => {
  const w = new Workload(8);
  const first = w.put('01', 'k', bytes('a')) as Issued;
  t.is(typeof w.put('02', 'k', bytes('b')), 'string');
  w.reply(first.rid, putOk(1), 0);
  t.is(typeof w.put('02', 'k', bytes('b')), 'object');
});

test('the acknowledged value reads back; a put with an unknown outcome may supersede it, an older value may not', (t) => {
  for (const [value, version, readable] of [['old', 1, true], ['new', 2, true], ['new', 0, false], ['other', 3, false]] as const) {
    const w = withUnknownWrite();
    const [check] = w.beginCheck(['02']);
    w.reply(check.rid, read(value, version), 0);
    t.is(w.readable, readable ? 1 : 0, `${value}@${version}`);
    t.is(w.lost, readable ? 0 : 1);
  }
});

test('abandoned and unanswered requests count as failed and lost', (t) => {
  const w = new Workload(8);
  w.reply((w.put('01', 'k', bytes('v')) as Issued).rid, putOk(1, 2), 0);
  w.get('03', 'k');
  w.abandon('03');
  t.deepEqual([w.issued, w.succeeded, w.failed], [2, 1, 1]);
  t.is(w.beginCheck(['02']).length, 1);
  w.finish();
  t.deepEqual([w.acknowledged, w.readable, w.lost, w.checking], [1, 0, 1, 0]);
  t.deepEqual(w.losses, [{ name: 'k', why: 'no answer' }]);
});

test('reads go round-robin over the readers; without readers everything is lost', (t) => {
  const w = new Workload(8);
  for (const k of ['a', 'b', 'c']) w.reply((w.put('01', k, bytes(k)) as Issued).rid, putOk(1), 0);
  t.deepEqual(w.beginCheck(['01', '02']).map((r) => r.peer), ['01', '02', '01']);
  const none = new Workload(8);
  none.reply((none.put('01', 'a', bytes('a')) as Issued).rid, putOk(1), 0);
  t.deepEqual(none.beginCheck([]), []);
  t.is(none.lost, 1);
});

test('hop statistics: mean and nearest-rank p99', (t) => {
  t.is(percentile([], 0.99), 0);
  t.is(percentile([1, 2, 3], 0.99), 3);
  t.is(percentile(Array.from({ length: 200 }, (_, i) => i), 0.99), 197);
  const w = new Workload(8);
  w.reply((w.put('01', 'a', bytes('a')) as Issued).rid, putOk(1, 1), 0);
  w.reply((w.put('01', 'b', bytes('b')) as Issued).rid, putOk(1, 4), 0);
  t.deepEqual(w.hopStats(), { mean: 2.5, p99: 4 });
});
