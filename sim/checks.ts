/**
 * Invariant bookkeeping for a run: how many checks ran and what they found, stamped with the
 * virtual time. A broken run tends to break after every event, so at most MAX_PER_INVARIANT
 * violations of one invariant are kept; the first ones say what went wrong.
 */
import type { Finding } from './invariants';
import type { Violation } from './report';

export const MAX_PER_INVARIANT = 20;

export class Checks {
  checked = 0;
  readonly violations: Violation[] = [];
  private readonly counts = new Map<string, number>();

  /** Counts one check and returns its findings. */
  counted(findings: readonly Finding[]): readonly Finding[] {
    this.checked++;
    return findings;
  }

  record(findings: readonly Finding[], at: number): void {
    for (const f of findings) this.add(f.invariant, f.detail, at);
  }

  add(invariant: string, detail: string, at: number): void {
    const n = this.counts.get(invariant) ?? 0;
    this.counts.set(invariant, n + 1);
    if (n < MAX_PER_INVARIANT) this.violations.push({ invariant, detail, at: Math.round(at * 1000) / 1000 });
  }
}
