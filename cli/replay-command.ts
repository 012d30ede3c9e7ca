/** `chord replay`: re-run a property failure (seed and path) or a saved scenario, printing its trace or drawing it. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { writeFileSync } from 'node:fs';
import { caseAt, PROPERTIES, churnProblem } from '../properties/ring-properties';
import { readScenarioFile } from '../properties/fuzz/corpus';
import { runPicture } from '../sim/picture';
import { runScenario } from '../sim/run';
import { simProgress } from './sim-progress';
import type { Scenario } from '../sim/scenario';
import type { TraceEvent } from '../sim/trace';
import { integer } from './parse';
import { summary } from './sim-command';

interface ReplayFlags {
  property: string; seed?: number; path?: string; scenario?: string; trace: boolean; html?: string;
}

export function replayCommand(): Command {
  return new Command('replay')
    .description('re-run a failing property case from its seed and path, or a saved scenario file, and print its trace')
    .addOption(new Option('--property <name>', 'the property (generator) that failed').choices(Object.keys(PROPERTIES)).default('churn'))
    .option('--seed <n>', 'fast-check seed printed by the failure', integer(-(2 ** 31), 2 ** 32))
    .option('--path <path>', 'fast-check path printed by the failure')
    .option('--scenario <file>', 'a scenario file: from `chord sim --save`, a failure message, the fuzz corpus or properties/regressions')
    .option('--no-trace', 'do not print the trace')
    .option('--html <file>', 'write a picture of the run (time-space diagram around the failure, and the ring then) as one HTML page')
    .action((o: ReplayFlags) => {
      const scenario = o.scenario ? readScenario(o.scenario) : fromProperty(o.property, o.seed, o.path);
      const trace = o.trace ? (line: string) => console.log(line) : undefined;
      const events: TraceEvent[] = [];
      // The trace goes to the terminal line by line: a live line would only tear it.
      const progress = trace === undefined ? simProgress() : null;
      const result = runScenario(scenario, { checkSafety: true, trace, events: o.html ? (e) => events.push(e) : undefined, onProgress: progress?.onProgress });
      progress?.stop();
      console.log(summary(result.report));
      const problem = churnProblem(result);
      console.log(problem === null ? 'the property holds for this scenario' : `the property fails: ${problem}`);
      if (o.html) {
        writeFileSync(o.html, runPicture(scenario, result.report, events));
        console.log(`picture of the run: ${o.html}`);
      }
      if (problem !== null) process.exitCode = 1;
    });
}

function fromProperty(name: string, seed: number | undefined, path: string | undefined): Scenario {
  if (seed === undefined || path === undefined) throw new InvalidArgumentError('give --seed and --path from the failure message, or --scenario FILE');
  try {
    return caseAt(name, seed, path);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function readScenario(file: string): Scenario {
  try {
    return readScenarioFile(file);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}
