/**
 * The package as a fresh project gets it: `npm pack`, then a new project that installs the
 * tarball (offline from npm's cache where it can: the dependencies are those `npm ci` fetched)
 * with its production dependencies only, type-checks a TypeScript file against the shipped
 * declarations, runs it (require) and an ES module (import), and runs the `chord` command.
 * Also a production install of this project itself (`npm ci --omit=dev`), whose CLI must run.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureBuilt } from '../runtime-node/test-support';

const ROOT = join(__dirname, '..');
const STEP_MS = 60_000;

test.before(ensureBuilt);

interface Ran {
  readonly code: number | null;
  readonly out: string;
}

function run(cwd: string, command: string, args: readonly string[]): Ran {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: STEP_MS, env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' } });
  return { code: r.status, out: `${command} ${args.join(' ')}\n${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}` };
}

/**
 * A temporary folder with no node_modules in it or above it, where Node would otherwise find
 * packages the project forgot to declare (a /tmp/node_modules left by someone, say).
 */
function isolatedDir(t: { teardown(fn: () => void): void }): string {
  const bare = (dir: string): boolean => !existsSync(join(dir, 'node_modules')) && (dirname(dir) === dir || bare(dirname(dir)));
  const base = [tmpdir(), '/var/tmp', homedir()].find(bare);
  if (base === undefined) throw new Error(`every candidate temporary folder has a node_modules in or above it: ${[tmpdir(), '/var/tmp', homedir()].join(', ')}`);
  const dir = mkdtempSync(join(base, 'chord-package-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const CONSUMER_TS = `
import { ChordError, createTestnet, type PeerRef, type StoredRecord } from 'chord-dht';

const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

async function main(): Promise<void> {
  const net = await createTestnet(3, { bits: 32 });
  try {
    const put = await net.peers[0].put('from a fresh project', 'it works');
    const holders: readonly PeerRef[] = put.holders;
    const record: StoredRecord | null = await net.peers[2].get('from a fresh project');
    if (record === null) throw new Error('the record is missing');
    const missing = await net.peers[1].get('never stored');
    console.log(JSON.stringify({ peers: net.peers.map((p) => p.id), holders: holders.length, value: text(record.value), version: record.version, missing }));
  } catch (e) {
    if (e instanceof ChordError) console.log('chord error', e.code);
    throw e;
  } finally {
    await net.close();
  }
}

void main();
`;

/** Must not type-check: the declarations say a record's id is a string. */
const WRONG_TS = `
import { startPeer } from 'chord-dht';

export async function wrong(): Promise<number> {
  const peer = await startPeer();
  const record = await peer.get('x');
  return record === null ? 0 : record.id;
}
`;

const CONSUMER_MJS = `
import { createTestnet, startPeer } from 'chord-dht';
import chord from 'chord-dht';

const net = await createTestnet(2, { bits: 16 });
const put = await net.peers[1].put('esm', new Uint8Array([1, 2, 3]));
const got = await net.peers[0].get('esm');
console.log(JSON.stringify({ startPeer: typeof startPeer, defaultImport: typeof chord.createTestnet, version: put.version, bytes: [...got.value] }));
await net.close();
`;

test('a fresh project installs the packed tarball, type-checks and runs its API, and runs chord with production dependencies only', async (t) => {
  t.timeout(4 * STEP_MS);
  const dir = isolatedDir(t);
  // Built already (ensureBuilt): packing need not build again.
  const pack = run(ROOT, 'npm', ['pack', '--ignore-scripts', '--pack-destination', dir, '--json']);
  t.is(pack.code, 0, pack.out);
  const packed = JSON.parse(pack.out.slice(pack.out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  const files = packed[0].files.map((f) => f.path);
  t.true(files.includes('dist/lib/index.d.ts') && files.includes('dist/cli/main.js') && files.includes('schema/cli-output.schema.json'), files.join('\n'));
  for (const f of files) t.false(/test-support|\.test\.|^dist\/bench\/|\.map$|^(core|cli|lib|runtime-node)\//.test(f), `${f} is not for the package`);

  const project = join(dir, 'consumer');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  // Scripts off: none of the dependencies has one, and the tarball's prepare is for its own repository.
  const install = run(project, 'npm', ['install', '--prefer-offline', '--no-package-lock', '--ignore-scripts', join(dir, packed[0].filename)]);
  t.is(install.code, 0, install.out);
  const installed = readdirSync(join(project, 'node_modules'));
  for (const dev of ['typescript', 'ava', 'ts-node', 'ajv', 'typedoc', 'eslint']) t.false(installed.includes(dev), `${dev} was installed with the package`);

  writeFileSync(join(project, 'use.ts'), CONSUMER_TS);
  writeFileSync(join(project, 'wrong.ts'), WRONG_TS);
  writeFileSync(join(project, 'use.mjs'), CONSUMER_MJS);
  const tsconfig = (files: string[]) => ({
    compilerOptions: {
      strict: true, target: 'ES2022', module: 'node16', moduleResolution: 'node16', skipLibCheck: false, outDir: 'out',
      // The consumer's own @types/node (this project's, not the package's business).
      typeRoots: [join(ROOT, 'node_modules', '@types')], types: ['node'],
    },
    files,
  });
  const tsc = require.resolve('typescript/bin/tsc');
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig(['use.ts'])));
  const checked = run(project, process.execPath, [tsc, '-p', '.']);
  t.is(checked.code, 0, checked.out);
  writeFileSync(join(project, 'tsconfig.wrong.json'), JSON.stringify(tsconfig(['wrong.ts'])));
  const wrong = run(project, process.execPath, [tsc, '-p', 'tsconfig.wrong.json', '--noEmit']);
  t.not(wrong.code, 0, wrong.out);
  t.regex(wrong.out, /wrong\.ts\(7,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);

  const cjs = run(project, process.execPath, ['out/use.js']);
  t.is(cjs.code, 0, cjs.out);
  const used = JSON.parse(cjs.out.trim().split('\n').at(-1)!) as { peers: string[]; holders: number; value: string; version: number; missing: null };
  t.like(used, { holders: 3, value: 'it works', version: 1, missing: null });
  t.is(used.peers.length, 3);
  const esm = run(project, process.execPath, ['use.mjs']);
  t.is(esm.code, 0, esm.out);
  t.deepEqual(JSON.parse(esm.out.trim().split('\n').at(-1)!), { startPeer: 'function', defaultImport: 'function', version: 1, bytes: [1, 2, 3] });

  const chord = join(project, 'node_modules', '.bin', 'chord');
  const version = run(project, chord, ['--version']);
  t.is(version.code, 0, version.out);
  t.regex(version.out, /^0\.1\.0$/m);
  const sim = run(project, chord, ['sim', '--peers', '4', '--duration', '1000', '--lookups', '5', '--records', '5', '--json']);
  t.is(sim.code, 0, sim.out);
  t.regex(sim.out, /"ok":true,"command":"sim"/);
  const replay = run(project, chord, ['replay', '--property', 'churn', '--seed', '1', '--path', '0', '--no-trace']);
  t.is(replay.code, 0, replay.out);
});

test('a production install of the project (npm ci --omit=dev) keeps the dist/ built before, and its chord runs', (t) => {
  const dir = isolatedDir(t);
  for (const f of ['package.json', 'package-lock.json', 'scripts', 'dist']) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  const ci = run(dir, 'npm', ['ci', '--omit=dev', '--prefer-offline']);
  t.is(ci.code, 0, ci.out);
  t.regex(ci.out, /using dist\/ as built before/);
  t.false(existsSync(join(dir, 'node_modules', 'typescript')));
  const help = run(dir, process.execPath, ['dist/cli/main.js', '--help']);
  t.is(help.code, 0, help.out);
  const sim = run(dir, process.execPath, ['dist/cli/main.js', 'sim', '--peers', '3', '--duration', '500', '--lookups', '3', '--records', '3']);
  t.is(sim.code, 0, sim.out);
  t.regex(sim.out, /^PASS$/m);
});
