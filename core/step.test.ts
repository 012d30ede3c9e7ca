import test from 'ava';
import fc from 'fast-check';
import { isReady } from './coverage';
import { pointOfBigInt } from './id';
import { nextDeadline } from './deadlines';
import { Records } from './records';
import { initState, step } from './step';
import type { Effect, Input, Msg, PeerState } from './types';
import { keyArb, msgArb, valueArb } from '../properties/message-arbitrary';
import { BITS, cfg, deliver, drive, enc, lingered, peer, replies, sends, fire, type Timed } from './testing/drive';

/** Structural snapshot that sees inside Maps, record sets and byte arrays. */
function snapshot(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x instanceof Map ? ['Map', [...x.entries()]] : x instanceof Records ? ['Records', [...x.values()]] : x instanceof Uint8Array ? ['Bytes', [...x]] : x));
}

/**
 * A record set is left unfrozen: its tree marks nodes shared when it is cloned, a write inside a
 * value that never changes what it holds. The snapshots prove it holds the same records after.
 */
function deepFreeze<T>(v: T): T {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v) || ArrayBuffer.isView(v) || v instanceof Records) return v;
  if (v instanceof Map) for (const x of v.values()) deepFreeze(x);
  for (const x of Object.values(v)) deepFreeze(x);
  return Object.freeze(v);
}

const pool = [2, 4, 5, 8, 9, 14, 19, 25].map(peer);
const poolPeer = fc.constantFrom(...pool);
const inputArb: fc.Arbitrary<Input> = fc.oneof(
  fc.record({ kind: fc.constant('deliver' as const), from: poolPeer, msg: msgArb(BITS), channel: fc.constantFrom('dgram' as const, 'stream' as const) }),
  fc.constant({ kind: 'tick' as const }),
  fc.record({ kind: fc.constant('command' as const), cmd: fc.oneof(
    fc.record({ op: fc.constant('put' as const), rid: fc.nat(), key: keyArb(BITS), value: valueArb }),
    fc.record({ op: fc.constant('get' as const), rid: fc.nat(), key: keyArb(BITS) }),
    fc.record({ op: fc.constant('leave' as const), rid: fc.nat() })) }),
  fc.record({ kind: fc.constant('send-failed' as const), to: poolPeer, msg: msgArb(BITS) }),
);
const startArb: fc.Arbitrary<Input> = fc.oneof(
  fc.constant<Input>({ kind: 'create' }),
  fc.constant<Input>({ kind: 'join', via: 'p4' }),
  fc.constant<Input>({ kind: 'init', succs: [peer(8), peer(9), peer(14)], pred: peer(4) }),
);

test('step never mutates deep-frozen inputs and never throws, whatever arrives', (t) => {
  fc.assert(fc.property(startArb, fc.array(inputArb, { maxLength: 40 }), (start, inputs) => {
    let state = initState(cfg, peer(5));
    let now = 0;
    for (const input of [start, ...inputs]) {
      deepFreeze(state);
      deepFreeze(input);
      const before = snapshot([state, input]);
      const r = step(state, input, now);
      if (snapshot([state, input]) !== before) return false;
      state = r.state;
      now += 100;
    }
    return true;
  }), { numRuns: 300 });
  t.pass();
});

test('a lone peer creates a ring and serves puts and gets itself', (t) => {
  const key = { ...pointOfBigInt(77n, BITS), name: '77' };
  const { state, effects } = drive(peer(5), [
    { kind: 'create' },
    { kind: 'command', cmd: { op: 'put', rid: 1, key, value: enc('hello') } },
    { kind: 'command', cmd: { op: 'get', rid: 2, key } },
  ]);
  t.is(state.phase.name, 'member');
  t.deepEqual(state.succs, [peer(5)]);
  const replies = effects.filter((e) => e.kind === 'reply').map((e) => (e.kind === 'reply' ? e.reply : null));
  t.like(replies[0], { ok: true, op: 'put', version: 1, hops: 0 });
  t.like(replies[1], { ok: true, op: 'get', hops: 0 });
});

