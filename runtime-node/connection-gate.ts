/**
 * Counts a peer's incoming connections, in all and per source IP address, and says which ones
 * are over the caps (Limits.maxConnections, maxConnectionsPerIp). One address cannot take every
 * slot, and no number of addresses can take more than the total.
 */
export class ConnectionGate {
  private total = 0;
  private readonly perIp = new Map<string, number>();

  constructor(private readonly max: number, private readonly maxPerIp: number) {}

  /** Counts the connection in and returns null, or returns why it is refused (not counted). */
  admit(ip: string): string | null {
    const fromIp = this.perIp.get(ip) ?? 0;
    if (this.total >= this.max) return `${this.total} connections open, the most this peer takes`;
    if (fromIp >= this.maxPerIp) return `${fromIp} connections open from ${ip}, the most this peer takes from one address`;
    this.total++;
    this.perIp.set(ip, fromIp + 1);
    return null;
  }

  /** An admitted connection closed. */
  leave(ip: string): void {
    this.total--;
    const left = (this.perIp.get(ip) ?? 1) - 1;
    if (left === 0) this.perIp.delete(ip);
    else this.perIp.set(ip, left);
  }

  get open(): number {
    return this.total;
  }
}
