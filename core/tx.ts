/**
 * One step's working state. `step` never mutates its input, and neither does a Tx: every change
 * makes a new shallow copy with the patch applied (structural sharing: lists and maps left
 * untouched are the very same objects as in the input). So `tx.s` is always a value, never a
 * view: a `const s = tx.s` keeps meaning the state as it was when it was read, whether or not
 * the step had changed anything before (the price of never having to ask which one `s` is).
 * Effects accumulate in order; internal events wait for `step` to route them.
 */
import type { LookupUsers } from './lookup';
import type { Channel, Effect, LogEvent, Msg, Peer, PeerGone, PeerState, Periodic, Reply } from './types';

export class Tx {
  s: PeerState;
  readonly effects: Effect[] = [];
  /** Peers found gone during this step, in order, not yet reacted to (null: none; most steps). */
  gone: PeerGone[] | null = null;
  /** Peers a lookup asked during this step that did not answer in time, or could not be sent to. */
  silent: Peer[] | null = null;

  constructor(
    readonly base: PeerState,
    readonly now: number,
    /** Where lookup outcomes go (see lookup.ts). */
    readonly users: LookupUsers,
  ) {
    this.s = base;
  }

  set(patch: Partial<PeerState>): void {
    const next = copyState(this.s) as Record<keyof PeerState, unknown>;
    for (const key in patch) next[key as keyof PeerState] = patch[key as keyof PeerState];
    this.s = next as unknown as PeerState;
  }

  send(to: Peer, msg: Msg, channel: Channel = 'stream'): void {
    this.effects.push({ kind: 'send', to, msg, channel });
  }

  /** The periodic round `name` is next due `delay` from now. */
  due(name: Periodic, delay: number): void {
    this.set({ due: { ...this.s.due, [name]: this.now + delay } });
  }

  reply(rid: number, reply: Reply): void {
    this.effects.push({ kind: 'reply', rid, reply });
  }

  log(event: LogEvent): void {
    this.effects.push({ kind: 'log', event });
  }

  peerGone(event: PeerGone): void {
    (this.gone ??= []).push(event);
  }

  peerSilent(peer: Peer): void {
    (this.silent ??= []).push(peer);
  }

  rid(): number {
    const rid = this.s.nextRid;
    this.set({ nextRid: rid + 1 });
    return rid;
  }
}

/**
 * A field-by-field copy. A spread of the state with a patch of ever-changing shape is a generic,
 * slow object copy (about 500 ns, a tenth of the simulator's time); a literal of one fixed shape
 * is a tenth of that. The return type names every field, so the compiler refuses a copy that
 * misses one.
 */
function copyState(s: PeerState): { -readonly [K in keyof PeerState]: PeerState[K] } {
  return {
    cfg: s.cfg,
    self: s.self,
    phase: s.phase,
    held: s.held,
    ranges: s.ranges,
    wanted: s.wanted,
    vouched: s.vouched,
    inherit: s.inherit,
    predSince: s.predSince,
    succs: s.succs,
    pred: s.pred,
    fingers: s.fingers,
    fingerNext: s.fingerNext,
    records: s.records,
    watch: s.watch,
    lost: s.lost,
    ops: s.ops,
    stores: s.stores,
    stabilizing: s.stabilizing,
    bootstrap: s.bootstrap,
    sweptAfter: s.sweptAfter,
    nextRid: s.nextRid,
    due: s.due,
  };
}