test('a joining peer adopts the successor list it is given, then stabilizes and rectifies', (t) => {
  const first = drive(peer(5), [{ kind: 'join', via: 'p4' }]);
  const find = sends(first.effects, 'find')[0];
  t.is(find.to.addr, 'p4');
  const found: Msg = { t: 'found', rid: (find.msg as Extract<Msg, { t: 'find' }>).rid, done: true, peers: [peer(8), peer(9), peer(14)] };
  const { state, effects } = drive(peer(5), [{ kind: 'join', via: 'p4' }, deliver(peer(4), found)]);
  t.is(state.phase.name, 'joining', 'a member once its successor accepts it with a hand-off');
  t.deepEqual(state.succs.map((p) => p.addr), ['p8', 'p9', 'p14']);
  t.false(isReady(state, 0), 'not ready before the hand-off');
  t.is(sends(effects, 'get-state')[0].to.addr, 'p8');
  t.is(sends(effects, 'rectify')[0].to.addr, 'p8');
});

test('a join that finds its own ID held by another address fails with a clear reason', (t) => {
  const rid = (drive(peer(5), [{ kind: 'join', via: 'p4' }]).effects.find((e) => e.kind === 'send')! as Extract<Effect, { kind: 'send' }>).msg as Extract<Msg, { t: 'find' }>;
  const other = { ...peer(5), addr: 'elsewhere' };
  const { state, effects } = drive(peer(5), [{ kind: 'join', via: 'p4' }, deliver(peer(4), { t: 'found', rid: rid.rid, done: true, peers: [other] })]);
  t.is(state.phase.name, 'stopped');
  const stopped = effects.find((e) => e.kind === 'stopped');
  t.regex(stopped && stopped.kind === 'stopped' ? stopped.reason : '', /duplicate peer ID/);
});

test('an unreachable bootstrap peer ends the join after the configured attempts', (t) => {
  let state = initState(cfg, peer(5));
  let now = 0;
  const effects: Effect[] = [];
  const run = (input: Input) => { const r = step(state, input, now); state = r.state; effects.push(...r.effects); return r.effects; };
  let pending = run({ kind: 'join', via: 'p4' });
  for (let i = 0; i < 20 && state.phase.name === 'joining'; i++) {
    const next: Effect[] = [];
    for (const e of pending) if (e.kind === 'send') next.push(...run({ kind: 'send-failed', to: e.to, msg: e.msg }));
    // Once every send has failed, the back-off runs out: the next attempt.
    if (next.length === 0) {
      now = nextDeadline(state) ?? now;
      next.push(...run({ kind: 'tick' }));
    }
    pending = next;
  }
  t.is(state.phase.name, 'stopped');
  t.truthy(effects.find((e) => e.kind === 'log' && e.event.ev === 'join-failed' && /unreachable/.test(e.event.reason)));
});

test('a successor that misses missLimit pings in a row is declared gone and replaced', (t) => {
  const inputs: Timed[] = [{ kind: 'init', succs: [peer(8), peer(9), peer(14)], pred: peer(4) }];
  for (let i = 0; i <= cfg.missLimit; i++) {
    inputs.push(fire('ping'));
    inputs.push(deliver(peer(9), { t: 'pong', nonce: 0, member: true }));
    inputs.push(deliver(peer(14), { t: 'pong', nonce: 0, member: true }));
    inputs.push(deliver(peer(4), { t: 'pong', nonce: 0, member: true }));
  }
  const { state, effects } = drive(peer(5), inputs);
  t.deepEqual(state.succs.map((p) => p.addr), ['p9', 'p14']);
  t.truthy(effects.find((e) => e.kind === 'log' && e.event.ev === 'peer-gone' && e.event.peer.addr === 'p8'));
});

