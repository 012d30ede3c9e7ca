/**
 * One fuzz case: a generator's scenario at one fast-check seed, run and judged; on failure,
 * shrunk by fast-check to smaller scenarios that fail with the same signature (a shrink that
 * fails some other way is a different bug, not a smaller copy of this one). A share of cases is
 * run twice and their trace hashes compared: a mismatch is a failure of determinism.
 */
import fc from 'fast-check';
import { runScenario, type SimResult } from '../../sim/run';
import type { Scenario } from '../../sim/scenario';
import { signatureOf } from '../../sim/checks';
import { crashed, judge, type Judgement } from '../../sim/verdict';
import { PROPERTIES } from '../ring-properties';
import { BuiltScenarioArbitrary } from '../scenario-shrink';

export interface Judged {
  readonly judgement: Judgement;
  readonly result: SimResult | null;
}

/** Runs and judges a scenario; a thrown error is a Crash failure, not the end of the campaign. */
export function runJudged(s: Scenario, twice: boolean): Judged {
  let result: SimResult;
  try {
    result = runScenario(s, { checkSafety: true });
  } catch (e) {
    return { judgement: crashed(e), result: null };
  }
  const judgement = judge(result.report);
  if (!twice) return { judgement, result };
  let again: SimResult;
  try {
    again = runScenario(s, { checkSafety: true });
  } catch (e) {
    return { judgement: crashed(e), result };
  }
  if (again.report.traceHash === result.report.traceHash) return { judgement, result };
  const mismatch = { invariant: 'Determinism', kind: 'trace-hash', detail: `the same scenario ran twice gave trace hashes ${result.report.traceHash} and ${again.report.traceHash}`, at: 0, inModel: true };
  return { judgement: { pass: false, failures: [mismatch, ...judgement.failures], outside: judgement.outside, signatures: [signatureOf(mismatch), ...judgement.signatures] }, result };
}

export interface CaseStats {
  readonly generator: string;
  readonly seed: number;
  readonly pass: boolean;
  /** The failures' signatures, first first, of the case as generated. */
  readonly signatures: readonly string[];
  readonly events: number;
  readonly virtualMs: number;
  readonly wallMs: number;
  readonly traceHash: string;
  readonly peers: number;
  readonly ops: number;
  /** Some violation was seen outside the failure model (expected there, no failure). */
  readonly outside: boolean;
  readonly twice: boolean;
}

export interface ShrunkFailure {
  readonly signature: string;
  readonly scenario: Scenario;
  readonly original: { readonly ops: number; readonly initial: number };
  readonly shrinks: number;
  readonly path: string;
  readonly judgement: Judgement;
  readonly traceHash: string;
  /** Shrinking stopped at its time limit or at the campaign's end: the scenario may shrink further. */
  readonly partial: boolean;
}

export interface CaseControl {
  /** Asked once a case fails: whether to shrink it (a new signature) or only count it. */
  shouldShrink(signature: string): Promise<boolean>;
  /** Longest time spent shrinking one failure, in ms. */
  readonly shrinkMs: number;
  /** Consulted between shrink runs: stop shrinking (keeping the best found) when true. */
  stopping(): boolean;
}

export interface CaseOutcome {
  readonly stats: CaseStats;
  /** The shrunk failure, when the case failed with a signature the campaign had not seen. */
  readonly failure: ShrunkFailure | null;
}

export function fuzzCase(generator: string, seed: number, twice: boolean, ctl: CaseControl): Promise<CaseOutcome> {
  return runCase(PROPERTIES[generator].arbitrary, generator, seed, twice, ctl);
}

/** A given scenario, shrunk like a fuzz case (`chord fuzz --shrink FILE`). */
export function shrinkGiven(s: Scenario, ctl: CaseControl): Promise<CaseOutcome> {
  return runCase(new BuiltScenarioArbitrary(fc.constant(s), (x) => x), 'file', 0, false, ctl);
}

async function runCase(arbitrary: fc.Arbitrary<Scenario>, generator: string, seed: number, twice: boolean, ctl: CaseControl): Promise<CaseOutcome> {
  let stats: CaseStats | undefined;
  let target: string | null = null;
  let original = { ops: 0, initial: 0 };
  let shrinkUntil = 0;
  let shrinking = false;
  let wanted = false;
  let partial = false;
  let shrinks = 0;
  const out = await fc.check(
    fc.asyncProperty(arbitrary, async (s) => {
      if (stats === undefined) {
        const start = performance.now();
        const { judgement, result } = runJudged(s, twice);
        const r = result?.report;
        stats = {
          generator, seed, pass: judgement.pass, signatures: judgement.signatures,
          events: r?.events ?? 0, virtualMs: r?.virtualMs ?? 0, wallMs: performance.now() - start, traceHash: r?.traceHash ?? '',
          peers: s.initial.length, ops: s.ops.length, outside: judgement.outside.length > 0, twice,
        };
        if (judgement.pass) return true;
        target = judgement.signatures[0];
        original = { ops: s.ops.length, initial: s.initial.length };
        wanted = await ctl.shouldShrink(target);
        shrinking = wanted;
        shrinkUntil = performance.now() + ctl.shrinkMs;
        return false;
      }
      if (!shrinking) return true;
      // Let a stop from the main thread in between two runs.
      await new Promise((resolve) => setImmediate(resolve));
      if (performance.now() > shrinkUntil || ctl.stopping()) {
        partial = true;
        shrinking = false;
        return true;
      }
      const { judgement } = runJudged(s, twice && target === 'Determinism/trace-hash');
      if (target !== null && judgement.signatures.includes(target)) {
        shrinks++;
        return false;
      }
      return true;
    }),
    { seed, numRuns: 1 },
  );
  if (stats === undefined) throw new Error(`generator ${generator} produced no case at seed ${seed}`);
  // A failure of a signature already shrunk elsewhere is only counted.
  if (!out.failed || !wanted || target === null || out.counterexample === null) return { stats, failure: null };
  const scenario = out.counterexample[0];
  const { judgement, result } = runJudged(scenario, target === 'Determinism/trace-hash');
  return {
    stats,
    failure: { signature: target, scenario, original, shrinks, path: out.counterexamplePath ?? '', judgement, traceHash: result?.report.traceHash ?? '', partial },
  };
}
