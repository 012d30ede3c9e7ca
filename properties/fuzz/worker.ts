/**
 * A fuzz worker thread: runs its share of the campaign's scenarios one after another and reports
 * each; asks the main thread before shrinking a failure (one bug is shrunk once, whichever
 * worker meets it first); stops after the current case when told to.
 */
import { parentPort } from 'node:worker_threads';
import { fuzzCase } from './case';
import type { FromWorker, ToWorker } from './messages';
import { Plan } from './plan';

const port = parentPort;
if (port === null) throw new Error('properties/fuzz/worker runs as a worker thread of chord fuzz');

let stopping = false;
let nextAsk = 1;
const answers = new Map<number, (shrink: boolean) => void>();

function post(m: FromWorker): void {
  port?.postMessage(m);
}

async function work(start: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const { plan: p, worker, workers, runs, shrinkMs } = start;
  const plan = new Plan(p.seed, p.shard, p.generators, p.determinism);
  const control = {
    shrinkMs,
    stopping: () => stopping,
    shouldShrink: (signature: string) =>
      new Promise<boolean>((resolve) => {
        const id = nextAsk++;
        answers.set(id, resolve);
        post({ type: 'ask-shrink', worker, id, signature });
      }),
  };
  for (let j = start.from; !stopping && (runs === null || j < runs); j += workers) {
    const g = plan.campaignIndex(j);
    const generator = plan.generatorOf(g);
    const seed = plan.seedOf(g);
    post({ type: 'begin', worker, j, g, generator, seed });
    const outcome = await fuzzCase(generator, seed, plan.twiceOf(g), control);
    post({ type: 'case', worker, g, stats: outcome.stats });
    if (outcome.failure !== null) post({ type: 'failure', worker, g, failure: outcome.failure });
    // Let the stop and shrink answers in between two cases.
    await new Promise((resolve) => setImmediate(resolve));
  }
  post({ type: 'done', worker });
}

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'start':
      void work(m);
      return;
    case 'shrink-answer':
      answers.get(m.id)?.(m.shrink);
      answers.delete(m.id);
      return;
    case 'stop':
      stopping = true;
      return;
  }
});
