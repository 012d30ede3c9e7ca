/**
 * Every failure the harness found, kept as its shrunk scenario (not its seed: seeds change
 * meaning when generators change) and checked against the same property as when it was found.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkChurn } from './ring-properties';
import type { Scenario } from '../sim/scenario';

const dir = join(__dirname, 'regressions');

for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  const { why, scenario } = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { why: string; scenario: Scenario };
  test(`regression ${file}: ${why}`, (t) => {
    t.notThrows(() => checkChurn(scenario));
  });
}
