/**
 * One step's working state. `step` never mutates its input, and neither does a Tx: every change
 * makes a new shallow copy with the patch applied (structural sharing: lists and maps left
 * untouched are the very same objects as in the input). So `tx.s` is always a value, never a
 * view: a `const s = tx.s` keeps meaning the state as it was when it was read, whether or not
 * the step had changed anything before (a copy of some twenty fields a change: cheap beside the
 * Maps a change replaces, and the price of never having to ask which one `s` is). Effects
 * accumulate in order.
 */
import type { Channel, Effect, LogEvent, Msg, Peer, PeerState, Periodic, Reply } from './types';

export class Tx {
  s: PeerState;
  readonly effects: Effect[] = [];

  constructor(readonly base: PeerState, readonly now: number) {
    this.s = base;
  }

  set(patch: Partial<PeerState>): void {
    this.s = { ...this.s, ...patch };
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

  rid(): number {
    const rid = this.s.nextRid;
    this.set({ nextRid: rid + 1 });
    return rid;
  }
}
