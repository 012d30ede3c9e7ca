import test from 'ava';
import type { Msg } from '../core/types';
import { Trace, TraceName } from './trace';

const [A, A2, B, B2] = ['0a', '0b', '91', '92'].map((id) => new TraceName(id));

const FIND: Msg = { t: 'find', rid: 7, target: { id: '10', k: 16 } };

function record(trace: Trace): void {
  trace.deliver(1234.5, A, FIND, B);
  trace.tick(1500, A, () => 'ping');
  trace.log(1500.25, A, { ev: 'peer-gone', peer: { id: '91', k: 0x91, addr: '91' }, how: 'missed-pings' });
  trace.drop(1600, B, 'ping', A, 'lost');
  trace.skip(2000, '0a', 'kill', 'not alive');
}

test('the hash is the same with or without a sink', (t) => {
  const lines: string[] = [];
  const written = new Trace((l) => lines.push(l));
  const silent = new Trace();
  record(written);
  record(silent);
  t.is(written.digest, silent.digest);
  t.regex(written.digest, /^[0-9a-f]{16}$/);
  t.is(lines.length, 5);
  t.is(lines[0], '   1234.500 p=0a deliver find from=91 rid=7');
  t.is(lines[2], '   1500.250 p=0a log peer-gone 91 missed-pings');
});

test('any field changes the hash', (t) => {
  const base = new Trace();
  base.deliver(1, A, FIND, B);
  const variants = [
    (x: Trace) => x.deliver(1.000001, A, FIND, B),
    (x: Trace) => x.deliver(1, A2, FIND, B),
    (x: Trace) => x.deliver(1, A, { ...FIND, rid: 8 }, B),
    (x: Trace) => x.deliver(1, A, FIND, B2),
    (x: Trace) => x.sendFailed(1, A, FIND, B),
  ];
  for (const v of variants) {
    const other = new Trace();
    v(other);
    t.not(other.digest, base.digest);
  }
});

test('fields do not run into each other', (t) => {
  const a = new Trace();
  a.op(0, 'ab', 'c', '');
  const b = new Trace();
  b.op(0, 'a', 'bc', '');
  t.not(a.digest, b.digest);
});

test('a name hashes as its text does', (t) => {
  const named = new Trace();
  named.op(0, new TraceName('ab'), 'kill', '');
  const text = new Trace();
  text.op(0, 'ab', 'kill', '');
  t.is(named.digest, text.digest);
});
