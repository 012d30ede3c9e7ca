/**
 * Iterative lookups, one peer at a time: which peer is asked next, what a reply or a timeout
 * does, how attempts are counted, and what the client is told. Peer 5 of the seed's ring
 * 2, 4, 5, 8, 9, 14, 19 looks up key 100 unless said: it knows 8, 9 and 14, so it asks 14 first.
 */
import test from 'ava';
import type { Effect, Input, Msg, Peer, PeerState } from './types';
import { cfg, deliver, drive, driveThen, enc, fire, joined, key, peer, pump, rec, replies, sends, type Timed } from './testing/drive';

const SEED: Input = { kind: 'init', succs: [peer(8), peer(9), peer(14)], pred: peer(4) };
const get = (n = 100, rid = 1): Input => ({ kind: 'command', cmd: { op: 'get', rid, key: key(n) } });
const put = (n = 100, rid = 1): Input => ({ kind: 'command', cmd: { op: 'put', rid, key: key(n), value: enc('v') } });
const found = (rid: number, done: boolean, peers: readonly Peer[]): Msg => ({ t: 'found', rid, done, peers });
/** Answers nothing: every hop times out (pump moves time on to each lookup deadline). */
const silent = (): Input[] => [];
const asked = (effects: readonly Effect[]) => sends(effects, 'find').map((s) => s.to.addr);
/** The request id of the last lookup `inputs` start. */
const ridOf = (inputs: readonly Timed[]) => sends(drive(peer(5), inputs).effects, 'find').slice(-1)[0].msg.rid;
const once = { ...cfg, opAttempts: 1 };

test('an answer with nowhere left to go fails the attempt as "no route"', (t) => {
  const start: Input[] = [{ kind: 'init', succs: [peer(8)], pred: peer(4) }, get()];
  const { effects } = pump(peer(5), start, (e) => (e.kind === 'send' && e.msg.t === 'find' ? [deliver(peer(8), found(e.msg.rid, false, []))] : []), once);
  t.like(replies(effects)[0]?.reply, { ok: false, error: 'no-route', hops: 1 });
});

test('a lookup gives up after maxHops hops in one attempt', (t) => {
  let next = 20;
  const { effects } = pump(peer(5), [SEED, get()], (e) => (e.kind === 'send' && e.msg.t === 'find' ? [deliver(e.to, found(e.msg.rid, false, [peer(next++)]))] : []), { ...once, maxHops: 3 });
  t.deepEqual(asked(effects), ['p14', 'p20', 'p21']);
  t.like(replies(effects)[0]?.reply, { ok: false, error: 'too-many-hops', hops: 3 });
});

test('an operation is tried opAttempts times, each after a back-off of about one ping interval', (t) => {
  const { effects } = pump(peer(5), [{ kind: 'init', succs: [peer(8)], pred: peer(4) }, get()], silent);
  t.deepEqual(asked(effects), Array<string>(cfg.opAttempts).fill('p8'));
  const start: Timed[] = [{ kind: 'init', succs: [peer(8)], pred: peer(4) }, get()];
  const rid = ridOf(start);
  const [, , op] = [0, 0, drive(peer(5), [...start, [100, fire({ op: rid })]]).state.ops.get(rid)];
  t.like(op, { stage: 'wait', attempts: 2, deadline: 100 + Math.min(cfg.rpcTimeout, cfg.pingInterval) });
  t.like(replies(effects)[0]?.reply, { ok: false, error: 'no-answer', hops: cfg.opAttempts });
});

test('a lookup waiting on a peer that is declared gone moves on at once; others keep waiting', (t) => {
  const gone = driveThen(peer(5), [SEED, get()], [deliver(peer(14), { t: 'leave-notice', rid: 3, succs: [peer(19)] })]);
  t.deepEqual(asked(gone.effects), ['p9']);
  const unrelated = driveThen(peer(5), [SEED, get()], [deliver(peer(4), { t: 'leave', rid: 3, pred: null, records: [], from: null, more: false })]);
  t.deepEqual(asked(unrelated.effects), []);
});

test('a peer serves a key it is primary for itself, and says so when the key is missing', (t) => {
  const lone = drive(peer(5), [{ kind: 'create' }, put(77, 1), get(78, 2)]);
  t.like(replies(lone.effects)[0], { rid: 1, reply: { ok: true, op: 'put', version: 1, hops: 0 } });
  t.deepEqual(replies(lone.effects)[1], { rid: 2, reply: { ok: false, op: 'get', error: 'not-found', hops: 0 } });
  t.is(lone.state.ops.size, 0, 'nothing is left to retry');
});

/** Peer 5, joined but not ready (no hand-off yet), runs `cmd` and 14 answers that 5 is the primary. */
function atUnreadyPrimary(cmd: Input): { state: PeerState; effects: Effect[] } {
  const member = [...joined(peer(5), [peer(8), peer(9), peer(14)]), cmd];
  return driveThen(peer(5), member, [deliver(peer(14), found(ridOf(member), true, [peer(5), peer(8)]))]);
}