test('rectify from a closer peer makes it the predecessor and hands it its records', (t) => {
  const key = (n: number) => ({ ...pointOfBigInt(BigInt(n), BITS), name: String(n) });
  const rec = (n: number) => ({ key: key(n), value: enc(`v${n}`), version: 1, writer: peer(9).id });
  const { state, effects } = drive(peer(9), [
    { kind: 'init', succs: [peer(14)], pred: peer(4) },
    deliver(peer(14), { t: 'replicate', rid: 0, records: [rec(5), rec(6), rec(8)] }),
    deliver(peer(6), { t: 'rectify', ready: false, link: false }),
  ]);
  t.is(state.pred?.addr, 'p6');
  const toP6 = effects.filter((e) => e.kind === 'send' && e.to.addr === 'p6' && (e.msg.t === 'replicate' || e.msg.t === 'handoff'));
  const moved = toP6.flatMap((e) => (e.kind === 'send' && (e.msg.t === 'replicate' || e.msg.t === 'handoff') ? e.msg.records.map((r) => r.key.name) : []));
  t.deepEqual(moved.sort(), ['5', '6']);
  // The marker that makes p6 ready comes last, after every record.
  const last = toP6[toP6.length - 1];
  t.is(last.kind === 'send' ? last.msg.t : undefined, 'handoff');
});

/** Peer 9 of a ring 5 → 9 → 14 → 19, primary for (5, 9], takes a store from client 2. */
function storeAtPrimary(): { state: PeerState; effects: Effect[]; inputs: Timed[]; replicateRid: number } {
  const key = { ...pointOfBigInt(7n, BITS), name: '7' };
  const inputs: Timed[] = [
    { kind: 'init', succs: [peer(14), peer(19)], pred: peer(5) },
    deliver(peer(2), { t: 'store', rid: 41, key, value: enc('v') }),
  ];
  const { state, effects } = drive(peer(9), inputs);
  const replicas = sends(effects, 'replicate');
  return { state, effects, inputs, replicateRid: (replicas[0].msg as Extract<Msg, { t: 'replicate' }>).rid };
}

test('a store is acknowledged once every replica confirms it', (t) => {
  const { inputs, replicateRid } = storeAtPrimary();
  const { effects } = drive(peer(9), [...inputs, deliver(peer(14), { t: 'replicated', rid: replicateRid }), deliver(peer(19), { t: 'replicated', rid: replicateRid })]);
  t.deepEqual(sends(effects, 'stored').map((e) => e.msg), [{ t: 'stored', rid: 41, status: 'ok', version: 1, holders: [peer(9), peer(14), peer(19)] }]);
});

test('a store is not acknowledged when a replica does not confirm in time or cannot be reached', (t) => {
  const { effects: first, inputs, replicateRid } = storeAtPrimary();
  t.deepEqual(sends(first, 'replicate').map((e) => e.to.addr), ['p14', 'p19']);
  const confirmed = deliver(peer(14), { t: 'replicated', rid: replicateRid });
  const failures: Timed[] = [
    fire({ store: replicateRid }),
    { kind: 'send-failed', to: peer(19), msg: { t: 'replicate', rid: replicateRid, records: [] } },
  ];
  for (const failure of failures) {
    const { effects } = drive(peer(9), [...inputs, confirmed, failure, deliver(peer(19), { t: 'replicated', rid: replicateRid })]);
    t.deepEqual(sends(effects, 'stored').map((e) => (e.msg as Extract<Msg, { t: 'stored' }>).status), ['not-ready'], 'fire' in failure ? 'deadline' : 'send failed');
  }
});

test('a replica declared gone while a store waits on it refuses the store: the record is not on r peers', (t) => {
  // Acknowledging would leave one copy fewer than r until the next replication round.
  const { inputs, replicateRid } = storeAtPrimary();
  const { effects } = drive(peer(9), [...inputs, deliver(peer(14), { t: 'replicated', rid: replicateRid }), deliver(peer(19), { t: 'leave-notice', rid: 3, succs: [peer(2)] })]);
  t.deepEqual(sends(effects, 'stored').map((e) => (e.msg as Extract<Msg, { t: 'stored' }>).status), ['not-ready']);
});

