/**
 * The corpus: one JSON file per bug the fuzzer found, holding its shrunk scenario (which keeps
 * its meaning when the generators change, where a seed does not), the verdict, the signature,
 * the seed and path that regenerate it, the command that replays it and the trace hash. A
 * directory of such files, of regression files (`{why, scenario}`) or of bare scenarios is a
 * regression suite: `chord fuzz --replay-corpus DIR`.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Scenario } from '../../sim/scenario';
import type { Violation } from '../../sim/report';
import type { ShrunkFailure } from './case';

export interface CorpusEntry {
  readonly signature: string;
  readonly signatures: readonly string[];
  readonly verdict: 'FAIL';
  readonly failures: readonly Violation[];
  readonly generator: string;
  /** fast-check's seed and shrink path: regenerate with `chord replay --property G --seed S --path P`. */
  readonly seed: number;
  readonly path: string;
  readonly campaign: { readonly seed: string; readonly index: number; readonly shard: string };
  readonly replay: string;
  readonly regenerate: string;
  readonly traceHash: string;
  readonly shrinks: number;
  /** Shrinking hit its time limit (or was skipped): a smaller case may exist. */
  readonly partial: boolean;
  readonly size: { readonly ops: number; readonly initial: number; readonly originalOps: number; readonly originalInitial: number };
  readonly scenario: Scenario;
}

function slug(signature: string): string {
  return signature.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

export interface FoundAt {
  readonly generator: string;
  readonly seed: number;
  readonly campaignSeed: string;
  readonly index: number;
  readonly shard: string;
}

function corpusEntry(f: ShrunkFailure, at: FoundAt, file: string): CorpusEntry {
  return {
    signature: f.signature,
    signatures: f.judgement.signatures,
    verdict: 'FAIL',
    failures: f.judgement.failures.slice(0, 5),
    generator: at.generator,
    seed: at.seed,
    path: f.path,
    campaign: { seed: at.campaignSeed, index: at.index, shard: at.shard },
    replay: `npx chord replay --scenario ${file}`,
    regenerate: `npx chord replay --property ${at.generator} --seed ${at.seed} --path "${f.path}"`,
    traceHash: f.traceHash,
    shrinks: f.shrinks,
    partial: f.partial,
    size: { ops: f.scenario.ops.length, initial: f.scenario.initial.length, originalOps: f.original.ops, originalInitial: f.original.initial },
    scenario: f.scenario,
  };
}

/** Writes the entry as DIR/<signature>-<trace hash>.json; returns the path, relative to the working directory. */
export function saveEntry(dir: string, f: ShrunkFailure, at: FoundAt): string {
  mkdirSync(dir, { recursive: true });
  const file = relative(process.cwd(), join(dir, `${slug(f.signature)}-${(f.traceHash || String(at.seed >>> 0)).slice(0, 8)}.json`));
  writeFileSync(file, JSON.stringify(corpusEntry(f, at, file), null, 2) + '\n');
  return file;
}

function isScenario(x: unknown): x is Scenario {
  const s = x as Scenario;
  return typeof s === 'object' && s !== null && typeof s.seed === 'string' && typeof s.bits === 'number' && Array.isArray(s.initial) && Array.isArray(s.ops);
}

/** The scenario a file holds: a corpus entry, a regression file or a bare scenario. */
export function readScenarioFile(file: string): Scenario {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read scenario ${file}: ${(e as Error).message}`);
  }
  const wrapped = (parsed as { scenario?: unknown } | null)?.scenario;
  if (isScenario(wrapped)) return wrapped;
  if (isScenario(parsed)) return parsed;
  throw new Error(`${file} is not a scenario (needs seed, bits, initial, ops, ...), a regression file or a corpus entry`);
}

/** The scenario files of a directory, sorted. */
export function corpusFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new Error(`cannot read corpus directory ${dir}: ${(e as Error).message}`);
  }
  return names.filter((n) => n.endsWith('.json')).sort().map((n) => join(dir, n));
}
