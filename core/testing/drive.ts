/**
 * Helpers for the core's unit tests: drive one peer through inputs and pick effects apart.
 * Kept out of the mutation run (stryker.config.json): it is test code.
 */
import { defaultConfig } from '../config';
import { pointOfBigInt } from '../id';
import { leaveOf, leavingWith } from '../phase';
import { initState, step } from '../step';
import type { Config, Effect, Input, Key, LogEvent, Msg, Peer, PeerState, Periodic, Rec, Reply } from '../types';

export const BITS = 8;
export const cfg = defaultConfig(BITS, 3);
export const peer = (n: number): Peer => ({ ...pointOfBigInt(BigInt(n), BITS), addr: `p${n}` });
export const key = (n: number): Key => ({ ...pointOfBigInt(BigInt(n), BITS), name: String(n) });
export const enc = (s: string) => new TextEncoder().encode(s);
export const rec = (n: number, version = 1): Rec => ({ key: key(n), value: enc(`v${n}`), version, writer: peer(n).id });
export const addrs = (ps: readonly (Peer | null)[]) => ps.map((p) => p?.addr ?? null);

/**
 * A unit test's way to say "the time for this has come": the deadline of `fire` (a periodic
 * round, a lookup or store by rid, or the leave) is brought forward to now and the peer ticks,
 * as if its wake-up had come. Nothing else is due unless it was overdue: the rules' edge cases
 * are taken one at a time, as a test of a single rule wants them.
 */
export type Fire = Periodic | 'leave' | { readonly op: number } | { readonly store: number };
export const fire = (what: Fire): { readonly fire: Fire } => ({ fire: what });

/** An input, or an input at a given time (ms), or a fire; plain ones happen at the time of the one before. */
export type Timed = Input | readonly [number, Input | { readonly fire: Fire }] | { readonly fire: Fire };

export function dueNow(state: PeerState, what: Fire, now: number): PeerState {
  if (typeof what === 'string') {
    if (what === 'leave') {
      const leave = leaveOf(state);
      if (leave === null) throw new Error('fire(leave): the peer is not leaving');
      return { ...state, phase: leavingWith({ ...leave, deadline: now }) };
    }
    return { ...state, due: { ...state.due, [what]: now } };
  }
  if ('op' in what) {
    const op = state.ops.get(what.op);
    if (op === undefined) throw new Error(`fire(op ${what.op}): no such lookup`);
    return { ...state, ops: new Map(state.ops).set(what.op, { ...op, deadline: now }) };
  }
  const store = state.stores.get(what.store);
  if (store === undefined) throw new Error(`fire(store ${what.store}): no such store`);
  return { ...state, stores: new Map(state.stores).set(what.store, { ...store, deadline: now }) };
}

/** Runs inputs in order from a fresh state; returns the last state and every effect. */
export function drive(self: Peer, inputs: readonly Timed[], config: Config = cfg): { state: PeerState; effects: Effect[] } {
  let state = initState(config, self);
  let now = 0;
  const effects: Effect[] = [];
  for (const timed of inputs) {
    let input: Input | { readonly fire: Fire };
    if (Array.isArray(timed)) [now, input] = timed as readonly [number, Input | { readonly fire: Fire }];
    else input = timed as Input | { readonly fire: Fire };
    if ('fire' in input) {
      state = dueNow(state, input.fire, now);
      input = { kind: 'tick' };
    }
    const r = step(state, input, now);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

export const deliver = (from: Peer, msg: Msg): Input => ({ kind: 'deliver', from, msg, channel: 'stream' });

export function sends<T extends Msg['t']>(effects: readonly Effect[], t: T): { to: Peer; msg: Extract<Msg, { t: T }> }[] {
  return effects.flatMap((e) => (e.kind === 'send' && e.msg.t === t ? [{ to: e.to, msg: e.msg as Extract<Msg, { t: T }> }] : []));
}

export function logs<T extends LogEvent['ev']>(effects: readonly Effect[], ev: T): Extract<LogEvent, { ev: T }>[] {
  return effects.flatMap((e) => (e.kind === 'log' && e.event.ev === ev ? [e.event as Extract<LogEvent, { ev: T }>] : []));
}

export function replies(effects: readonly Effect[]): { rid: number; reply: Reply }[] {
  return effects.flatMap((e) => (e.kind === 'reply' ? [{ rid: e.rid, reply: e.reply }] : []));
}


/**
 * The inputs that make `self` a member through the peer at p4, whose lookup found `succs`: its
 * successor accepts it with a hand-off that vouches for nothing, so it holds no range yet.
 */
export function joined(self: Peer, succs: readonly Peer[]): Input[] {
  const join: Input = { kind: 'join', via: 'p4' };
  const [find] = sends(drive(self, [join]).effects, 'find');
  return [join, deliver(peer(4), { t: 'found', rid: find.msg.rid, done: true, peers: succs }), deliver(succs[0], { t: 'handoff', records: [], from: null, more: false })];
}

/** `inputs`, then the leave's deadline: a leaver that has handed over stops after lingering. */
export function lingered(self: Peer, inputs: readonly Timed[], config: Config = cfg): Timed[] {
  return leaveOf(drive(self, inputs, config).state) === null ? [...inputs] : [...inputs, fire('leave')];
}

/** Like drive, but returns only the effects of `then`, the inputs after `before`. */
export function driveThen(self: Peer, before: readonly Timed[], then: readonly Timed[], config: Config = cfg): { state: PeerState; effects: Effect[] } {
  const skip = drive(self, before, config).effects.length;
  const r = drive(self, [...before, ...then], config);
  return { state: r.state, effects: r.effects.slice(skip) };
}

/**
 * Drives `start`, then feeds back whatever `answer` makes of each effect (replies to sends), in
 * order; when nothing is left, the lookup with the earliest deadline fires (a hop that timed
 * out, a back-off that ended), until no lookup waits or `limit` inputs have run. All at time 0,
 * so that no periodic round interferes.
 */
export function pump(self: Peer, start: readonly Input[], answer: (e: Effect) => readonly Input[], config: Config = cfg, limit = 500): { state: PeerState; effects: Effect[] } {
  let state = initState(config, self);
  const effects: Effect[] = [];
  const queue: Input[] = [...start];
  for (let n = 0; n < limit; n++) {
    if (queue.length === 0) {
      const waiting = [...state.ops.values()].filter((op) => op.deadline < Infinity).sort((a, b) => a.deadline - b.deadline);
      if (waiting.length === 0) break;
      state = dueNow(state, { op: waiting[0].rid }, 0);
      queue.push({ kind: 'tick' });
    }
    const r = step(state, queue.shift() as Input, 0);
    state = r.state;
    effects.push(...r.effects);
    for (const e of r.effects) queue.push(...answer(e));
  }
  return { state, effects };
}
