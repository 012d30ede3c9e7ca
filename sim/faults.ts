/**
 * Fault accounting, and whether the run stayed within the failure model under which Chord with
 * replication r promises its data and ideal-ring guarantees.
 *
 * The model: fewer than r ring neighbours depart (kill or leave) within one repair window, the
 * time the survivors need to notice a departure and restore r copies of everything:
 *   missLimit * pingInterval    a silent neighbour is declared gone,
 *   + 2 * stabilizeInterval     successor lists (and so replica sets) are repaired,
 *   + replicateInterval         the next replication round tops the copies up,
 *   + 2 * rpcTimeout            the stabilize query and the replica transfer may each time out once.
 * And Zave's own failure assumption, under which her invariants are proved: no departure may
 * leave a live peer with no live entry in its successor list. With r >= 2 the neighbour rule
 * above implies it for ring members; it matters for r = 1, and for a peer that has just joined
 * with a list copied from a peer that is leaving.
 * A partition longer than failure detection makes each side declare the other gone, and each
 * side then runs as a ring of its own: a write acknowledged on a side has its r copies among that
 * side's peers only, or as many as the side has when it is smaller than r. Until the rings have
 * merged and replicated again (one repair window after the heal), killing r consecutive peers of
 * a side, or all of a smaller side, can lose such a write just as r neighbours dying can in one
 * ring; that too is outside the model. Such runs are reported as `partitioned`.
 */
import type { Config } from '../core/types';

export interface Member {
  readonly self: { readonly id: string };
  readonly alive: boolean;
  readonly since: number;
}

export function repairWindow(cfg: Config): number {
  return cfg.missLimit * cfg.pingInterval + 2 * cfg.stabilizeInterval + cfg.replicateInterval + 2 * cfg.rpcTimeout;
}

export function detectionTime(cfg: Config): number {
  return cfg.missLimit * cfg.pingInterval;
}

export class FaultLog {
  joins = 0;
  leaves = 0;
  kills = 0;
  assumptionHeld = true;
  /** Some partition outlasted failure detection. */
  partitioned = false;
  /** Some partition happened at all. */
  everCut = false;
  /** Live members declared gone by a peer that had them as successors. */
  falseAlarms = 0;
  /** A false alarm left some peer with no live successor (see falseAlarm). */
  strandedByFalseAlarm = false;
  /** By peer: the live successors its false alarms dropped since its list was last seen full, and when the last was. */
  private readonly falselyDropped = new Map<string, { readonly addrs: readonly string[]; readonly at: number }>();
  /** Partitions that outlasted failure detection: when, until when, and each side's peers. */
  private readonly splits: { readonly from: number; readonly healed: number; readonly sides: readonly (readonly string[])[] }[] = [];
  /** When peers joined, left or were killed. */
  private readonly churn: number[] = [];
  /** When each peer was last killed. */
  private readonly killedAt = new Map<string, number>();
  /** Departures within the last repair window, oldest first. */
  private readonly departures: { readonly at: number; readonly id: string; readonly kill: boolean }[] = [];
  private readonly window: number;
  private readonly detection: number;

  constructor(
    cfg: Config,
    private readonly replicas: number,
    /** The world's machines, alive or not. */
    private readonly members: readonly Member[],
  ) {
    this.window = repairWindow(cfg);
    this.detection = detectionTime(cfg);
  }

  /**
   * Zave's safety invariants, and the oracles checked as the run goes, apply: the failure
   * assumption holds, no network cut has happened (a partition is a false alarm at large) and no
   * false alarm has stranded a peer.
   */
  get safetyChecked(): boolean {
    return this.assumptionHeld && !this.everCut && !this.strandedByFalseAlarm;
  }

  /**
   * Every read must show the last value acknowledged before it was asked: the failure assumption
   * holds, no partition has split the ring (both sides then take writes) and no false alarm has
   * stranded a peer (a peer that believes itself alone serves every key).
   */
  get readsChecked(): boolean {
    return this.assumptionHeld && !this.partitioned && !this.strandedByFalseAlarm;
  }

  joined(at: number): void {
    this.joins++;
    this.churn.push(at);
  }

  /** Whether some peer joined, left or was killed from `from` to `to`. */
  churnBetween(from: number, to: number): boolean {
    return this.churn.some((t) => t >= from && t <= to);
  }

  depart(kind: 'leave' | 'kill', id: string, at: number): void {
    if (kind === 'leave') this.leaves++;
    else this.kills++;
    this.churn.push(at);
    this.departed(id, at, kind === 'kill');
  }

  /**
   * A leave that ended with records no neighbour acknowledged (every heir was out of reach for
   * all its rounds), or without telling its predecessor, took them along or left it pointing at
   * nobody, as a kill does: from its end it counts as one. It is still reported among the leaves.
   */
  leftWithRecords(id: string, at: number): void {
    this.departed(id, at, true);
  }

