import test from 'ava';
import type { Msg } from '../core/types';
import { Trace } from './trace';

const FIND: Msg = { t: 'find', rid: 7, target: { id: '10', k: 16 } };

function record(trace: Trace): void {
  trace.deliver(1234.5, '0a', FIND, '91');
  trace.tick(1500, '0a', () => 'ping');
  trace.log(1500.25, '0a', { ev: 'peer-gone', peer: { id: '91', k: 0x91, addr: '91' }, how: 'missed-pings' });
  trace.drop(1600, '91', 'ping', '0a', 'lost');
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
  base.deliver(1, '0a', FIND, '91');
  const variants = [
    (x: Trace) => x.deliver(1.000001, '0a', FIND, '91'),
    (x: Trace) => x.deliver(1, '0b', FIND, '91'),
    (x: Trace) => x.deliver(1, '0a', { ...FIND, rid: 8 }, '91'),
    (x: Trace) => x.deliver(1, '0a', FIND, '92'),
    (x: Trace) => x.sendFailed(1, '0a', FIND, '91'),
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