test('a peer that learns it holds the key but is not ready yet does not send the request to itself', (t) => {
  const { effects } = atUnreadyPrimary(get(5));
  t.deepEqual(sends(effects, 'fetch'), []);
  t.deepEqual([...atUnreadyPrimary(get(5)).state.ops.values()].map((op) => op.stage), ['wait']);
});

test('an operation under way waits for its hop, and only for it: its one deadline is the hop\'s', (t) => {
  const rid = ridOf([SEED, get()]);
  t.like(drive(peer(5), [SEED, [50, get()]]).state.ops.get(rid), { stage: 'route', deadline: 50 + cfg.rpcTimeout });
});

test('a join whose bootstrap peer answers with no route ends as "bootstrap peer unreachable"', (t) => {
  const { state, effects } = pump(peer(5), [{ kind: 'join', via: 'p4' }], (e) => (e.kind === 'send' && e.msg.t === 'find' ? [deliver(peer(4), found(e.msg.rid, false, []))] : []));
  t.is(state.phase.name, 'stopped');
  t.deepEqual(effects.flatMap((e) => (e.kind === 'log' && e.event.ev === 'join-failed' ? [e.event.reason] : [])), ['bootstrap peer unreachable']);
});

test('the first hop\'s deadline, passing once the request is at its holder, changes nothing', (t) => {
  const rid = ridOf([SEED, get()]);
  const atHolder: Timed[] = [SEED, get(), [100, deliver(peer(14), found(rid, false, [peer(60)]))], [200, deliver(peer(60), found(rid, true, [peer(100)]))]];
  t.deepEqual(sends(drive(peer(5), atHolder).effects, 'fetch').map((s) => s.to.addr), ['p100']);
  const tick = driveThen(peer(5), atHolder, [[cfg.rpcTimeout, { kind: 'tick' }]], once).effects;
  t.deepEqual([...replies(tick), ...sends(tick, 'fetch')], []);
});

test('the deadline of a failed attempt, passing during the next attempt, changes nothing', (t) => {
  const start: Timed[] = [{ kind: 'init', succs: [peer(8)], pred: peer(4) }, get()];
  const rid = ridOf(start);
  const retried: Timed[] = [...start, [10, { kind: 'send-failed', to: peer(8), msg: { t: 'find', rid, target: key(100) } }], [200, fire({ op: rid })]];
  t.deepEqual(asked(drive(peer(5), retried).effects), ['p8', 'p8']);
  t.like(drive(peer(5), retried).state.ops.get(rid), { stage: 'route', attempts: 2, deadline: 200 + cfg.rpcTimeout });
  const tick = driveThen(peer(5), retried, [[cfg.rpcTimeout, { kind: 'tick' }]]).effects;
  t.deepEqual([...replies(tick), ...sends(tick, 'find').filter((s) => s.msg.rid === rid)], []);
});

test('a put that learns this peer is the primary but not ready yet is retried later', (t) => {
  const { effects } = atUnreadyPrimary(put(5));
  t.deepEqual(sends(effects, 'store'), []);
  t.deepEqual(sends(effects, 'replicate'), []);
  t.deepEqual([...atUnreadyPrimary(put(5)).state.ops.values()].map((op) => op.stage), ['wait']);
});

test('a put at its own primary whose replica cannot be reached is refused, not left hanging', (t) => {
  const start: Timed[] = [SEED, put(5)];
  const [replica] = sends(drive(peer(5), start, once).effects, 'replicate');
  t.is(replica.to.addr, 'p8');
  const { effects } = driveThen(peer(5), start, [{ kind: 'send-failed', to: peer(8), msg: replica.msg }], once);
  t.like(replies(effects)[0]?.reply, { ok: false, op: 'put', error: 'not-ready' });
});

test('a request whose send to the holder fails moves on at once', (t) => {
  const rid = ridOf([SEED, get()]);
  const atHolder: Timed[] = [SEED, get(), deliver(peer(14), found(rid, true, [peer(100)]))];
  const { effects } = driveThen(peer(5), atHolder, [{ kind: 'send-failed', to: peer(100), msg: { t: 'fetch', rid, key: key(100) } }], once);
  t.like(replies(effects)[0]?.reply, { ok: false, op: 'get', error: 'holder-silent' });
});

test('a fetch answer for a put is ignored', (t) => {
  const rid = ridOf([SEED, put()]);
  const atHolder: Timed[] = [SEED, put(), deliver(peer(14), found(rid, true, [peer(100)]))];
  t.deepEqual(replies(driveThen(peer(5), atHolder, [deliver(peer(100), { t: 'fetched', rid, status: 'found', rec: rec(100) })]).effects), []);
});

test('a join that fails for another reason than an unreachable bootstrap peer says so', (t) => {
  let next = 20;
  const { state, effects } = pump(peer(5), [{ kind: 'join', via: 'p4' }], (e) => (e.kind === 'send' && e.msg.t === 'find' ? [deliver(e.to, found(e.msg.rid, false, [peer(next++)]))] : []), { ...once, maxHops: 3 });
  t.is(state.phase.name, 'stopped');
  t.deepEqual(effects.flatMap((e) => (e.kind === 'log' && e.event.ev === 'join-failed' ? [e.event.reason] : [])), ['too many hops']);
});
