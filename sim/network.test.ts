/** The network against a small fake world: addresses with incarnations and a queue of transits. */
import test from 'ava';
import type { Channel } from '../core/types';
import { EventQueue } from './heap';
import { type Arrival, Network, type NetHost, type SendOutcome, type Transit } from './network';
import { Rng } from './rng';
import type { NetworkSettings } from './scenario';

const CALM: NetworkSettings = { latencyMin: 1, latencyMax: 50, loss: 0, duplicate: 0, streamFailure: 0, clockSkew: 0 };
const TIMEOUT = 1200;
const inGroup = (group: readonly string[]) => (addr: string) => group.includes(addr);

interface Arrived {
  readonly at: number;
  readonly arrival: Arrival;
  readonly payload: number;
}

class FakeWorld implements NetHost<string, number> {
  readonly incs = new Map<string, number>([['a', 1], ['b', 2], ['c', 3]]);
  readonly net: Network<string, number>;
  private readonly queue = new EventQueue<Transit<string, number>>();
  private nextInc = 10;

  constructor(settings: NetworkSettings = CALM, faultsUntil = 0) {
    this.net = new Network(settings, faultsUntil, TIMEOUT, new Rng('net-test', 'network'), this);
  }

  incarnation(addr: string): number {
    return this.incs.get(addr) ?? 0;
  }

  schedule(at: number, t: Transit<string, number>): void {
    this.queue.push(at, t);
  }

  kill(addr: string): void {
    this.incs.set(addr, 0);
  }

  restart(addr: string): void {
    this.incs.set(addr, this.nextInc++);
  }

  send(now: number, from: string, to: string, payload: number, channel: Channel): SendOutcome {
    return this.net.send(now, from, this.incarnation(from), to, payload, channel);
  }

  /** Lets every transit due by `until` arrive, in time order. */
  run(until = Infinity): Arrived[] {
    const out: Arrived[] = [];
    while (this.queue.size > 0 && this.queue.peekTime() <= until) {
      const at = this.queue.peekTime();
      const t = this.queue.pop() as Transit<string, number>;
      out.push({ at, arrival: this.net.arrive(t, at), payload: t.payload });
    }
    return out;
  }
}

test('streams arrive in order per pair; datagrams get reordered', (t) => {
  const w = new FakeWorld();
  for (let i = 0; i < 300; i++) {
    w.send(i, 'a', 'b', i, 'stream');
    w.send(i, 'a', 'c', 1000 + i, 'dgram');
  }
  const arrived = w.run();
  const stream = arrived.filter((x) => x.payload < 1000);
  const dgram = arrived.filter((x) => x.payload >= 1000);
  t.true(arrived.every((x) => x.arrival === 'deliver'));
  t.deepEqual(stream.map((x) => x.payload), Array.from({ length: 300 }, (_, i) => i));
  t.notDeepEqual(dgram.map((x) => x.payload), Array.from({ length: 300 }, (_, i) => 1000 + i));
});

test('the reverse direction is a pair of its own', (t) => {
  const w = new FakeWorld({ ...CALM, latencyMin: 100, latencyMax: 100 });
  w.send(0, 'a', 'b', 1, 'stream');
  w.send(50, 'b', 'a', 2, 'stream');
  w.send(60, 'a', 'b', 3, 'stream');
  t.deepEqual(w.run().map((x) => [x.at, x.payload]), [[100, 1], [150, 2], [160, 3]]);
});

test('loss and duplication only during the faulty phase', (t) => {
  const w = new FakeWorld({ ...CALM, loss: 0.3, duplicate: 0.3 }, 1000);
  const early = Array.from({ length: 500 }, (_, i) => w.send(i, 'a', 'b', i, 'dgram'));
  const earlyArrivals = w.run();
  const lost = early.filter((o) => o === 'lost').length;
  t.true(lost > 100 && lost < 200, `${lost} lost`);
  t.true(earlyArrivals.length > 500 - lost, 'some datagrams were duplicated');

  const late = Array.from({ length: 500 }, (_, i) => w.send(1000 + i, 'a', 'b', i, 'dgram'));
  const lateArrivals = w.run();
  t.true(late.every((o) => o === 'sent'));
  t.is(lateArrivals.length, 500);
  t.deepEqual(new Set(lateArrivals.map((x) => x.payload)).size, 500);
});

