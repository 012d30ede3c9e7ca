/**
 * Time in the core: every pending thing keeps its deadline in the state (quinn's TimerTable,
 * TigerBeetle's tick) and a driver keeps one wake-up per peer, at `nextDeadline`. A `tick` input
 * runs whatever is due by then. Nothing is cancelled and nothing fires stale: a lookup answered,
 * a store acknowledged or a leave moved on simply carries a new deadline, or none.
 *
 * What can be due: the periodic rounds (ping, stabilize, finger repair, replication), a lookup's
 * current hop or its back-off before the next attempt, a store waiting on its replicas, and a
 * leave's current stage.
 */
import { onPingTimer } from './failure';
import { onFixFingersTimer } from './fingers';
import { onLeaveStalled } from './leave';
import { onHopFailed, onRetry } from './lookup';
import { leaveOf } from './phase';
import { onStabilizeTimer } from './stabilize';
import * as st from './storage';
import type { Tx } from './tx';
import type { PeerState, Periodic } from './types';

export const PERIODIC: readonly Periodic[] = ['ping', 'stabilize', 'fix-fingers', 'replicate'];

export type Due =
  | { readonly kind: Periodic }
  | { readonly kind: 'op'; readonly rid: number }
  | { readonly kind: 'store'; readonly rid: number }
  | { readonly kind: 'leave' };

/** The earliest deadline in the state (local time), null when nothing is pending. */
export function nextDeadline(s: PeerState): number | null {
  if (s.phase.name === 'stopped' || s.phase.name === 'idle') return null;
  let next = Infinity;
  for (const name of PERIODIC) {
    const at = s.due[name];
    if (at !== null && at < next) next = at;
  }
  for (const op of s.ops.values()) if (op.deadline < next) next = op.deadline;
  for (const store of s.stores.values()) if (store.deadline < next) next = store.deadline;
  const leave = leaveOf(s);
  if (leave !== null && leave.deadline < next) next = leave.deadline;
  return next === Infinity ? null : next;
}

/** What is due at `now`, in the order a tick runs it. */
export function dueAt(s: PeerState, now: number): Due[] {
  const out: Due[] = [];
  for (const name of PERIODIC) {
    const at = s.due[name];
    if (at !== null && at <= now) out.push({ kind: name });
  }
  for (const op of s.ops.values()) if (op.deadline <= now) out.push({ kind: 'op', rid: op.rid });
  for (const store of s.stores.values()) if (store.deadline <= now) out.push({ kind: 'store', rid: store.rid });
  const leave = leaveOf(s);
  if (leave !== null && leave.deadline <= now) out.push({ kind: 'leave' });
  return out;
}

/**
 * Runs everything due. Each item is looked at again before it runs: an earlier one may have
 * ended it (a stabilize that found a lookup's peer gone) or moved its deadline.
 */
export function onTick(tx: Tx): void {
  for (const due of dueAt(tx.s, tx.now)) {
    if (!stillDue(tx.s, due, tx.now)) continue;
    switch (due.kind) {
      case 'ping': onPingTimer(tx); break;
      case 'stabilize': onStabilizeTimer(tx); break;
      case 'fix-fingers': onFixFingersTimer(tx); break;
      case 'replicate': st.onReplicateTimer(tx); break;
      case 'op': {
        const op = tx.s.ops.get(due.rid);
        if (op?.stage === 'wait') onRetry(tx, due.rid);
        else onHopFailed(tx, due.rid);
        break;
      }
      case 'store': st.onReplicaFailed(tx, due.rid); break;
      case 'leave': onLeaveStalled(tx, null); break;
    }
  }
}

function stillDue(s: PeerState, due: Due, now: number): boolean {
  switch (due.kind) {
    case 'op': return (s.ops.get(due.rid)?.deadline ?? Infinity) <= now;
    case 'store': return (s.stores.get(due.rid)?.deadline ?? Infinity) <= now;
    case 'leave': return (leaveOf(s)?.deadline ?? Infinity) <= now;
    default: {
      const at = s.due[due.kind];
      return at !== null && at <= now;
    }
  }
}

/** A due item in a word, for the trace. */
export function describeDue(d: Due): string {
  return d.kind === 'op' || d.kind === 'store' ? `${d.kind}:${d.rid}` : d.kind;
}
