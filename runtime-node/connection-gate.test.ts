import test from 'ava';
import { ConnectionGate } from './connection-gate';

test('a full gate lets a newcomer from a lighter address in, in place of the heaviest address\'s oldest', (t) => {
  const gate = new ConnectionGate<string>(4, 3);
  for (const c of ['a1', 'a2', 'a3']) t.like(gate.admit('A', c), { admitted: true, evicted: null });
  t.like(gate.admit('A', 'a4'), { admitted: false }, 'the cap per address');
  t.like(gate.admit('B', 'b1'), { admitted: true, evicted: null });
  t.is(gate.open, 4);
  // Full: C holds none, A holds three, so A's oldest goes.
  t.deepEqual(gate.admit('C', 'c1'), { admitted: true, evicted: 'a1' });
  t.is(gate.open, 4);
  gate.leave('A', 'a1');
  t.is(gate.open, 4, 'the evicted one closing later counts nothing');
  t.deepEqual(gate.admit('D', 'd1'), { admitted: true, evicted: 'a2' });
  // Now A, B, C and D hold one each: a newcomer from B (it would hold two) takes nobody's place.
  t.like(gate.admit('B', 'b2'), { admitted: false });
  t.like(gate.admit('E', 'e1'), { admitted: false }, 'nor one from a new address, when every address holds one');
  gate.leave('B', 'b1');
  t.like(gate.admit('E', 'e1'), { admitted: true, evicted: null });
  t.is(gate.open, 4);
});
