/** `chord replay`: re-run a property failure (seed and path) or a saved scenario, printing its trace or drawing it. */
import { Command, Option } from 'commander';
import { writeFileSync } from 'node:fs';
import { caseAt, PROPERTIES, churnProblem } from '../properties/ring-properties';
import { runPicture } from '../sim/picture';
import { runScenario } from '../sim/run';
import { simProgress } from './sim-progress';
import type { Scenario } from '../sim/scenario';
import type { TraceEvent } from '../sim/trace';
import { integer, readScenarioArg } from './parse';
import { finishRun, summary } from './sim-command';
import { CliError } from './exit-codes';

interface ReplayFlags {
  property: string; seed?: number; path?: string; scenario?: string; trace: boolean; html?: string; json?: boolean;
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
    .option('--json', 'print one JSON report (as chord sim --json, and what was replayed) instead of the trace and summary')
    .action((o: ReplayFlags) => {
      const scenario = o.scenario ? readScenarioArg(o.scenario) : fromProperty(o.property, o.seed, o.path);
      const trace = o.trace && !o.json ? (line: string) => console.log(line) : undefined;
      const events: TraceEvent[] = [];
      // The trace goes to the terminal line by line: a live line would only tear it.
      const progress = trace === undefined ? simProgress(scenario) : null;
      const result = runScenario(scenario, { checkSafety: true, trace, events: o.html ? (e) => events.push(e) : undefined, onProgress: progress?.onProgress });
      progress?.stop();
      if (!o.json) {
        console.log(summary(result.report));
        const problem = churnProblem(result);
        console.log(problem === null ? 'the property holds for this scenario' : `the property fails: ${problem}`);
      }
      if (o.html) {
        writeFileSync(o.html, runPicture(scenario, result.report, events));
        if (!o.json) console.log(`picture of the run: ${o.html}`);
      }
      const replayed = o.scenario ? { scenario: o.scenario } : { property: o.property, seed: o.seed, path: o.path };
      finishRun('replay', result.report, !!o.json, { replayed, ...(o.html ? { html: o.html } : {}) });
    });
}

function fromProperty(name: string, seed: number | undefined, path: string | undefined): Scenario {
  if (seed === undefined || path === undefined) throw new CliError('usage', 'give --seed and --path from the failure message, or --scenario FILE');
  try {
    return caseAt(name, seed, path);
  } catch (e) {
    throw new CliError('usage', (e as Error).message);
  }
}