test('stream failures only during the faulty phase, told to the sender', (t) => {
  const w = new FakeWorld({ ...CALM, streamFailure: 0.5 }, 1000);
  for (let i = 0; i < 200; i++) w.send(i, 'a', 'b', i, 'stream');
  const early = w.run();
  t.is(early.length, 200);
  const failed = early.filter((x) => x.arrival === 'fail').length;
  t.true(failed > 60 && failed < 140, `${failed} failed`);
  t.true(early.every((x) => x.arrival === 'fail' || x.arrival === 'deliver'));
  for (let i = 0; i < 200; i++) w.send(1000 + i, 'a', 'b', i, 'stream');
  t.true(w.run().every((x) => x.arrival === 'deliver'));
});

test('a stream to a dead peer fails at the would-be delivery time', (t) => {
  const w = new FakeWorld({ ...CALM, latencyMin: 10, latencyMax: 10 });
  w.kill('b');
  t.is(w.send(0, 'a', 'b', 1, 'stream'), 'sent');
  t.deepEqual(w.run(), [{ at: 10, arrival: 'fail', payload: 1 }]);
  t.is(w.send(0, 'a', 'b', 2, 'dgram'), 'dead');
});

test('a stream fails if the receiver dies or restarts in flight; nobody hears if the sender died', (t) => {
  const w = new FakeWorld({ ...CALM, latencyMin: 10, latencyMax: 10 });
  w.send(0, 'a', 'b', 1, 'stream');
  w.send(0, 'a', 'c', 2, 'stream');
  w.send(0, 'c', 'b', 3, 'stream');
  w.send(0, 'a', 'b', 4, 'dgram');
  w.restart('b');
  w.kill('c');
  t.deepEqual(w.run().map((x) => [x.payload, x.arrival]), [[1, 'fail'], [2, 'fail'], [3, 'orphan'], [4, 'deliver']]);
});

test('a partition drops datagrams across it, at send or in flight, not within a side', (t) => {
  const w = new FakeWorld({ ...CALM, latencyMin: 10, latencyMax: 10 });
  w.net.cut(inGroup(['a']), 100, 500);
  const outcomes = [
    w.send(0, 'a', 'b', 1, 'dgram'),
    w.send(95, 'b', 'a', 2, 'dgram'),
    w.send(100, 'a', 'b', 3, 'dgram'),
    w.send(100, 'b', 'c', 4, 'dgram'),
    w.send(500, 'a', 'b', 5, 'dgram'),
  ];
  t.deepEqual(outcomes, ['sent', 'sent', 'cut', 'sent', 'sent']);
  t.deepEqual(w.run().map((x) => [x.payload, x.arrival]), [[1, 'deliver'], [2, 'cut'], [4, 'deliver'], [5, 'deliver']]);
});

test('a stream across a short partition waits for the heal, across a long one it fails at the timeout', (t) => {
  const w = new FakeWorld({ ...CALM, latencyMin: 10, latencyMax: 10 });
  w.net.cut(inGroup(['a']), 0, 1000);
  w.send(0, 'a', 'b', 1, 'stream');
  w.send(1, 'a', 'b', 2, 'stream');
  t.deepEqual(w.run(), [
    { at: 1010, arrival: 'deliver', payload: 1 },
    { at: 1010, arrival: 'deliver', payload: 2 },
  ]);
  w.net.cut(inGroup(['b', 'c']), 2000, 2000 + TIMEOUT + 1);
  w.send(2000, 'a', 'b', 3, 'stream');
  w.send(2000, 'b', 'c', 4, 'stream');
  t.deepEqual(w.run().map((x) => [x.at, x.payload, x.arrival]), [[2010, 4, 'deliver'], [2000 + TIMEOUT, 3, 'fail']]);
});

test('a new partition replaces the active one', (t) => {
  const w = new FakeWorld();
  w.net.cut(inGroup(['a']), 0, 1000);
  t.true(w.net.isCut(10, 'a', 'b'));
  w.net.cut(inGroup(['c']), 20, 1000);
  t.false(w.net.isCut(30, 'a', 'b'));
  t.true(w.net.isCut(30, 'c', 'a'));
  t.false(w.net.isCut(1000, 'c', 'a'));
});
