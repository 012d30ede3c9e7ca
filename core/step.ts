/**
 * The peer as a reducer: step(state, input, now) -> { state, effects }. Pure: no I/O, no clock
 * but `now`, no randomness, and the input state is never mutated (see Tx).
 */
import { refusal } from './admission';
import { onTick } from './deadlines';
import { fingersWithout, fingerTable } from './fingers';
import { countFailedSend, heardFrom, onPing, onPong } from './failure';
import { same } from './id';
import { create, init, join, rejoin } from './join';
import { leave, onLeave, onLeaveAck, onLeaveNotice, onLeaveNoticeFailed, onLeaveStalled } from './leave';
import { onFetched, onFound, onPeerGone, onSendFailed, onStored, startOp } from './lookup';
import { noteNeighbours } from './neighbours';
import { IDLE } from './phase';
import { claimRange, onCloser, onGetState, onRectify, onState, onStateFailed, stabilizeNow } from './stabilize';
import * as st from './storage';
import { lookupUsers } from './purposes';
import { Records } from './records';
import { Tx } from './tx';
import type { Channel, Config, Input, Msg, Peer, PeerState, StepResult } from './types';
import { closestPreceding, successorAnswers } from './ring';

/** A peer before its start input; `records` are what it kept on disk from a life before (none by default). */
export function initState(cfg: Config, self: Peer, records: Records = Records.empty): PeerState {
  return {
    cfg,
    self,
    phase: IDLE,
    held: null,
    ranges: new Map(),
    wanted: new Map(),
    vouched: null,
    predSince: 0,
    inherit: false,
    succs: [],
    pred: null,
    fingers: fingerTable(new Array<Peer | null>(cfg.bits).fill(null)),
    fingerNext: 0,
    records,
    watch: new Map(),
    lost: [],
    ops: new Map(),
    stores: new Map(),
    stabilizing: null,
    sweptAfter: null,
    bootstrap: null,
    nextRid: 1,
    due: { ping: null, stabilize: null, 'fix-fingers': null, replicate: null },
  };
}

export function step(state: PeerState, input: Input, now: number): StepResult {
  if (state.phase.name === 'stopped') return { state, effects: [] };
  const tx = new Tx(state, now, lookupUsers);
  switch (input.kind) {
    case 'create':
      create(tx);
      break;
    case 'init':
      init(tx, input.succs, input.pred);
      break;
    case 'join':
      join(tx, input.via);
      break;
    case 'deliver':
      deliver(tx, input.from, input.msg, input.channel);
      break;
    case 'tick':
      onTick(tx);
      break;
    case 'command':
      command(tx, input.cmd);
      break;
    case 'send-failed':
      sendFailed(tx, input.to, input.msg);
      break;
  }
  reactToGone(tx);
  reactToSilent(tx);
  noteNeighbours(tx);
  st.announceToNewReplicas(tx);
  claimRange(tx);
  return { state: tx.s, effects: tx.effects };
}

function command(tx: Tx, cmd: Extract<Input, { kind: 'command' }>['cmd']): void {
  const s = tx.s;
  if (cmd.op === 'leave') return leave(tx, cmd.rid);
  if (s.phase.name !== 'member') return tx.reply(cmd.rid, { ok: false, op: cmd.op, error: 'not-member', hops: 0 });
  if (cmd.key.id.length !== s.self.id.length) return tx.reply(cmd.rid, { ok: false, op: cmd.op, error: 'other-id-space', hops: 0 });
  if (cmd.op === 'put') startOp(tx, { purpose: 'put', clientRid: cmd.rid, key: cmd.key, value: cmd.value }, cmd.key);
  else startOp(tx, { purpose: 'get', clientRid: cmd.rid, key: cmd.key }, cmd.key);
}

