/**
 * The rule scripts in core/rules/*.txt (format: core/testing/script.ts), one test per case.
 * With CHORD_REWRITE_RULES=1, a file with a failing case is written back with what came.
 */
import test from 'ava';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScript, runCase } from './testing/script';

const dir = join(__dirname, 'rules');
const rewrite = process.env.CHORD_REWRITE_RULES === '1';

for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
  const path = join(dir, file);
  const script = parseScript(readFileSync(path, 'utf8'));
  const results = script.cases.map(runCase);
  if (rewrite && results.some((r) => r.diff !== null)) {
    writeFileSync(path, [...script.head, ...results.flatMap((r) => r.rewritten)].join('\n') + '\n');
  }
  script.cases.forEach((c, k) => {
    test(`${file}:${c.line} ${c.title}`, (t) => {
      const { diff } = results[k];
      if (diff === null) t.pass();
      else t.fail(diff);
    });
  });
}
