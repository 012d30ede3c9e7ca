/**
 * Scenario operations, executed on the world at their times. Shrinking produces scenarios whose
 * operations name peers in the wrong state (a kill of a dead peer, a join via a departed one, a
 * second put to a key whose first is unanswered, ...): such an operation is skipped and traced,
 * never thrown, so every scenario fast-check can produce is a valid run.
 */
import { cmp, inOpen, isCanonicalHex, pointOfHex } from '../core/id';
import type { Msg, Rec } from '../core/types';
import { keyOf } from '../edge/key-id';
import { peerOfAddr, type SimPeer } from './peer';
import type { Scenario, ScenarioOp } from './scenario';
import type { World } from './world';

const UTF8 = new TextEncoder();

/**
 * Queues the initial ring and then the operations; operations due at the same time run in
 * scenario order, which the queue's insertion-order tie-break guarantees. The initial peers
 * start as the seed's `init` starts them, each told its successors and predecessor, so a ring
 * of any size exists at once; rings grown by joins are what the `join` operations exercise.
 */
export function scheduleScenario(world: World, s: Scenario): void {
  world.at(0, () => initRing(world, s.initial));
  // A time that is not a positive number runs at the start rather than before it.
  for (const op of s.ops) world.at(op.at > 0 ? op.at : 0, () => perform(world, op));
}

function initRing(world: World, initial: readonly string[]): void {
  const ids = [...new Set(initial)].filter((id) => isCanonicalHex(id, world.cfg.bits)).sort();
  for (const id of initial) if (!isCanonicalHex(id, world.cfg.bits)) skip(world, id, 'init', 'not an identifier of this ring');
  const n = ids.length;
  const r = world.cfg.replicas;
  ids.forEach((id, i) => {
    const succs = Array.from({ length: Math.min(r, n) }, (_, j) => peerOfAddr(ids[(i + 1 + j) % n]));
    world.trace.op(world.now, id, 'init', `succs=${succs.map((p) => p.id).join(',')}`);
    world.boot(id, { kind: 'init', succs, pred: peerOfAddr(ids[(i - 1 + n) % n]) });
  });
}

function perform(world: World, op: ScenarioOp): void {
  switch (op.op) {
    case 'join':
      return join(world, op.id, op.via, 'join');
    case 'restart':
      return join(world, op.id, op.via, 'restart');
    case 'leave':
      return leave(world, op.id);
    case 'kill':
      return kill(world, op.id);
    case 'put':
    case 'get':
      return request(world, op);
    case 'partition':
      return partition(world, op.group, op.until);
    case 'forge':
      return forge(world, op);
  }
}

function skip(world: World, peer: string, what: string, reason: string): void {
  world.trace.skip(world.now, peer, what, reason);
}

function livePeer(world: World, id: string): SimPeer | undefined {
  const p = world.peerAt(id);
  return p !== undefined && p.alive ? p : undefined;
}

/** A join of a new machine, or a restart of a dead one. */
function join(world: World, id: string, via: string, what: 'join' | 'restart'): void {
  const existing = world.peerAt(id);
  if (!isCanonicalHex(id, world.cfg.bits)) return skip(world, id, what, 'not an identifier of this ring');
  if (existing?.alive) return skip(world, id, what, 'already alive');
  if (what === 'restart' && existing === undefined) return skip(world, id, what, 'never started');
  if (via === id || livePeer(world, via) === undefined) return skip(world, id, what, `via ${via} is not another live peer`);
  world.faults.joined(world.now);
  world.trace.op(world.now, id, what, `via=${via}`);
  world.boot(id, { kind: 'join', via });
}

function leave(world: World, id: string): void {
  const peer = livePeer(world, id);
  if (peer === undefined) return skip(world, id, 'leave', 'not alive');
  if (peer.state.phase.name === 'leaving') return skip(world, id, 'leave', 'already leaving');
  world.faults.depart('leave', id, world.now);
  world.command(peer, { op: 'leave', rid: world.workload.leave(id) });
}