test('a leaving peer keeps the predecessor it handed to its heir', (t) => {
  const { state } = drive(peer(5), [
    { kind: 'init', succs: [peer(8), peer(9), peer(14)], pred: peer(2) },
    { kind: 'command', cmd: { op: 'leave', rid: 8 } },
    deliver(peer(4), { t: 'rectify', ready: true, link: false }),
  ]);
  t.is(state.phase.name, 'leaving');
  t.is(state.pred?.addr, 'p2');
});

test('failed sends to a neighbour count one missed round at most, so only missLimit rounds declare it gone', (t) => {
  const start: Input = { kind: 'init', succs: [peer(8), peer(9), peer(14)], pred: peer(4) };
  const failure: Input = { kind: 'send-failed', to: peer(8), msg: { t: 'get-state', rid: 1 } };
  const gone = (effects: readonly Effect[]) => effects.some((e) => e.kind === 'log' && e.event.ev === 'peer-gone' && e.event.peer.addr === 'p8');
  const burst = drive(peer(5), [start, ...Array<Input>(cfg.missLimit * 2).fill(failure)]);
  t.false(gone(burst.effects));
  t.is(burst.state.succs[0].addr, 'p8');
  const rounds: Timed[] = [start];
  for (let i = 0; i < cfg.missLimit; i++) rounds.push(failure, fire('ping'));
  t.true(gone(drive(peer(5), rounds).effects));
});

test('a fresh state has one unknown finger per identifier bit', (t) => {
  t.deepEqual(initState(cfg, peer(5)).fingers, { slots: Array<null>(BITS).fill(null), distinct: [] });
});

test('a stopped peer ignores everything', (t) => {
  const { state } = drive(peer(5), lingered(peer(5), [{ kind: 'create' }, { kind: 'command', cmd: { op: 'leave', rid: 1 } }]));
  t.is(state.phase.name, 'stopped');
  const r = step(state, { kind: 'command', cmd: { op: 'get', rid: 2, key: { ...pointOfBigInt(7n, BITS), name: '7' } } }, 0);
  t.is(r.state, state);
  t.deepEqual(r.effects, []);
});

test('client requests to a peer that is no member, or for a key of another width, are refused with the reason', (t) => {
  const key = { ...pointOfBigInt(7n, BITS), name: '7' };
  t.deepEqual(replies(drive(peer(5), [{ kind: 'command', cmd: { op: 'get', rid: 3, key } }]).effects), [
    { rid: 3, reply: { ok: false, op: 'get', error: 'not-member', hops: 0 } },
  ]);
  const wide = { ...pointOfBigInt(7n, 16), name: '7' };
  t.deepEqual(replies(drive(peer(5), [{ kind: 'create' }, { kind: 'command', cmd: { op: 'put', rid: 4, key: wide, value: enc('v') } }]).effects), [
    { rid: 4, reply: { ok: false, op: 'put', error: 'other-id-space', hops: 0 } },
  ]);
});

test('a message from a peer of another identifier width is logged and dropped', (t) => {
  const stranger = { ...pointOfBigInt(4n, 16), addr: 'far' };
  const { state, effects } = drive(peer(5), [{ kind: 'create' }, deliver(stranger, { t: 'rectify', ready: true, link: false })]);
  t.is(state.pred?.addr, 'p5');
  t.deepEqual(effects.flatMap((e) => (e.kind === 'log' && e.event.ev === 'bad-input' ? [e.event.reason] : [])), ['message from another identifier space (far)']);
});

