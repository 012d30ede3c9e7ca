import test from 'ava';
import { defaultConfig } from '../core/config';
import { FaultLog, repairWindow } from './faults';

const CFG = defaultConfig(8, 3);
const WINDOW = repairWindow(CFG);
const START = 10_000;

/** Ten peers alive since t=0, ids 00, 10, ..., 90. */
function world(): { members: { self: { id: string }; alive: boolean; since: number }[]; log: FaultLog } {
  const members = Array.from({ length: 10 }, (_, i) => ({ self: { id: `${i}0` }, alive: true, since: 0 }));
  return { members, log: new FaultLog(CFG, 3, members) };
}

function depart(w: ReturnType<typeof world>, index: number, at: number): void {
  w.log.depart('kill', `${index}0`, at);
  w.members[index].alive = false;
}

test('r neighbours gone within one repair window break the assumption', (t) => {
  const w = world();
  depart(w, 3, START);
  depart(w, 4, START + 10);
  t.true(w.log.assumptionHeld);
  depart(w, 5, START + WINDOW - 10);
  t.false(w.log.assumptionHeld);
  t.is(w.log.kills, 3);
});

test('the ring wraps around', (t) => {
  const w = world();
  depart(w, 9, START);
  depart(w, 0, START + 1);
  depart(w, 1, START + 2);
  t.false(w.log.assumptionHeld);
});

test('departures that are not neighbours, or spread over more than a window, are fine', (t) => {
  const apart = world();
  for (const i of [1, 3, 5, 7]) depart(apart, i, START + i);
  t.true(apart.log.assumptionHeld);
  const slow = world();
  depart(slow, 3, START);
  depart(slow, 4, START + WINDOW / 2);
  depart(slow, 5, START + WINDOW + 1);
  t.true(slow.log.assumptionHeld);
});

test('a peer that joined within the window does not separate departed neighbours', (t) => {
  const w = world();
  w.members.push({ self: { id: '35' }, alive: true, since: START });
  depart(w, 3, START + 1);
  depart(w, 4, START + 2);
  depart(w, 5, START + 3);
  t.false(w.log.assumptionHeld);
});

test('only partitions longer than failure detection count as partitioned', (t) => {
  const w = world();
  w.log.cut(0, CFG.missLimit * CFG.pingInterval, ['30']);
  t.true(w.log.everCut);
  t.false(w.log.partitioned);
  w.log.cut(5000, 5001 + CFG.missLimit * CFG.pingInterval, ['30']);
  t.true(w.log.partitioned);
});

test('with r = 1 a lone graceful leave keeps the assumption; a kill, or two adjacent leaves, break it', (t) => {
  const make = () => {
    const members = Array.from({ length: 5 }, (_, i) => ({ self: { id: `${i}0` }, alive: true, since: 0 }));
    return { members, log: new FaultLog(defaultConfig(8, 1), 1, members) };
  };
  const leave = make();
  leave.log.depart('leave', '20', START);
  t.true(leave.log.assumptionHeld);
  leave.log.depart('leave', '40', START + 1);
  t.true(leave.log.assumptionHeld, 'not neighbours');
  leave.log.depart('leave', '30', START + 2);
  t.false(leave.log.assumptionHeld);
  const kill = make();
  kill.log.depart('kill', '20', START);
  t.false(kill.log.assumptionHeld);
  // A leave that ended with records no neighbour acknowledged took them along, as a kill does.
  const unhanded = make();
  unhanded.log.depart('leave', '20', START);
  unhanded.log.leftWithRecords('20', START + 5000);
  t.false(unhanded.log.assumptionHeld);
  t.deepEqual([unhanded.log.leaves, unhanded.log.kills], [1, 0]);
});

test('with r = 2 one leave that kept its records keeps the assumption: the replicas have them', (t) => {
  const members = Array.from({ length: 5 }, (_, i) => ({ self: { id: `${i}0` }, alive: true, since: 0 }));
  const log = new FaultLog(defaultConfig(8, 2), 2, members);
  log.depart('leave', '20', START);
  log.leftWithRecords('20', START + 5000);
  t.true(log.assumptionHeld);
});

test('after a split, losing a side smaller than r, or r peers in a row of a side, within a repair window of the heal breaks the assumption', (t) => {
  const HEAL = START + 4000;
  // A side of two (r = 3) wiped out after the heal: its writes had only those two copies.
  const small = world();
  small.log.cut(START, HEAL, ['30', '70']);
  depart(small, 3, HEAL + 1);
  t.true(small.log.assumptionHeld, 'one of the two copies is left');
  depart(small, 7, HEAL + WINDOW);
  t.false(small.log.assumptionHeld);
  // The same deaths after the rings had a repair window to merge and replicate are fine.
  const late = world();
  late.log.cut(START, HEAL, ['30', '70']);
  depart(late, 3, HEAL + 1);
  depart(late, 7, HEAL + WINDOW + 1);
  t.true(late.log.assumptionHeld);
  // On the large side (all but 30 and 50), three peers in a row of its own ring are r copies of
  // its writes, though not neighbours on the whole ring.
  const apart = world();
  apart.log.cut(START, HEAL, ['30', '50']);
  for (const i of [0, 2, 6]) depart(apart, i, HEAL + i);
  t.true(apart.log.assumptionHeld, '10 and 40 stand between them');
  const row = world();
  row.log.cut(START, HEAL, ['30', '50']);
  for (const i of [2, 4]) depart(row, i, HEAL + i);
  t.true(row.log.assumptionHeld);
  depart(row, 6, HEAL + 10);
  t.false(row.log.assumptionHeld, '20, 40 and 60 are in a row on the large side: 30 and 50 are across the cut');
});

test('a false alarm excuses the safety checks only when it leaves a full list with no live entry', (t) => {
  const members = Array.from({ length: 5 }, (_, i) => ({ self: { id: `${i}0` }, alive: true, since: 0 }));
  const fresh = () => new FaultLog(defaultConfig(8, 2), 2, members);
  const liveAt = (addr: string) => !addr.startsWith('dead');
  const gone = { addr: 'gone' };
  const log = fresh();
  log.falseAlarm('p', [{ addr: 'other' }], gone, liveAt, 0);
  t.is(log.falseAlarms, 0, 'not a successor of the peer: no false alarm of its list');
  log.falseAlarm('p', [gone, { addr: 'live' }], gone, liveAt, 0);
  log.falseAlarm('q', [gone], gone, liveAt, 0);
  t.false(log.strandedByFalseAlarm, 'a live entry is left, or the list was short of r: the protocol\'s doing');
  log.falseAlarm('p', [gone, { addr: 'dead' }], gone, liveAt, 0);
  t.true(log.strandedByFalseAlarm);
  t.is(log.falseAlarms, 3);
  // Two in a row, the list full before the first and not refilled since: as one on a full list.
  const burst = fresh();
  burst.falseAlarm('p', [{ addr: 'first' }, { addr: 'second' }], { addr: 'first' }, liveAt, 0);
  burst.falseAlarm('p', [{ addr: 'second' }], { addr: 'second' }, liveAt, 0);
  t.true(burst.strandedByFalseAlarm);
  // Refilled in between (the list full again), the second is judged on its own list.
  const refilled = fresh();
  refilled.falseAlarm('p', [{ addr: 'first' }, { addr: 'second' }], { addr: 'first' }, liveAt, 0);
  refilled.falseAlarm('p', [{ addr: 'second' }, { addr: 'third' }], { addr: 'second' }, liveAt, 0);
  t.false(refilled.strandedByFalseAlarm);
});
