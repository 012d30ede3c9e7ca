/**
 * One simulated machine: the core state of its current incarnation, whether it runs, its clock
 * rate, and its armed timers. A machine keeps its identifier and clock across restarts; an
 * incarnation number tells events meant for an earlier life from current ones.
 */
import { pointOfHex } from '../core/id';
import { initState } from '../core/step';
import type { Config, Peer, PeerState, TimerName } from '../core/types';
import type { PeerView } from './invariants';

export function peerOfAddr(addr: string): Peer {
  return { ...pointOfHex(addr), addr };
}

export class SimPeer implements PeerView {
  readonly self: Peer;
  state: PeerState;
  alive = false;
  /** Incarnation number, unique in the world; meaningful only while alive. */
  inc = 0;
  /** Virtual time the current incarnation started; -Infinity for the initial ring's. */
  since = 0;
  /** Current arming of each (timer name, arg); a fire that does not match it is stale. */
  private timers = new Map<TimerName, Map<number, number>>();
  private timerGen = 0;

  constructor(
    id: string,
    private readonly cfg: Config,
    /** Local clock ticks per virtual ms. */
    readonly rate: number,
  ) {
    this.self = peerOfAddr(id);
    this.state = initState(cfg, this.self);
  }

  /** Starts a fresh incarnation with empty state; earlier timers no longer fire. */
  begin(inc: number, since: number): void {
    this.state = initState(this.cfg, this.self);
    this.alive = true;
    this.inc = inc;
    this.since = since;
    this.timers = new Map();
  }

  /** The core's clock: local time runs at `rate` times virtual time. */
  localTime(virtual: number): number {
    return virtual * this.rate;
  }

  /** Virtual ms until a local delay has elapsed. */
  virtualDelay(local: number): number {
    return local / this.rate;
  }

  /** Arms (name, arg), replacing an earlier arming; returns the generation its fire must carry. */
  arm(name: TimerName, arg: number): number {
    let byArg = this.timers.get(name);
    if (byArg === undefined) {
      byArg = new Map();
      this.timers.set(name, byArg);
    }
    const gen = ++this.timerGen;
    byArg.set(arg, gen);
    return gen;
  }

  /** Whether a fire of generation `gen` is the current arming; if so the arming is used up. */
  fire(name: TimerName, arg: number, gen: number): boolean {
    const byArg = this.timers.get(name);
    if (byArg === undefined || byArg.get(arg) !== gen) return false;
    byArg.delete(arg);
    return true;
  }
}
