/**
 * Oracles the world applies as a run goes, beyond Zave's invariants over a snapshot: each looks
 * at one step, or one moment, and says whether the protocol kept a promise it makes there.
 *
 * - Predecessor: a predecessor pointer moves only closer, unless the old one was declared gone or
 *   left (Zave's rectify adopts only a closer predecessor; anything else is a stale claim won).
 * - HandOff: a peer that becomes ready, whether through a hand-off, a range announced or taken
 *   over, holds every record acknowledged in its range (it answers for all of it from then on).
 * - Detection: every peer that listed a killed peer has dropped it within one repair window (a
 *   slower failure detector is a bug even when nothing else breaks).
 */
import { decimalOf, inOpen, inOpenClosed, same, type Point } from '../core/id';
import type { Effect, Peer, PeerState } from '../core/types';
import { participants, type Acked, type Finding, type PeerView } from './invariants';

const dec = decimalOf;

/** What a peer's step did to its predecessor, when that is a move away from its own position. */
export function predecessorMove(before: PeerState, after: PeerState, effects: readonly Effect[]): Finding | null {
  const was = before.pred;
  const now = after.pred;
  if (was === now || was === null || now === null || same(was, now) || same(was, before.self)) return null;
  if (!same(now, after.self) && inOpen(now, was, after.self)) return null;
  for (const e of effects) if (e.kind === 'log' && e.event.ev === 'peer-gone' && same(e.event.peer, was)) return null;
  return { invariant: 'Predecessor', kind: 'moved-away', detail: `peer ${dec(after.self)}: predecessor ${dec(was)} -> ${dec(now)}, farther away, although ${dec(was)} was neither declared gone nor left` };
}

/**
 * The acknowledged records that a peer just made ready lacks in its range: from the live ring
 * member before it (the predecessor it serves after) to itself.
 */
export function handOffGaps(peer: PeerState, peers: readonly PeerView[], acked: ReadonlyMap<string, Acked>): Finding[] {
  const ring = participants(peers).map((v) => v.state.self);
  const at = ring.findIndex((p) => same(p, peer.self));
  if (at < 0 || ring.length < 2) return [];
  const from = ring[(at - 1 + ring.length) % ring.length];
  const out: Finding[] = [];
  for (const [name, a] of acked) {
    if (!inOpenClosed(a.key, from, peer.self)) continue;
    const held = peer.records.get(a.key);
    if (held !== undefined && held.version >= a.version) continue;
    const has = held === undefined ? 'does not hold it' : `holds version ${held.version}`;
    out.push({ invariant: 'HandOff', kind: 'incomplete', detail: `peer ${dec(peer.self)} became ready for (${dec(from)}, ${dec(peer.self)}] but ${has}: record "${name}" (key ${dec(a.key)}) was acknowledged at version ${a.version}` });
    if (out.length >= 3) break;
  }
  return out;
}

/** A peer that lists `gone` among its successors or as predecessor. */
export function lists(s: PeerState, gone: Point): boolean {
  return (s.pred !== null && same(s.pred, gone)) || s.succs.some((p) => same(p, gone));
}

/** Why `watcher` still lists the killed peer, or null if it has let go. */
export function undetected(watcher: PeerState, killed: Peer, afterMs: number): Finding | null {
  if (!lists(watcher, killed)) return null;
  const where = watcher.pred !== null && same(watcher.pred, killed) ? 'as predecessor' : 'among its successors';
  return { invariant: 'Detection', kind: 'slow', detail: `peer ${dec(watcher.self)} still lists peer ${dec(killed)} ${where} ${Math.round(afterMs)} ms after it was killed` };
}