test('a neighbour that answers pings as no member is declared gone like a silent one', (t) => {
  const inputs: Timed[] = [{ kind: 'init', succs: [peer(8), peer(9)], pred: peer(4) }];
  for (let i = 0; i <= cfg.missLimit; i++) {
    inputs.push(fire('ping'), deliver(peer(8), { t: 'pong', nonce: 0, member: false }));
    inputs.push(deliver(peer(9), { t: 'pong', nonce: 0, member: true }), deliver(peer(4), { t: 'pong', nonce: 0, member: true }));
  }
  t.deepEqual(drive(peer(5), inputs).state.succs.map((p) => p.addr), ['p9']);
});

test('a peer that has not joined answers a lookup with nothing; a leaving one still routes', (t) => {
  const find: Msg = { t: 'find', rid: 6, target: pointOfBigInt(100n, BITS) };
  t.deepEqual(sends(drive(peer(5), [{ kind: 'join', via: 'p4' }, deliver(peer(2), find)]).effects, 'found').map((s) => s.msg), [{ t: 'found', rid: 6, done: false, peers: [] }]);
  const leaving = drive(peer(5), [{ kind: 'init', succs: [peer(8), peer(9), peer(14)], pred: peer(4) }, { kind: 'command', cmd: { op: 'leave', rid: 1 } }, deliver(peer(2), find)]);
  t.deepEqual(sends(leaving.effects, 'found').map((s) => s.msg.peers.map((p) => p.addr)), [['p14', 'p9', 'p8']]);
});

test('a failed stabilize query ends that query, so the next round asks again', (t) => {
  const start: Timed[] = [{ kind: 'init', succs: [peer(8)], pred: peer(4) }, fire('stabilize')];
  const { state } = drive(peer(5), start);
  const rid = state.stabilizing?.rid ?? 0;
  t.not(rid, 0);
  t.is(drive(peer(5), [...start, { kind: 'send-failed', to: peer(8), msg: { t: 'get-state', rid } }]).state.stabilizing, null);
  t.is(drive(peer(5), [...start, { kind: 'send-failed', to: peer(8), msg: { t: 'get-state', rid: rid + 1 } }]).state.stabilizing?.rid, rid);
});

test('a hand-over the heir cannot receive goes to the next successor at once', (t) => {
  const start: Timed[] = [{ kind: 'init', succs: [peer(8), peer(9), peer(14)], pred: peer(4) }, { kind: 'command', cmd: { op: 'leave', rid: 1 } }];
  const [first] = sends(drive(peer(5), start).effects, 'leave');
  const { effects } = drive(peer(5), [...start, { kind: 'send-failed', to: peer(8), msg: first.msg }]);
  t.deepEqual(sends(effects, 'leave').map((s) => s.to.addr), ['p8', 'p9']);
});

test('a ring created by a peer holding records kept from before answers for nothing until it claims its range', (t) => {
  const key = { ...pointOfBigInt(77n, BITS), name: '77' };
  const kept = Records.empty.merge([{ key, value: enc('old'), version: 3, writer: peer(5).id }], () => true).records;
  let state = step(initState(cfg, peer(5), kept), { kind: 'create' }, 0).state;
  t.false(isReady(state, 0));
  const early = step(state, { kind: 'command', cmd: { op: 'get', rid: 1, key } }, 0);
  t.deepEqual(replies(early.effects), [], 'a get is not answered from records nobody vouched for');
  // Its own predecessor for a settle time, it claims the ring and serves what it kept.
  state = early.state;
  for (let now = 0; !isReady(state, now) && now < 60_000;) {
    now = nextDeadline(state) ?? now + 100;
    state = step(state, { kind: 'tick' }, now).state;
  }
  t.true(state.held !== null && state.held.id === peer(5).id);
  const late = step(state, { kind: 'command', cmd: { op: 'get', rid: 2, key } }, nextDeadline(state) ?? 0);
  t.like(replies(late.effects)[0]?.reply, { ok: true, op: 'get', rec: { version: 3 } });
});
