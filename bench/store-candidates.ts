/**
 * The embedded databases a durable peer could keep its records in, measured on what a peer does
 * with them: one write transaction per step (a put of one record, as a store's step makes) and a
 * point read, for 100 B and 1 MiB values, with durability on (each commit flushed with fsync
 * before it returns) and off (the operating system writes it back when it likes). Medians of
 * several runs, every candidate in the same process on the same disk.
 *
 * Run: npm run build && node dist/bench/store-candidates.js [--runs 5] [--dir DIR]
 */
import { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { open as openLmdb } from 'lmdb';
import { integer } from '../cli/parse';
import { median } from './stats';

/** One candidate opened in a fresh directory: put and get, each one operation. */
interface Store {
  put(key: string, value: Buffer): unknown;
  get(key: string): unknown;
  close(): unknown;
}

type Opener = (dir: string, durable: boolean) => Store | Promise<Store>;

const candidates: Record<string, Opener> = {
  'LMDB (lmdb 3)': (dir, durable) => {
    const db = openLmdb<Buffer, string>({ path: dir, noSync: !durable, overlappingSync: false, encoding: 'binary', compression: false });
    return {
      put: (k, v) => db.transactionSync(() => db.putSync(k, v)),
      get: (k) => db.getBinary(k),
      close: () => db.close(),
    };
  },
  'LevelDB (classic-level 3)': async (dir, durable) => {
    const { ClassicLevel } = await measuredOnly<{ ClassicLevel: new (dir: string, o: object) => LevelDb }>('classic-level');
    const db = new ClassicLevel(dir, { valueEncoding: 'buffer' });
    await db.open();
    return {
      put: (k, v) => db.put(k, v, { sync: durable }),
      get: (k) => db.get(k),
      close: () => db.close(),
    };
  },
  'SQLite (better-sqlite3 12)': async (dir, durable) => {
    const Database = (await measuredOnly<{ default: new (file: string) => SqliteDb }>('better-sqlite3')).default;
    const db = new Database(join(dir, 'records.db'));
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durable ? 'FULL' : 'OFF'}`);
    db.exec('CREATE TABLE r (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID');
    const put = db.prepare('INSERT OR REPLACE INTO r (k, v) VALUES (?, ?)');
    const get = db.prepare('SELECT v FROM r WHERE k = ?').pluck();
    return { put: (k, v) => put.run(k, v), get: (k) => get.get(k), close: () => db.close() };
  },
};

/** The little of classic-level's and better-sqlite3's APIs measured here. */
interface LevelDb {
  open(): Promise<void>;
  put(k: string, v: Buffer, o: { sync: boolean }): Promise<void>;
  get(k: string): Promise<unknown>;
  close(): Promise<void>;
}
interface SqliteStatement {
  run(...args: unknown[]): unknown;
  get(...args: unknown[]): unknown;
  pluck(): SqliteStatement;
}
interface SqliteDb {
  pragma(p: string): unknown;
  exec(sql: string): unknown;
  prepare(sql: string): SqliteStatement;
  close(): unknown;
}

/**
 * The candidates not chosen are not installed by `npm ci` (better-sqlite3 has no prebuilt binary
 * from the registry and compiles for minutes): `npm install --no-save classic-level
 * better-sqlite3` before measuring them; without, they are skipped and said so.
 */
async function measuredOnly<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch {
    throw new Error(`${name} is not installed (npm install --no-save ${name} to measure it)`);
  }
}

interface Case {
  readonly bytes: number;
  readonly count: number;
}

/** Milliseconds per put and per get of one run: `count` records written one by one, then read. */
async function run(open: Opener, durable: boolean, c: Case, root: string): Promise<{ put: number; get: number }> {
  const dir = mkdtempSync(join(root, 'store-'));
  const store = await open(dir, durable);
  const values = Array.from({ length: 8 }, () => randomBytes(c.bytes));
  try {
    const t0 = performance.now();
    for (let i = 0; i < c.count; i++) await store.put(`key-${i}`, values[i % values.length]);
    const t1 = performance.now();
    for (let i = 0; i < c.count; i++) await store.get(`key-${(i * 7919) % c.count}`);
    const t2 = performance.now();
    return { put: (t1 - t0) / c.count, get: (t2 - t1) / c.count };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (ms: number): string => (ms < 0.1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);

async function main(): Promise<void> {
  const o = new Command()
    .option('--runs <n>', 'runs per measurement (the median is reported)', integer(1, 100), 5)
    .option('--dir <dir>', 'where the databases go (the disk a peer would use)', tmpdir())
    .parse()
    .opts<{ runs: number; dir: string }>();
  const root = mkdtempSync(join(o.dir, 'chord-store-bench-'));
  const cases: Case[] = [
    { bytes: 100, count: 300 },
    { bytes: 1 << 20, count: 30 },
  ];
  console.log(`median of ${o.runs} runs; one transaction per put; dir ${o.dir}`);
  console.log('| store | durability | value | put | get |');
  console.log('| --- | --- | --- | --- | --- |');
  try {
    for (const [name, open] of Object.entries(candidates)) {
      try {
        await (await open(mkdtempSync(join(root, 'probe-')), false)).close();
      } catch (e) {
        console.log(`| ${name} | skipped: ${(e as Error).message} | | | |`);
        continue;
      }
      for (const durable of [true, false]) {
        for (const c of cases) {
          const runs = [];
          for (let i = 0; i < o.runs; i++) runs.push(await run(open, durable, c, root));
          const label = c.bytes === 100 ? '100 B' : '1 MiB';
          console.log(`| ${name} | ${durable ? 'fsync' : 'off'} | ${label} | ${fmt(median(runs.map((r) => r.put)))} | ${fmt(median(runs.map((r) => r.get)))} |`);
        }
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

void main();
