/**
 * Finger repair on peer 5 of the seed's ring 2, 4, 5, 8, 9, 14, 19: one lookup a round (and the
 * next at once after an answer that changed the table), and each answer settles every finger
 * whose start it also covers.
 */
import test from 'ava';
import type { Input, Peer } from './types';
import { addrs, cfg, deliver, drive, driveThen, key, peer, sends, fire, type Timed } from './testing/drive';

const SEED: Input = { kind: 'init', succs: [peer(8), peer(9), peer(14)], pred: peer(4) };
const tick = fire('fix-fingers');

/** `before`, then the finger lookup it left in flight answered with `answer` (the successor list the lookup finds). */
function answered(before: readonly Timed[], answer: readonly Peer[]): Timed[] {
  const finds = sends(drive(peer(5), before).effects, 'find');
  const find = finds[finds.length - 1];
  return [...before, deliver(find.to, { t: 'found', rid: find.msg.rid, done: true, peers: answer })];
}

const asked = (effects: Parameters<typeof sends>[0]) => sends(effects, 'find').map((s) => [s.to.addr, s.msg.target.id]);

test('a round repairs the next finger, an answer that changes the table asks for the next one at once, and each answer settles every finger it covers', (t) => {
  const first = driveThen(peer(5), [SEED], [tick]);
  t.is(first.state.due['fix-fingers'], cfg.fixFingersInterval);
  // Fingers 0 and 1 start at 6 and 7: the successor answers both without a message. That
  // changed the table, so finger 2 (start 9) is asked of 8 at once.
  t.deepEqual(addrs(first.state.fingers.slots.slice(0, 3)), ['p8', 'p8', null]);
  t.is(first.state.fingerNext, 2);
  t.deepEqual(asked(first.effects), [['p8', '09']]);
  // Answered 9 (distance 4 covers finger 2 alone); finger 3 (start 13) goes at once.
  const r2 = answered([SEED, tick], [peer(9), peer(14)]);
  const s2 = driveThen(peer(5), r2.slice(0, -1), r2.slice(-1));
  t.deepEqual(addrs(s2.state.fingers.slots.slice(0, 4)), ['p8', 'p8', 'p9', null]);
  t.deepEqual(asked(s2.effects), [['p9', '0d']]);
  // Finger 3 answered 30: distance 25 covers fingers 3 and 4 (starts 13, 21).
  const r3 = answered(r2, [peer(30)]);
  const s3 = drive(peer(5), r3).state;
  t.deepEqual(addrs(s3.fingers.slots.slice(2, 6)), ['p9', 'p30', 'p30', null]);
  t.is(s3.fingerNext, 5);
  // Finger 5 (start 37) answered 200: distance 195 covers the rest. The cycle starts over at
  // once; fingers 0 and 1, answered locally as before, change nothing, and repair waits for the
  // next round.
  const r5 = answered(r3, [peer(200)]);
  const s5 = driveThen(peer(5), r5.slice(0, -1), r5.slice(-1));
  t.deepEqual(addrs(s5.state.fingers.slots.slice(5)), ['p200', 'p200', 'p200']);
  t.is(s5.state.fingerNext, 2);
  t.deepEqual(asked(s5.effects), []);
  t.deepEqual(asked(driveThen(peer(5), r5, [tick]).effects), [['p8', '09']]);
  // An answer that confirms the table asks for nothing more.
  const again = answered([...r5, tick], [peer(9), peer(14)]);
  t.deepEqual(asked(driveThen(peer(5), again.slice(0, -1), again.slice(-1)).effects), []);
});

test('an answer that wraps past zero settles every finger from the one asked for to the top', (t) => {
  const s = drive(peer(5), answered([SEED, tick], [peer(2)])).state;
  // 2 is 253 past 5: every finger from 2 up to 7 shares it (and fingers 0 and 1 are confirmed at once).
  t.deepEqual(addrs(s.fingers.slots), ['p8', 'p8', 'p2', 'p2', 'p2', 'p2', 'p2', 'p2']);
  t.is(s.fingerNext, 2);
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
  t.deepEqual(sends(driveThen(peer(5), [SEED, get], [tick]).effects, 'find').map((s) => s.msg.target.id), ['09']);
  t.deepEqual(drive(peer(5), [{ kind: 'tick' }]).effects, []);
});