  private departed(id: string, at: number, kill: boolean): void {
    const start = at - this.window;
    this.departures.push({ at, id, kill });
    while (this.departures[0].at < start) this.departures.shift();
    if (this.assumptionHeld && this.neighboursGone(start)) this.assumptionHeld = false;
    if (kill) {
      this.killedAt.set(id, at);
      if (this.assumptionHeld && this.sideWiped(at)) this.assumptionHeld = false;
    }
  }

  /**
   * `peer`, whose successor list was `list`, declared the live member `gone` gone: detection by
   * timeouts can err (lost pings, a failed connection); only an entry of the list counts. Zave's
   * invariants rest on a peer dropping only dead successors. A false alarm on a full list (as long
   * as r allows) that leaves no live member in the rest, because the others are dead but not yet
   * noticed (an entry whose machine restarted under its ID names the incarnation that died),
   * breaks that premise as a departure would, and no protocol can tell. So do false alarms in a
   * row on a list that was full before the first of them and not refilled since (two within a
   * millisecond, found by sim/run.test.ts's stranding test: no refill is that fast): the entries
   * they dropped count as the list's. The safety invariants are then no longer checked in the
   * run, as after a partition (a false alarm at large); the state at rest still is. A list short
   * of r for any other reason is the protocol's own doing and excuses nothing.
   */
  falseAlarm(peer: string, list: readonly { readonly addr: string }[], gone: { readonly addr: string }, memberAt: (addr: string) => boolean, at: number): void {
    if (!list.some((p) => p.addr === gone.addr)) return;
    this.falseAlarms++;
    // Every machine but the peer itself, dead ones too: a bound no shorter than the real ring.
    const need = Math.min(this.replicas, this.members.length - 1);
    const dropped = list.length >= need ? [] : this.shortenedBy(peer, at);
    this.falselyDropped.set(peer, { addrs: [...dropped, gone.addr], at });
    const full = list.length + dropped.length >= need;
    if (full && !list.some((p) => p.addr !== gone.addr && memberAt(p.addr))) this.strandedByFalseAlarm = true;
  }

  /**
   * The live successors false alarms dropped from `peer`'s list within the last repair window
   * (a refill takes less): a departure that then leaves it no live successor strands it by
   * those false alarms, not by more departures than the failure model allows.
   */
  shortenedBy(peer: string, at: number): readonly string[] {
    const d = this.falselyDropped.get(peer);
    return d !== undefined && at - d.at <= this.window ? d.addrs : [];
  }

  /** The network between `group` and everyone else is cut from `at` until `until`. */
  cut(at: number, until: number, group: readonly string[]): void {
    this.everCut = true;
    if (until - at <= this.detection) return;
    this.partitioned = true;
    const inGroup = new Set(group);
    const live = this.members.filter((m) => m.alive).map((m) => m.self.id).sort();
    this.splits.push({ from: at, healed: until, sides: [live.filter((id) => inGroup.has(id)), live.filter((id) => !inGroup.has(id))] });
  }

  /**
   * After a kill at `at`: has some side of a split, within a repair window of its heal, lost r
   * consecutive peers of its own ring (all of them if it has fewer) since the split began?
   */
  private sideWiped(at: number): boolean {
    for (const split of this.splits) {
      if (at < split.from || at > split.healed + this.window) continue;
      for (const side of split.sides) {
        const need = Math.min(this.replicas, side.length);
        let run = 0;
        for (let i = 0; i < 2 * side.length && need > 0; i++) {
          run = (this.killedAt.get(side[i % side.length]) ?? -Infinity) >= split.from ? run + 1 : 0;
          if (run >= need) return true;
        }
      }
    }
    return false;
  }

  /**
   * Whether `replicas` consecutive peers of the ring as it was just before the current window
   * all departed within it. That ring is the peers alive since before the window plus those that
   * departed in it. Peers that joined during the window are left out: they may not hold their
   * replicas yet, so they do not stand between two departed neighbours. A lone graceful leave
   * never counts: it hands its records over, so even with r = 1 nothing may be lost (one that
   * could not is counted as a kill, see leftWithRecords). The initial ring is there from the
   * outset (its `since` is -Infinity); a peer that joined at time 0 is not.
   */
  private neighboursGone(start: number): boolean {
    const killed = new Map(this.departures.map((d) => [d.id, d.kill]));
    const ring = new Set(killed.keys());
    for (const m of this.members) if (m.alive && m.since <= start) ring.add(m.self.id);
    const ids = [...ring].sort();
    const need = Math.min(this.replicas, ids.length);
    let run = 0;
    let kills = 0;
    // Twice round, so that a run across the ring's wrap-around point is counted.
    for (let i = 0; i < 2 * ids.length; i++) {
      const kill = killed.get(ids[i % ids.length]);
      run = kill === undefined ? 0 : run + 1;
      kills = kill === undefined ? 0 : kills + (kill ? 1 : 0);
      if (run >= need && (kills > 0 || run >= 2)) return true;
    }
    return false;
  }

}
