/**
 * What `--data-dir` costs and how long a restart takes, medians of several runs:
 *  - put and get latency through a ring of 3 real peers in this process (r = 3, so each put is
 *    written on three disks), records in memory only against records in LMDB flushed with fsync,
 *    side by side, for 100 B and 1 MiB values;
 *  - a restart: a peer whose data directory holds N records (100k by default, 100 B each) started
 *    again, from startPeer to a member holding them all (opening the database and loading).
 *
 * Run: npm run build && node dist/bench/durable-peer.js [--runs 3] [--records 100000]
 */
import { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { keyOf } from '../edge/key-id';
import { integer } from '../cli/parse';
import { pointOfBigInt } from '../core/id';
import { startPeer, type PeerHandle } from '../runtime-node/peer-driver';
import { RecordStore } from '../runtime-node/record-store';
import { median } from './stats';

const BITS = 32;
const PING_MS = 200;

/** A ring of 3 grown through the first, each with its own directory under `dir` (or none), once settled. */
async function ring(dir: string | null): Promise<PeerHandle[]> {
  const opts = (i: number) => ({ bits: BITS, pingInterval: PING_MS, id: BigInt(i + 1) << 29n, ...(dir === null ? {} : { dataDir: join(dir, String(i)) }) });
  const first = await startPeer({ ...opts(0), start: { kind: 'create' } });
  const peers = [first];
  for (let i = 1; i < 3; i++) peers.push(await startPeer({ ...opts(i), start: { kind: 'join', via: first.self.addr } }));
  // Until every peer serves its range: past a settle time (5 pings), a put through each answers.
  await new Promise((resolve) => setTimeout(resolve, 10 * PING_MS));
  for (const p of peers) {
    for (let tries = 0; ; tries++) {
      const r = await p.put(`warm-${p.self.id}`, new Uint8Array(1));
      if (r.ok) break;
      if (tries > 100) throw new Error('the ring did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return peers;
}

/** Milliseconds per put and per get of `count` records of `bytes`, through peer 0. */
async function latency(peers: readonly PeerHandle[], bytes: number, count: number): Promise<{ put: number; get: number }> {
  const value = new Uint8Array(bytes).fill(7);
  const puts: number[] = [];
  const gets: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const r = await peers[0].put(`k${bytes}-${i}`, value);
    if (!r.ok) throw new Error(`put failed: ${r.error}`);
    puts.push(performance.now() - t0);
  }
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const r = await peers[0].get(`k${bytes}-${i}`);
    if (!r.ok) throw new Error(`get failed: ${r.error}`);
    gets.push(performance.now() - t0);
  }
  return { put: median(puts), get: median(gets) };
}

/** Milliseconds from startPeer to a member holding all `n` records its directory keeps. */
async function restart(root: string, n: number): Promise<number> {
  const dir = mkdtempSync(join(root, 'restart-'));
  const self = pointOfBigInt(1n << 31n, BITS);
  const store = RecordStore.open(dir, self, BITS);
  const value = new Uint8Array(100).fill(1);
  for (let i = 0; i < n; i += 10_000) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 10_000); j++) batch.push({ key: keyOf(`record-${j}`, BITS), value, version: 1, writer: self.id });
    store.persist(batch);
  }
  await store.close();
  const t0 = performance.now();
  const peer = await startPeer({ bits: BITS, id: 1n << 31n, pingInterval: PING_MS, dataDir: dir, start: { kind: 'create' } });
  const ms = performance.now() - t0;
  const held = peer.state().records.size;
  await peer.close();
  rmSync(dir, { recursive: true, force: true });
  if (held !== n) throw new Error(`the restarted peer holds ${held} records, not ${n}`);
  return ms;
}

const fmt = (ms: number): string => `${ms.toFixed(2)} ms`;

async function main(): Promise<void> {
  const o = new Command()
    .option('--runs <n>', 'runs per measurement (the median is reported)', integer(1, 50), 3)
    .option('--records <n>', 'records held by the restarted peer', integer(1, 10_000_000), 100_000)
    .parse()
    .opts<{ runs: number; records: number }>();
  const root = mkdtempSync(join(tmpdir(), 'chord-durable-bench-'));
  try {
    console.log(`ring of 3 peers (r = 3) in this process, put/get through one; median per operation, median of ${o.runs} runs`);
    console.log('| records | value | put | get |');
    console.log('| --- | --- | --- | --- |');
    for (const [bytes, count] of [[100, 100], [1 << 20, 20]] as const) {
      const rows = new Map<string, { put: number; get: number }[]>([['in memory', []], ['LMDB, fsync', []]]);
      for (let run = 0; run < o.runs; run++) {
        for (const [what, results] of rows) {
          const dir = what === 'in memory' ? null : mkdtempSync(join(root, 'ring-'));
          const peers = await ring(dir);
          try {
            results.push(await latency(peers, bytes, count));
          } finally {
            await Promise.all(peers.map((p) => p.close()));
            if (dir !== null) rmSync(dir, { recursive: true, force: true });
          }
        }
      }
      for (const [what, results] of rows) {
        console.log(`| ${what} | ${bytes === 100 ? '100 B' : '1 MiB'} | ${fmt(median(results.map((r) => r.put)))} | ${fmt(median(results.map((r) => r.get)))} |`);
      }
    }
    const restarts = [];
    for (let run = 0; run < o.runs; run++) restarts.push(await restart(root, o.records));
    console.log(`restart of a peer holding ${o.records} records of 100 B: ${fmt(median(restarts))} from start to a member holding them all (median of ${o.runs})`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

void main();
