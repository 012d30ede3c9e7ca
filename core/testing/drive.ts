/**
 * Helpers for the core's unit tests: drive one peer through inputs and pick effects apart.
 * Kept out of the mutation run (stryker.config.json): it is test code.
 */
import { defaultConfig } from '../config';
import { pointOfBigInt } from '../id';
import { initState, step } from '../step';
import type { Config, Effect, Input, Key, LogEvent, Msg, Peer, PeerState, Rec, Reply } from '../types';

export const BITS = 8;
export const cfg = defaultConfig(BITS, 3);
export const peer = (n: number): Peer => ({ ...pointOfBigInt(BigInt(n), BITS), addr: `p${n}` });
export const key = (n: number): Key => ({ ...pointOfBigInt(BigInt(n), BITS), name: String(n) });
export const enc = (s: string) => new TextEncoder().encode(s);
export const rec = (n: number, version = 1): Rec => ({ key: key(n), value: enc(`v${n}`), version, writer: peer(n).id });
export const addrs = (ps: readonly (Peer | null)[]) => ps.map((p) => p?.addr ?? null);

/** An input, or an input at a given time (ms); plain inputs happen at the time of the one before. */
export type Timed = Input | readonly [number, Input];

/** Runs inputs in order from a fresh state; returns the last state and every effect. */
export function drive(self: Peer, inputs: readonly Timed[], config: Config = cfg): { state: PeerState; effects: Effect[] } {
  let state = initState(config, self);
  let now = 0;
  const effects: Effect[] = [];
  for (const timed of inputs) {
    let input: Input;
    if ('kind' in timed) input = timed;
    else [now, input] = timed;
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

export function timers(effects: readonly Effect[], name: Extract<Effect, { kind: 'timer' }>['name']): Extract<Effect, { kind: 'timer' }>[] {
  return effects.flatMap((e) => (e.kind === 'timer' && e.name === name ? [e] : []));
}

/**
 * The inputs that make `self` a member through the peer at p4, whose lookup found `succs`: its
 * successor accepts it with a hand-off that vouches for nothing, so it holds no range yet.
 */
export function joined(self: Peer, succs: readonly Peer[]): Input[] {
  const join: Input = { kind: 'join', via: 'p4' };
  const [find] = sends(drive(self, [join]).effects, 'find');
  return [join, deliver(peer(4), { t: 'found', rid: find.msg.rid, done: true, peers: succs }), deliver(succs[0], { t: 'handoff', records: [], from: null })];
}

/** `inputs`, then the last leave timer they set firing: a leaver that has handed over stops after lingering. */
export function lingered(self: Peer, inputs: readonly Input[], config: Config = cfg): Input[] {
  const [last] = timers(drive(self, inputs, config).effects, 'leave').slice(-1);
  return last === undefined ? [...inputs] : [...inputs, { kind: 'timer', name: 'leave', arg: last.arg }];
}

/** Like drive, but returns only the effects of `then`, the inputs after `before`. */
export function driveThen(self: Peer, before: readonly Timed[], then: readonly Timed[], config: Config = cfg): { state: PeerState; effects: Effect[] } {
  const skip = drive(self, before, config).effects.length;
  const r = drive(self, [...before, ...then], config);
  return { state: r.state, effects: r.effects.slice(skip) };
}

/**
 * Drives `start`, then feeds back whatever `answer` makes of each effect (replies to sends,
 * timers that fire), in order, until nothing is left or `limit` inputs have run.
 */
export function pump(self: Peer, start: readonly Input[], answer: (e: Effect) => readonly Input[], config: Config = cfg, limit = 500): { state: PeerState; effects: Effect[] } {
  let state = initState(config, self);
  const effects: Effect[] = [];
  const queue = [...start];
  for (let n = 0; n < limit && queue.length > 0; n++) {
    const r = step(state, queue.shift() as Input, 0);
    state = r.state;
    effects.push(...r.effects);
    for (const e of r.effects) queue.push(...answer(e));
  }
  return { state, effects };
}
