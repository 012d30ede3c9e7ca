/**
 * One simulated machine: the core state of its current incarnation, whether it runs, its clock
 * rate, and its one wake-up. A machine keeps its identifier and clock across restarts; an
 * incarnation number tells events meant for an earlier life from current ones.
 */
import { pointOfHex } from '../core/id';
import { initState } from '../core/step';
import type { Config, Peer, PeerState } from '../core/types';
import type { PeerView } from './invariants';
import { TraceName } from './trace';

export function peerOfAddr(addr: string): Peer {
  return { ...pointOfHex(addr), addr };
}

export class SimPeer implements PeerView {
  readonly self: Peer;
  /** Its id as the trace hashes it. */
  readonly name: TraceName;
  state: PeerState;
  alive = false;
  /** Incarnation number, unique in the world; meaningful only while alive. */
  inc = 0;
  /** Virtual time the current incarnation started; -Infinity for the initial ring's. */
  since = 0;
  /** Virtual time of the one wake-up queued for the core's next deadline; -1 when none, Infinity
   *  once the core left something due after a tick (a Deadline violation: it is not woken again).
   *  A queued wake-up at any other time was overtaken by a later step and is dropped unseen. */
  wakeAt = -1;

  constructor(
    id: string,
    private readonly cfg: Config,
    /** Local clock ticks per virtual ms. */
    readonly rate: number,
  ) {
    this.self = peerOfAddr(id);
    this.name = new TraceName(id);
    this.state = initState(cfg, this.self);
  }

  /** Starts a fresh incarnation with empty state; earlier timers no longer fire. */
  begin(inc: number, since: number): void {
    this.state = initState(this.cfg, this.self);
    this.alive = true;
    this.inc = inc;
    this.since = since;
    this.wakeAt = -1;
  }

  /** The core's clock: local time runs at `rate` times virtual time. */
  localTime(virtual: number): number {
    return virtual * this.rate;
  }

  /**
   * The first virtual time, not before `now`, at which the local clock has reached `local`:
   * local / rate, nudged up where rounding would leave the clock a hair short of the deadline.
   */
  virtualAt(local: number, now: number): number {
    let v = local / this.rate;
    while (v * this.rate < local) v += Math.max(Number.MIN_VALUE, Math.abs(v) * Number.EPSILON);
    return Math.max(v, now);
  }
}
