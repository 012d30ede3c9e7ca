/**
 * A peer's view of its neighbours, shared by the membership rules: which phases keep a
 * successor list up, adopting successors and a predecessor, the watch set that follows them,
 * and the log of their changes.
 */
import { farther, isReady } from './coverage';
import { same } from './id';
import { successorList } from './ring';
import type { Tx } from './tx';
import type { Msg, Peer, PeerState, Watch } from './types';

export function isMember(s: PeerState): boolean {
  return s.phase.name === 'member' || s.phase.name === 'leaving';
}

/**
 * Keeps a successor list up: a member, a leaver, or a joiner that has found its successor (not
 * itself: one left with nobody looks the ring up again) and waits for it to accept it (its
 * hand-off), stabilizing meanwhile.
 */
export function linked(s: PeerState): boolean {
  return isMember(s) || (s.phase.name === 'joining' && s.succs.length > 0 && !same(s.succs[0], s.self));
}

/** Stabilizes: linked, and not leaving (a leaver has told its neighbours to route around it: a rectify would undo that). */
export function stabilizes(s: PeerState): boolean {
  return s.phase.name !== 'leaving' && linked(s);
}

/** The predecessor, unless there is none or it is this peer itself (a ring of one). */
export function otherPred(s: PeerState): Peer | null {
  return s.pred && !same(s.pred, s.self) ? s.pred : null;
}

function samePeer(a: Peer | null, b: Peer | null): boolean {
  return a === b || (a !== null && b !== null && same(a, b));
}

/** Our rectify: `ready` says whether we hold all of our range (false asks for the hand-off). */
export function rectify(tx: Tx, link: boolean): Msg {
  const s = tx.s;
  return { t: 'rectify', ready: isReady(s, tx.now), link };
}

/**
 * Rebuilds the successor list from `candidates`, passing over peers this one declared gone:
 * others may still list them for a while (a stale predecessor, a stale list), and taking them
 * back would only lose another detection period. A re-probe answer takes one back (onPong).
 */
export function adoptSuccessors(tx: Tx, candidates: readonly Peer[]): void {
  const s = tx.s;
  const live = s.lost.length === 0 ? candidates : candidates.filter((p) => !s.lost.some((l) => same(l.peer, p)));
  const list = successorList(s.self, live, s.cfg.replicas);
  if (list.length > 0) tx.set({ succs: list });
}

/**
 * Takes `p` as predecessor. After the last one was declared gone, this peer takes its range over
 * as its replica: the new one is trusted to start it, announced or not (a primary that dies
 * before its first replication round has announced nothing; r = 1 has no replicas at all). Any
 * other predecessor widens nothing by itself (see coverage.ts).
 */
export function adoptPredecessor(tx: Tx, p: Peer): void {
  const s = tx.s;
  tx.set({ pred: p, held: s.inherit ? farther(s.self, s.held, p) : s.held, inherit: false });
}

/** Keeps the watch set equal to successors and predecessor, preserving counts of those kept. */
export function refreshWatch(tx: Tx): void {
  const s = tx.s;
  const pred = otherPred(s);
  const wanted: Peer[] = pred ? [...s.succs, pred] : [...s.succs];
  const watch = new Map<string, Watch>();
  for (const p of wanted) {
    if (same(p, s.self) || watch.has(p.id)) continue;
    watch.set(p.id, s.watch.get(p.id) ?? { peer: p, misses: 0, awaiting: false, failed: false });
  }
  tx.set({ watch });
}

/** Log successor and predecessor changes made during this step, and re-aim the pings. */
export function noteNeighbours(tx: Tx): void {
  const before = tx.base;
  const after = tx.s;
  if (before.succs === after.succs && before.pred === after.pred) return;
  const was = before.succs[0] ?? null;
  const now = after.succs[0] ?? null;
  if (!samePeer(was, now)) tx.log({ ev: 'successor', succ: now, was });
  if (!samePeer(before.pred, after.pred)) {
    tx.log({ ev: 'predecessor', pred: after.pred, was: before.pred });
    tx.set({ predSince: tx.now });
  }
  if (linked(after)) refreshWatch(tx);
}
