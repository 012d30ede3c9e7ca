/**
 * The properties the harness checks, as plain functions of a scenario, so that the tests and
 * `chord replay` run exactly the same check. A check throws with a readable reason on failure.
 */
import fc from 'fast-check';
import { runScenario, type SimResult } from '../sim/run';
import type { Scenario } from '../sim/scenario';
import { describeFailures, judge } from '../sim/verdict';
import { scenarioArb, DEFAULT_LIMITS, LARGE_LIMITS, MEMBERSHIP_LIMITS } from './scenario-arbitrary';
import { simScenarioArb } from './sim-arbitrary';

/**
 * Zave's safety invariants after every event, the oracles applied as the run goes (reads,
 * hand-offs, predecessors, failure detection, leaves), and at quiescence the ideal ring and every
 * acknowledged record readable with its last acknowledged value, all while the run stays within
 * the failure model (see sim/verdict.ts).
 */
export function checkChurn(s: Scenario, trace?: (line: string) => void): SimResult {
  const result = runScenario(s, { checkSafety: true, trace });
  const problem = churnProblem(result);
  if (problem !== null) throw new Error(problem);
  return result;
}

/** Why a run breaks the churn property, or null if it holds. */
export function churnProblem(result: SimResult): string | null {
  const j = judge(result.report);
  return j.pass ? null : describeFailures(j.failures);
}

/** The same scenario run twice gives the same trace hash and the same report. */
export function checkDeterminism(s: Scenario): void {
  const a = runScenario(s, { checkSafety: false }).report;
  const b = runScenario(s, { checkSafety: false }).report;
  if (a.traceHash !== b.traceHash) throw new Error(`trace hashes differ: ${a.traceHash} vs ${b.traceHash}`);
  const strip = (r: typeof a) => JSON.stringify({ ...r, wallMs: 0, eventsPerSec: 0 });
  if (strip(a) !== strip(b)) throw new Error('reports differ between two runs of the same scenario');
}

export interface NamedProperty {
  readonly arbitrary: fc.Arbitrary<Scenario>;
  readonly check: (s: Scenario, trace?: (line: string) => void) => unknown;
}

/**
 * The generators, by name: the fuzzer's `--generator` families (all but determinism, which the
 * fuzzer checks by running a share of every family's scenarios twice) and the property tests.
 */
export const PROPERTIES: Record<string, NamedProperty> = {
  churn: { arbitrary: scenarioArb(DEFAULT_LIMITS), check: checkChurn },
  'churn-large': { arbitrary: scenarioArb(LARGE_LIMITS), check: checkChurn },
  membership: { arbitrary: scenarioArb(MEMBERSHIP_LIMITS), check: checkChurn },
  sim: { arbitrary: simScenarioArb(), check: checkChurn },
  determinism: { arbitrary: scenarioArb({ ...DEFAULT_LIMITS, maxOps: 8 }), check: checkDeterminism },
};

/** The case a generator makes at a fast-check seed and path (path "0": the first case as generated). */
export function caseAt(name: string, seed: number, path = '0'): Scenario {
  let found: Scenario | undefined;
  // Replaying at (seed, path) regenerates exactly that case; capture it and stop.
  fc.check(fc.property(PROPERTIES[name].arbitrary, (s) => { found = s; return false; }), { seed, path, numRuns: 1, endOnFailure: true });
  if (found === undefined) throw new Error(`no case of ${name} at seed ${seed}, path ${path}`);
  return found;
}

/**
 * Runs a named property; on failure returns the message to print: the seed and path, the
 * shrunk scenario, and the commands that replay it exactly.
 */
export function runProperty(name: string, numRuns: number, seed?: number): string | null {
  const prop = PROPERTIES[name];
  const out = fc.check(fc.property(prop.arbitrary, (s) => { prop.check(s); }), { numRuns, seed });
  if (!out.failed) return null;
  const scenario = out.counterexample?.[0];
  return [
    `property "${name}" failed after ${out.numRuns} runs (${out.numShrinks} shrinks): ${String(out.errorInstance instanceof Error ? out.errorInstance.message : out.errorInstance)}`,
    `seed ${out.seed}, path "${out.counterexamplePath}"`,
    `replay: npx chord replay --property ${name} --seed ${out.seed} --path "${out.counterexamplePath}"`,
    `shrunk scenario (save it and run: npx chord replay --scenario FILE):`,
    JSON.stringify(scenario),
  ].join('\n');
}
