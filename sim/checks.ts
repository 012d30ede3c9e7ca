/**
 * Invariant bookkeeping for a run: how many checks ran and what they found, stamped with the
 * virtual time and with whether the run was then within the failure model (outside it, Chord
 * promises nothing, so such a finding is reported but is no failure). A broken run tends to
 * break after every event, so at most MAX_PER_SIGNATURE violations of one signature are kept;
 * the first ones say what went wrong.
 */
import type { Finding } from './invariants';
import type { Violation } from './report';

export const MAX_PER_SIGNATURE = 20;

/** One bug, one name: the invariant and the way it broke. */
export function signatureOf(v: { readonly invariant: string; readonly kind: string }): string {
  return `${v.invariant}/${v.kind}`;
}

export class Checks {
  checked = 0;
  readonly violations: Violation[] = [];
  private readonly counts = new Map<string, number>();

  /** Counts one check and returns its findings. */
  counted(findings: readonly Finding[]): readonly Finding[] {
    this.checked++;
    return findings;
  }

  record(findings: readonly Finding[], at: number, inModel: boolean): void {
    for (const f of findings) this.add(f, at, inModel);
  }

  add(f: Finding, at: number, inModel: boolean): void {
    const signature = signatureOf(f);
    const n = this.counts.get(signature) ?? 0;
    this.counts.set(signature, n + 1);
    if (n < MAX_PER_SIGNATURE) this.violations.push({ invariant: f.invariant, kind: f.kind, detail: f.detail, at: Math.round(at * 1000) / 1000, inModel });
  }
}
