/**
 * One step's working copy. `step` never mutates its input: the first change makes one shallow
 * copy of the state, and every change replaces fields of that copy (structural sharing: lists
 * and maps left untouched are the very same objects as in the input). Effects accumulate in
 * order. A Tx lives only for the duration of one `step` call, so its copy is private until
 * `step` returns it.
 */
import type { Channel, Effect, LogEvent, Msg, Peer, PeerState, Reply, TimerName } from './types';

export class Tx {
  s: PeerState;
  readonly effects: Effect[] = [];
  /** Whether `s` is this step's own copy, which nobody else has seen yet and so may be written. */
  private owned = false;

  constructor(readonly base: PeerState, readonly now: number) {
    this.s = base;
  }

  set(patch: Partial<PeerState>): void {
    if (!this.owned) {
      this.s = { ...this.s };
      this.owned = true;
    }
    Object.assign(this.s, patch);
  }

  send(to: Peer, msg: Msg, channel: Channel = 'stream'): void {
    this.effects.push({ kind: 'send', to, msg, channel });
  }

  timer(name: TimerName, delay: number, arg = 0): void {
    this.effects.push({ kind: 'timer', name, arg, delay });
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
