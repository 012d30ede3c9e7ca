// npm runs `prepare` after every install of this project (npm ci, npm install) and before
// npm pack. With the dev dependencies it compiles dist/. A production install (npm ci
// --omit=dev) has no TypeScript to compile with: it keeps the dist/ built before, and says so,
// or fails with what to do when there is none.
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The project's own install only: a TypeScript in some folder above is not this project's.
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

if (existsSync(tsc)) {
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else if (existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  console.log('no TypeScript installed (a production install): using dist/ as built before');
} else {
  console.error('dist/ is not built and TypeScript is not installed: run `npm ci` with the dev dependencies first (it builds dist/), then `npm ci --omit=dev` if you want only the production ones');
  process.exit(1);
}
