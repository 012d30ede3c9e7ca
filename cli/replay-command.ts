/** `chord replay`: re-run a property failure (seed and path) or a saved scenario, printing its trace. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { PROPERTIES, churnProblem } from '../properties/ring-properties';
import { runScenario } from '../sim/run';
import type { Scenario } from '../sim/scenario';
import { integer } from './parse';
import { summary } from './sim-command';

export function replayCommand(): Command {
  return new Command('replay')
    .description('re-run a failing property case from its seed and path, or a saved scenario file, and print its trace')
    .addOption(new Option('--property <name>', 'the property that failed').choices(Object.keys(PROPERTIES)).default('churn'))
    .option('--seed <n>', 'fast-check seed printed by the failure', integer(-(2 ** 31), 2 ** 32))
    .option('--path <path>', 'fast-check path printed by the failure')
    .option('--scenario <file>', 'a scenario saved as JSON (by `chord sim --save` or from a failure message)')
    .option('--no-trace', 'do not print the trace')
    .action((o: { property: string; seed?: number; path?: string; scenario?: string; trace: boolean }) => {
      const scenario = o.scenario ? readScenario(o.scenario) : fromProperty(o.property, o.seed, o.path);
      const trace = o.trace ? (line: string) => console.log(line) : undefined;
      const result = runScenario(scenario, { checkSafety: true, trace });
      console.log(summary(result.report));
      const problem = churnProblem(result);
      console.log(problem === null ? 'the property holds for this scenario' : `the property fails: ${problem}`);
      if (problem !== null) process.exitCode = 1;
    });
}

function fromProperty(name: string, seed: number | undefined, path: string | undefined): Scenario {
  if (seed === undefined || path === undefined) throw new InvalidArgumentError('give --seed and --path from the failure message, or --scenario FILE');
  let found: Scenario | undefined;
  // Replaying at (seed, path) regenerates exactly the shrunk case; capture it and stop.
  fc.check(fc.property(PROPERTIES[name].arbitrary, (s) => { found = s; return false; }), { seed, path, numRuns: 1, endOnFailure: true });
  if (!found) throw new InvalidArgumentError(`no case at seed ${seed}, path ${path}`);
  return found;
}

function readScenario(file: string): Scenario {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InvalidArgumentError(`cannot read scenario ${file}: ${(e as Error).message}`);
  }
  const s = parsed as Scenario;
  if (typeof s !== 'object' || s === null || typeof s.seed !== 'string' || !Array.isArray(s.initial) || !Array.isArray(s.ops) || typeof s.bits !== 'number') {
    throw new InvalidArgumentError(`${file} is not a scenario (needs seed, bits, initial, ops, ...)`);
  }
  return s;
}
