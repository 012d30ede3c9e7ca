/**
 * One verdict for a run, the same for `chord sim`, `chord replay`, the property tests and the
 * fuzzer: a run fails when it broke something while it was within the failure model. A violation
 * seen outside the model (r neighbours gone within one repair window, and what follows from
 * that) is reported, since it is what Chord does not promise, but fails nothing.
 *
 * A failure's signature is its invariant and the way it broke (`Data/false-miss`,
 * `AtLeastOneRing/no-ring`, `Liveness/no-convergence`, `Crash/TypeError`, ...): the fuzzer
 * reports one bug once by it, and shrinks a failing case only to cases with the same signature.
 */
import { signatureOf } from './checks';
import type { RunReport, Violation } from './report';

export interface Judgement {
  readonly pass: boolean;
  /** Violations within the failure model, by time: what fails the run. */
  readonly failures: readonly Violation[];
  /** Violations seen outside the failure model: expected there. */
  readonly outside: readonly Violation[];
  /** Distinct signatures of the failures, in order of first appearance. */
  readonly signatures: readonly string[];
}

export function judge(r: RunReport): Judgement {
  const failures = r.invariants.violations.filter((v) => v.inModel).sort((a, b) => a.at - b.at);
  const outside = r.invariants.violations.filter((v) => !v.inModel);
  return { pass: failures.length === 0, failures, outside, signatures: [...new Set(failures.map(signatureOf))] };
}

/** A run that threw: the core or the simulator crashed, which fails whatever the model says. */
export function crashed(e: unknown): Judgement {
  const error = e instanceof Error ? e : new Error(String(e));
  const v: Violation = { invariant: 'Crash', kind: error.name, detail: `${error.message}${error.stack ? `\n${error.stack.split('\n').slice(1, 6).join('\n')}` : ''}`, at: 0, inModel: true };
  return { pass: false, failures: [v], outside: [], signatures: [signatureOf(v)] };
}

/** The failures in a line or a few: what a failing property or fuzz case prints. */
export function describeFailures(vs: readonly Violation[], max = 5): string {
  return vs.slice(0, max).map((v) => `${signatureOf(v)} at ${v.at} ms: ${v.detail}`).join('; ');
}
