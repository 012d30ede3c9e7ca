import test from 'ava';
import { Rng } from './rng';

const draw = (r: Rng, n: number): number[] => Array.from({ length: n }, () => r.uniform(0, 1));

test('same seed and stream, same numbers', (t) => {
  t.deepEqual(draw(new Rng('s1', 'network'), 100), draw(new Rng('s1', 'network'), 100));
});

test('streams and seeds differ from each other', (t) => {
  const base = draw(new Rng('s1', 'network'), 20);
  t.notDeepEqual(base, draw(new Rng('s1', 'clock'), 20));
  t.notDeepEqual(base, draw(new Rng('s2', 'network'), 20));
});

test('drawing from one stream does not move another', (t) => {
  const a = new Rng('s1', 'network');
  const b = new Rng('s1', 'clock');
  draw(a, 1000);
  t.deepEqual(draw(b, 50), draw(new Rng('s1', 'clock'), 50));
});

test('an empty run seed still gives a varied stream', (t) => {
  t.true(new Set(draw(new Rng('', 'network'), 100)).size > 90);
});

test('helpers stay in range', (t) => {
  const r = new Rng('range', 'x');
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const u = r.uniform(3, 7);
    t.true(u >= 3 && u < 7);
    const k = r.int(6);
    t.true(Number.isInteger(k) && k >= 0 && k < 6);
    seen.add(k);
  }
  t.is(seen.size, 6);
  t.false(Array.from({ length: 1000 }, () => r.chance(0)).some(Boolean));
  t.true(Array.from({ length: 1000 }, () => r.chance(1)).every(Boolean));
  const hits = Array.from({ length: 10_000 }, () => r.chance(0.3)).filter(Boolean).length;
  t.true(hits > 2700 && hits < 3300, `${hits}`);
});