function deliver(tx: Tx, from: Peer, msg: Msg, channel: Channel): void {
  if (from.id.length !== tx.s.self.id.length) return tx.log({ ev: 'bad-input', reason: `message from another identifier space (${from.addr})` });
  const refused = refusal(msg);
  if (refused !== null) return tx.log({ ev: 'bad-input', reason: `${msg.t} from ${from.addr} refused: ${refused}` });
  // A pong from a peer that says it is no member (restarted, or leaving) is no sign of life.
  if (msg.t !== 'pong' || msg.member) heardFrom(tx, from);
  switch (msg.t) {
    case 'ping': return onPing(tx, from, msg, channel);
    case 'pong': return onPong(tx, from, msg);
    case 'find': return onFind(tx, from, msg);
    case 'found': return onFound(tx, from, msg);
    case 'get-state': return onGetState(tx, from, msg);
    case 'state': return onState(tx, from, msg);
    case 'rectify': return onRectify(tx, from, msg);
    case 'handoff': return st.onHandoff(tx, from, msg);
    case 'store': return st.onStore(tx, from, msg);
    case 'stored': return onStored(tx, from, msg);
    case 'fetch': return st.onFetch(tx, from, msg);
    case 'fetched': return onFetched(tx, from, msg);
    case 'replicate': return st.onReplicate(tx, from, msg);
    case 'replicated': return st.onReplicaDone(tx, msg.rid, from.id);
    case 'digest': return st.onDigest(tx, from, msg);
    case 'want': return st.onWant(tx, from, msg);
    case 'leave': return onLeave(tx, from, msg);
    case 'leave-notice': return onLeaveNotice(tx, from, msg);
    case 'leave-ack': return onLeaveAck(tx, from, msg);
    case 'closer': return onCloser(tx, from, msg);
  }
}

/** One step of someone else's lookup: the answer if our successor holds it, else closer peers. */
function onFind(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'find' }>): void {
  const s = tx.s;
  if (s.phase.name !== 'member' && s.phase.name !== 'leaving') return tx.send(from, { t: 'found', rid: msg.rid, done: false, peers: [] });
  if (successorAnswers(s, msg.target)) return tx.send(from, { t: 'found', rid: msg.rid, done: true, peers: s.succs });
  tx.send(from, { t: 'found', rid: msg.rid, done: false, peers: closestPreceding(s, msg.target, 3) });
}

/**
 * A stream send failed (connection refused or reset): it counts as a missed ping (failure.ts),
 * lookups move on at once, and whatever waited on an answer stops waiting. A lost hand-off needs
 * nothing: the new predecessor's next rectify says it is not ready, which sends it again.
 */
function sendFailed(tx: Tx, to: Peer, msg: Msg): void {
  const once = countFailedSend(tx, to);
  switch (msg.t) {
    case 'find':
    case 'store':
    case 'fetch':
      return onSendFailed(tx, to, msg.rid);
    case 'get-state':
      if (tx.s.stabilizing?.rid !== msg.rid) return;
      tx.set({ stabilizing: null });
      return onStateFailed(tx, to);
    case 'replicate':
      // Copies that need no answer are sent again like digests and wants.
      if (msg.rid !== 0) st.onReplicaFailed(tx, msg.rid);
      else if (once) tx.send(to, msg);
      return;
    case 'digest':
    case 'want':
      // Replication between neighbours must not wait a whole round for a connection that failed
      // once (a write on one side of a healed partition has its copies there only until it runs):
      // sent again at once, once a ping round, so a dead peer gets no stream of them.
      if (once) tx.send(to, msg);
      return;
    case 'leave':
      return onLeaveStalled(tx, to);
    case 'leave-notice':
      return onLeaveNoticeFailed(tx, msg.rid);
    default:
      return;
  }
}

/**
 * Routing's reaction to peers a lookup found silent (after the reactions to the gone, whose
 * lookups moving on report their peers too): they are fingers no more; finger repair finds who
 * is there.
 */
function reactToSilent(tx: Tx): void {
  if (tx.silent === null) return;
  for (const p of tx.silent) {
    const fingers = fingersWithout(tx.s.fingers, p);
    if (fingers !== tx.s.fingers) tx.set({ fingers });
  }
  tx.silent = null;
}

/**
 * The rules' reactions to the peers found gone in this step, once the rule that found them is
 * done: lookups waiting on one move on, stores waiting on its copy count it failed; after a
 * declared death a peer left knowing nobody (a joiner whose only successor went away) finds the
 * ring again, and otherwise a list that lost an entry refills from its new head at once.
 */
function reactToGone(tx: Tx): void {
  if (tx.gone === null) return;
  for (const gone of tx.gone) {
    onPeerGone(tx, gone.peer);
    st.onPeerGoneFromStores(tx, gone.peer.id);
    if (gone.how === 'left') continue;
    const s = tx.s;
    if (same(s.succs[0], s.self) && s.pred === null && s.bootstrap !== null) rejoin(tx, s.bootstrap);
    else if (gone.refill) stabilizeNow(tx);
  }
  tx.gone = null;
}
