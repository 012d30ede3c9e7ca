/**
 * Finger repair on peer 5 of the seed's ring 2, 4, 5, 8, 9, 14, 19: one lookup a round, and
 * each answer settles every finger whose start it also covers.
 */
import test from 'ava';
import type { Input, Peer } from './types';
import { addrs, cfg, deliver, drive, driveThen, key, peer, sends, fire, type Timed } from './testing/drive';

const SEED: Input = { kind: 'init', succs: [peer(8), peer(9), peer(14)], pred: peer(4) };
const tick = fire('fix-fingers');

/** One round of repair answered by `answer` (the successor list the lookup finds). */
function round(before: readonly Timed[], answer: readonly Peer[]): Timed[] {
  const [find] = sends(driveThen(peer(5), before, [tick]).effects, 'find');
  return find ? [...before, tick, deliver(find.to, { t: 'found', rid: find.msg.rid, done: true, peers: answer })] : [...before, tick];
}

test('each round sets the next one and repairs the next finger, settling every finger its answer covers', (t) => {
  const first = driveThen(peer(5), [SEED], [tick]);
  t.is(first.state.due['fix-fingers'], cfg.fixFingersInterval);
  // Fingers 0 and 1 start at 6 and 7: the successor answers both without a message.
  t.deepEqual(sends(first.effects, 'find'), []);
  t.deepEqual(addrs(first.state.fingers.slots.slice(0, 3)), ['p8', 'p8', null]);
  t.is(first.state.fingerNext, 2);
  // Finger 2 starts at 9: asked of 8, answered 9 (distance 4 covers finger 2 alone).
  t.deepEqual(sends(drive(peer(5), [SEED, tick, tick]).effects, 'find').map((s) => [s.to.addr, s.msg.target.id]), [['p8', '09']]);
  const r2 = round([SEED, tick], [peer(9), peer(14)]);
  t.deepEqual(addrs(drive(peer(5), r2).state.fingers.slots.slice(0, 4)), ['p8', 'p8', 'p9', null]);
  // Finger 3 (start 13) answered 30: distance 25 covers fingers 3 and 4 (starts 13, 21).
  const r3 = round(r2, [peer(30)]);
  const s3 = drive(peer(5), r3).state;
  t.deepEqual(addrs(s3.fingers.slots.slice(2, 6)), ['p9', 'p30', 'p30', null]);
  t.is(s3.fingerNext, 5);
  // Finger 5 (start 37) answered 200: distance 195 covers the rest, and the cycle starts over.
  const s5 = drive(peer(5), round(r3, [peer(200)])).state;
  t.deepEqual(addrs(s5.fingers.slots.slice(5)), ['p200', 'p200', 'p200']);
  t.is(s5.fingerNext, 0);
});

test('an answer that wraps past zero settles every finger from the one asked for to the top', (t) => {
  const r2 = round([SEED, tick], [peer(2)]);
  const s = drive(peer(5), r2).state;
  // 2 is 253 past 5: every finger from 2 up to 7 shares it.
  t.deepEqual(addrs(s.fingers.slots), ['p8', 'p8', 'p2', 'p2', 'p2', 'p2', 'p2', 'p2']);
  t.is(s.fingerNext, 0);
});

test('a lone peer is its own finger everywhere after one round', (t) => {
  const { state, effects } = drive(peer(5), [{ kind: 'create' }, tick]);
  t.deepEqual(addrs(state.fingers.slots), Array<string>(8).fill('p5'));
  t.is(state.fingerNext, 0);
  t.deepEqual(sends(effects, 'find'), []);
});

test('one repair lookup at a time, and none before joining', (t) => {
  t.deepEqual(sends(driveThen(peer(5), [SEED, tick, tick], [tick]).effects, 'find'), []);
  // Client lookups under way do not hold repair up.
  const get: Input = { kind: 'command', cmd: { op: 'get', rid: 1, key: key(100) } };
  t.deepEqual(sends(driveThen(peer(5), [SEED, tick, get], [tick]).effects, 'find').map((s) => s.msg.target.id), ['09']);
  t.deepEqual(drive(peer(5), [{ kind: 'tick' }]).effects, []);
});
