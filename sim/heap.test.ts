import test from 'ava';
import { EventQueue } from './heap';
import { Rng } from './rng';

function drain<T>(q: EventQueue<T>): { time: number; item: T }[] {
  const out: { time: number; item: T }[] = [];
  while (q.size > 0) {
    const time = q.peekTime();
    out.push({ time, item: q.pop() as T });
  }
  return out;
}

test('pops in time order, equal times in insertion order', (t) => {
  const q = new EventQueue<number>();
  const rng = new Rng('heap', 'times');
  const pushed: { time: number; item: number }[] = [];
  for (let i = 0; i < 2000; i++) {
    // Few distinct times, so that ties are common.
    const time = rng.int(50);
    q.push(time, i);
    pushed.push({ time, item: i });
  }
  const expected = [...pushed].sort((a, b) => a.time - b.time || a.item - b.item);
  t.deepEqual(drain(q), expected);
});

test('interleaved pushes and pops keep the order', (t) => {
  const q = new EventQueue<number>();
  const rng = new Rng('heap', 'mixed');
  const reference: { time: number; item: number }[] = [];
  let now = 0;
  for (let i = 0; i < 3000; i++) {
    if (rng.chance(0.6) || q.size === 0) {
      const time = now + rng.int(20);
      q.push(time, i);
      reference.push({ time, item: i });
    } else {
      reference.sort((a, b) => a.time - b.time || a.item - b.item);
      const want = reference.shift() as { time: number; item: number };
      t.is(q.peekTime(), want.time);
      t.is(q.pop(), want.item);
      now = want.time;
    }
  }
});

test('an empty queue has no time and pops nothing', (t) => {
  const q = new EventQueue<string>();
  t.is(q.peekTime(), Infinity);
  t.is(q.pop(), undefined);
  q.push(1.5, 'a');
  t.is(q.pop(), 'a');
  t.is(q.size, 0);
});
