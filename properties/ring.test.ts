/**
 * The property runs of the default `npm test`. CHORD_PROPERTY_RUNS scales every run (the
 * mutation run lowers it, a soak raises it); FC_SEED fixes fast-check's seed.
 */
import test from 'ava';
import { runProperty } from './ring-properties';

const scale = Number(process.env.CHORD_PROPERTY_RUNS ?? 500);
const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);

const RUNS: Record<string, number> = {
  churn: scale,
  'churn-large': Math.max(5, Math.round(scale / 5)),
  membership: Math.max(5, Math.round(scale / 2)),
  // chord sim's own scenarios: rings of 16 to 128 peers, each a second or more.
  sim: Math.max(3, Math.round(scale / 50)),
  determinism: Math.max(5, Math.round(scale / 10)),
};

for (const [name, runs] of Object.entries(RUNS)) {
  test(`property ${name} holds over ${runs} generated scenarios`, (t) => {
    const failure = runProperty(name, runs, seed);
    if (failure !== null) t.fail(failure);
    else t.pass();
  });
}