function kill(world: World, id: string): void {
  const peer = livePeer(world, id);
  if (peer === undefined) return skip(world, id, 'kill', 'not alive');
  world.faults.depart('kill', id, world.now);
  world.trace.op(world.now, peer.name, 'kill', '');
  world.watchDetection(peer);
  world.halt(peer);
}

function request(world: World, op: Extract<ScenarioOp, { op: 'put' | 'get' }>): void {
  const peer = livePeer(world, op.via);
  if (peer === undefined) return skip(world, op.via, op.op, 'not alive');
  if (op.op === 'get') {
    const { rid, key } = world.workload.get(op.via, op.key, world.now);
    return world.command(peer, { op: 'get', rid, key });
  }
  const value = UTF8.encode(op.value);
  const issued = world.workload.put(op.via, op.key, value, world.now);
  if (typeof issued === 'string') return skip(world, op.via, 'put', issued);
  world.command(peer, { op: 'put', rid: issued.rid, key: issued.key, value });
}

function partition(world: World, group: readonly string[], until: number): void {
  if (group.length === 0 || !(until > world.now)) return skip(world, '-', 'partition', 'empty group or already over');
  world.trace.op(world.now, '-', 'partition', `group=${group.join(',')} until=${until}`);
  world.faults.cut(world.now, until, group);
  world.workload.splitBrain = world.faults.partitioned;
  world.cut(group, until);
}

/** The version a forged record claims: above any a workload reaches, so it would win every merge. */
const FORGED_VERSION = 2 ** 40;

/**
 * A stranger's made-up record, sent to `to`. It must be a stranger indeed: no peer of the run
 * has its identifier, and live peers stand between it and `to` on both sides, so that it is
 * neither `to`'s true predecessor or successor nor between them (where a joiner would be
 * welcome).
 */
function forge(world: World, op: Extract<ScenarioOp, { op: 'forge' }>): void {
  const target = livePeer(world, op.to);
  if (target === undefined) return skip(world, op.to, 'forge', 'not alive');
  if (!isCanonicalHex(op.from, world.cfg.bits)) return skip(world, op.to, 'forge', 'the stranger is not an identifier of this ring');
  if (world.peerAt(op.from) !== undefined) return skip(world, op.to, 'forge', `${op.from} is a peer of the run, not a stranger`);
  const live = world.peers.filter((p) => p.alive && p !== target).map((p) => p.self).sort(cmp);
  const stranger = peerOfAddr(op.from);
  const succ = live.find((p) => cmp(p, target.self) > 0) ?? live[0];
  const pred = [...live].reverse().find((p) => cmp(p, target.self) < 0) ?? live[live.length - 1];
  if (succ === undefined || inOpen(stranger, pred, target.self) || inOpen(stranger, target.self, succ)) {
    return skip(world, op.to, 'forge', `${op.from} is next to it on the ring: a joiner, not a stranger`);
  }
  const rec: Rec = { key: keyOf(op.key, world.cfg.bits), value: UTF8.encode(op.value), version: FORGED_VERSION, writer: op.from };
  world.forge(target, stranger, forgedMessage(op.what, rec, op.from));
  // Taken here or nowhere: a record reaches other peers only from one that holds it.
  if (target.state.records.get(rec.key)?.version === FORGED_VERSION) {
    world.checks.add({ invariant: 'Trust', kind: 'forged-record-taken', detail: `peer ${op.to} took "${op.key}" in a ${op.what} from stranger ${op.from}` }, world.now, true);
  }
}

function forgedMessage(what: Extract<ScenarioOp, { op: 'forge' }>['what'], rec: Rec, from: string): Msg {
  switch (what) {
    case 'store-copy': return { t: 'replicate', rid: 1, records: [rec] };
    case 'copy': return { t: 'replicate', rid: 0, records: [rec] };
    case 'handoff': return { t: 'handoff', records: [rec], from: pointOfHex(from), more: false };
    case 'leave': return { t: 'leave', rid: 1, pred: null, records: [rec], from: pointOfHex(from), more: false };
  }
}
