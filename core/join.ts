/**
 * Start-up: a ring of one (create), a peer placed in a known ring (init), or a join through any
 * member, whose lookup finds the successor and its list; and a peer left with nobody joining
 * again through its bootstrap peer.
 */
import { fingerTable } from './fingers';
import { same } from './id';
import { failClientOps, startOp } from './lookup';
import { JOINING, MEMBER, STOPPED } from './phase';
import { successorList } from './ring';
import { stabilizeNow } from './stabilize';
import type { Tx } from './tx';
import type { Op, Peer, PeerState } from './types';

/**
 * `firstRound`: when the first replication round is due. A peer started in a known ring runs it
 * at once, so that its replicas hear its range (trust.ts) before the first puts; it cannot send
 * in the step that starts it, since the peers of a ring start one by one.
 */
function startTimers(tx: Tx, firstRound: number): void {
  const { cfg } = tx.s;
  tx.due('ping', cfg.pingInterval);
  tx.due('stabilize', cfg.stabilizeInterval);
  tx.due('fix-fingers', cfg.fixFingersInterval);
  tx.due('replicate', firstRound);
}

export function create(tx: Tx): void {
  if (tx.s.phase.name !== 'idle') return tx.log({ ev: 'bad-input', reason: `create while ${tx.s.phase.name}` });
  const self = tx.s.self;
  // A new ring holds all of its range. One started with records kept from a life before (a ring
  // restarted from disk, this peer first) holds only what it kept: the others' records are not
  // here yet, so it answers for nothing until it claims its range as a settled peer does.
  const held = tx.s.records.size === 0 ? self : null;
  tx.set({ phase: MEMBER, held, succs: [self], pred: self, fingers: fingerTable(tx.s.fingers.slots.map(() => self)) });
  tx.log({ ev: 'created' });
  startTimers(tx, tx.s.cfg.replicateInterval);
}

export function init(tx: Tx, succs: readonly Peer[], pred: Peer | null): void {
  if (tx.s.phase.name !== 'idle') return tx.log({ ev: 'bad-input', reason: `init while ${tx.s.phase.name}` });
  const self = tx.s.self;
  const list = successorList(self, succs.length > 0 ? succs : [self], tx.s.cfg.replicas);
  // Without a known predecessor a peer of a larger ring serves nothing until one rectifies it:
  // taking itself as predecessor would claim the whole ring. A new ring holds no records, so
  // it holds all of its range, whatever the first predecessor turns out to be.
  const known = pred ?? (same(list[0], self) ? self : null);
  tx.set({ phase: MEMBER, held: known, inherit: known === null, succs: list, pred: known });
  tx.log({ ev: 'initialized', succ: list[0] });
  startTimers(tx, 0);
}

export function join(tx: Tx, via: string): void {
  if (tx.s.phase.name !== 'idle') return tx.log({ ev: 'bad-input', reason: `join while ${tx.s.phase.name}` });
  tx.set({ phase: JOINING, bootstrap: via });
  startOp(tx, { purpose: 'join', bootstrap: bootstrapPeer(tx.s, via) }, tx.s.self);
}

/** The bootstrap peer is known only by address; the lookup takes any answer from it. */
function bootstrapPeer(s: PeerState, via: string): Peer {
  return { id: s.self.id, k: s.self.k, addr: via };
}

/**
 * The join lookup found our successor and its list. A newcomer stays 'joining' until the
 * successor accepts it with a hand-off (onHandoff): until then nobody knows it, so a successor
 * that leaves meanwhile strands no member; it stabilizes with its successor as a member does.
 */
export function joinFound(tx: Tx, op: Op, list: readonly Peer[]): void {
  const self = tx.s.self;
  const succ = list[0];
  if (same(succ, self)) {
    if (succ.addr !== self.addr) return joinFailed(tx, `duplicate peer ID: ${self.id} is already held by ${succ.addr}`);
    // A member re-joining that finds itself is back in the ring already: nothing left to do.
    if (tx.s.phase.name !== 'joining') return;
    // The ring still lists a former incarnation of this peer: wait until it is declared gone.
    tx.log({ ev: 'bad-input', reason: 'the ring still lists this peer; retrying the join' });
    return retryJoinLater(tx, op);
  }
  const newcomer = tx.s.phase.name === 'joining';
  tx.set({ succs: successorList(self, list, tx.s.cfg.replicas) });
  if (newcomer) startTimers(tx, tx.s.cfg.replicateInterval);
  stabilizeNow(tx);
}

function retryJoinLater(tx: Tx, op: Op): void {
  const ops = new Map(tx.s.ops);
  ops.set(op.rid, { ...op, stage: 'wait', attempts: 1, deadline: tx.now + tx.s.cfg.pingInterval * tx.s.cfg.missLimit });
  tx.set({ ops });
}

export function joinFailed(tx: Tx, reason: string): void {
  tx.log({ ev: 'join-failed', reason });
  // A member re-joining after losing every neighbour keeps going alone; a newcomer gives up.
  if (tx.s.phase.name === 'joining') stop(tx, `join failed: ${reason}`);
}

export function rejoin(tx: Tx, via: string): void {
  for (const op of tx.s.ops.values()) if (op.purpose === 'join') return;
  startOp(tx, { purpose: 'join', bootstrap: bootstrapPeer(tx.s, via) }, tx.s.self);
}

export function stop(tx: Tx, reason: string): void {
  failClientOps(tx, 'stopped');
  tx.set({ phase: STOPPED });
  tx.effects.push({ kind: 'stopped', reason });
}
