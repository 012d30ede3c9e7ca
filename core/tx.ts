/**
 * One step's working copy. `step` never mutates its input: every change replaces a field of a
 * fresh shallow copy (structural sharing: untouched lists and maps are the very same objects),
 * and effects accumulate in order. A Tx lives only for the duration of one `step` call.
 */
import type { Channel, Effect, LogEvent, Msg, Peer, PeerState, Reply, TimerName } from './types';

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
