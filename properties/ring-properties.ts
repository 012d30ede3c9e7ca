/**
 * The properties the harness checks, as plain functions of a scenario, so that the tests and
 * `chord replay` run exactly the same check. A check throws with a readable reason on failure.
 */
import fc from 'fast-check';
import { runScenario, type SimResult } from '../sim/run';
import type { Scenario } from '../sim/scenario';
import { scenarioArb, DEFAULT_LIMITS, MEMBERSHIP_LIMITS } from './scenario-arbitrary';

const SAFETY = new Set(['AtLeastOneRing', 'AtMostOneRing', 'OrderedRing', 'ConnectedAppendages', 'OrderedSuccessorLists', 'NoDuplicates', 'Codec', 'HandOver']);

/**
 * Safety invariants after every event; at quiescence the ideal ring and every acknowledged
 * record readable with its last acknowledged value, whenever fewer than r neighbouring peers
 * died within one repair window.
 */
export function checkChurn(s: Scenario, trace?: (line: string) => void): SimResult {
  const result = runScenario(s, { checkSafety: true, trace });
  const problem = churnProblem(result);
  if (problem !== null) throw new Error(problem);
  return result;
}

/** Why a run breaks the churn property, or null if it holds. */
export function churnProblem(result: SimResult): string | null {
  const r = result.report;
  const broken = r.invariants.violations.filter((v) => SAFETY.has(v.invariant));
  if (broken.length > 0) return `safety violated: ${describe(broken)}`;
  if (!r.faults.assumptionHeld) return null;
  const atRest = r.invariants.violations.filter((v) => !SAFETY.has(v.invariant));
  if (atRest.length > 0) return `not ideal at quiescence: ${describe(atRest)}`;
  if (r.records.lost > 0) return `${r.records.lost} of ${r.records.acknowledged} acknowledged records lost`;
  return null;
}

/** The same scenario run twice gives the same trace hash and the same report. */
export function checkDeterminism(s: Scenario): void {
  const a = runScenario(s, { checkSafety: false }).report;
  const b = runScenario(s, { checkSafety: false }).report;
  if (a.traceHash !== b.traceHash) throw new Error(`trace hashes differ: ${a.traceHash} vs ${b.traceHash}`);
  const strip = (r: typeof a) => JSON.stringify({ ...r, wallMs: 0, eventsPerSec: 0 });
  if (strip(a) !== strip(b)) throw new Error('reports differ between two runs of the same scenario');
}

function describe(vs: readonly { invariant: string; detail: string; at: number }[]): string {
  return vs.slice(0, 5).map((v) => `${v.invariant} at ${v.at} ms: ${v.detail}`).join('; ');
}

export interface NamedProperty {
  readonly arbitrary: fc.Arbitrary<Scenario>;
  readonly check: (s: Scenario, trace?: (line: string) => void) => unknown;
}

export const PROPERTIES: Record<string, NamedProperty> = {
  churn: { arbitrary: scenarioArb(DEFAULT_LIMITS), check: checkChurn },
  'churn-large': { arbitrary: scenarioArb({ ...DEFAULT_LIMITS, maxInitial: 16, maxOps: 40, horizon: 30_000 }), check: checkChurn },
  membership: { arbitrary: scenarioArb(MEMBERSHIP_LIMITS), check: checkChurn },
  determinism: { arbitrary: scenarioArb({ ...DEFAULT_LIMITS, maxOps: 8 }), check: checkDeterminism },
};

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
