import test from 'ava';
import { BufferBudget, isLarge } from './budget';
import { CHUNK_BYTES } from './framing';

test('large messages from others take at most half the budget; everything else the whole of it', (t) => {
  const budget = new BufferBudget(100);
  t.is(budget.largeBytes, 50);
  t.true(budget.takeLarge(30));
  t.false(budget.takeLarge(21), 'past the half');
  t.true(budget.takeLarge(20));
  t.true(budget.take(50), 'the other half is left for the rest');
  t.false(budget.take(1));
  t.deepEqual([budget.inUse, budget.largeInUse, budget.peak], [100, 50, 100]);
  budget.giveLarge(30);
  t.deepEqual([budget.inUse, budget.largeInUse], [70, 20]);
  // The half is a cap, not a reservation: the rest may fill all of it.
  budget.give(50);
  budget.giveLarge(20);
  t.true(budget.take(100));
  t.false(budget.takeLarge(1), 'the whole is full');
  t.is(budget.largeInUse, 0);
});

test('waiters are called once when bytes come back, from either share', (t) => {
  const budget = new BufferBudget(10);
  let calls = 0;
  const retry = () => calls++;
  t.true(budget.takeLarge(5));
  budget.whenFreed(retry);
  budget.whenFreed(retry);
  budget.giveLarge(5);
  t.is(calls, 1);
  budget.take(1);
  budget.give(1);
  t.is(calls, 1, 'not waiting any more');
  budget.whenFreed(retry);
  budget.forget(retry);
  budget.take(1);
  budget.give(1);
  t.is(calls, 1);
});

test('a message is large when it needs more than one frame', (t) => {
  t.false(isLarge(CHUNK_BYTES));
  t.true(isLarge(CHUNK_BYTES + 1));
});
