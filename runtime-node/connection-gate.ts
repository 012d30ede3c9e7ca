/**
 * Counts a peer's incoming connections, in all and per source IP address, and says which ones
 * are over the caps (Limits.maxConnections, maxConnectionsPerIp). One address cannot take every
 * slot, and no number of addresses can take more than the total. When every slot is taken, a
 * newcomer from an address holding fewer than the address holding the most takes the oldest
 * connection of that one: a hostile client holding the slots from a few dozen addresses cannot
 * keep an honest client from another out (bench/hostile-load.ts found it did: every honest
 * request was reset while 10,000 idle connections from 40 addresses held the 1,024 slots).
 */
export type Admission<T> =
  | { readonly admitted: true; readonly evicted: T | null }
  | { readonly admitted: false; readonly why: string };

export class ConnectionGate<T> {
  private total = 0;
  /** By address, its connections oldest first. */
  private readonly perIp = new Map<string, T[]>();

  constructor(private readonly max: number, private readonly maxPerIp: number) {}

  /** Counts `conn` in, possibly in place of another (to be closed by the caller), or says why not. */
  admit(ip: string, conn: T): Admission<T> {
    const fromIp = this.perIp.get(ip)?.length ?? 0;
    if (fromIp >= this.maxPerIp) return { admitted: false, why: `${fromIp} connections open from ${ip}, the most this peer takes from one address` };
    let evicted: T | null = null;
    if (this.total >= this.max) {
      const [heaviest, held] = this.heaviest();
      if (heaviest === null || held.length <= fromIp + 1) return { admitted: false, why: `${this.total} connections open, the most this peer takes` };
      evicted = held[0];
      this.leave(heaviest, evicted);
    }
    this.total++;
    this.perIp.set(ip, [...(this.perIp.get(ip) ?? []), conn]);
    return { admitted: true, evicted };
  }

  /** An admitted connection closed (nothing, if it was evicted already). */
  leave(ip: string, conn: T): void {
    const held = this.perIp.get(ip);
    const at = held?.indexOf(conn) ?? -1;
    if (held === undefined || at < 0) return;
    this.total--;
    if (held.length === 1) this.perIp.delete(ip);
    else this.perIp.set(ip, [...held.slice(0, at), ...held.slice(at + 1)]);
  }

  get open(): number {
    return this.total;
  }

  private heaviest(): [string | null, readonly T[]] {
    let best: [string | null, readonly T[]] = [null, []];
    for (const entry of this.perIp) if (entry[1].length > best[1].length) best = entry;
    return best;
  }
}
