/**
 * This project beside hyperdht and bittorrent-dht, in one process on 127.0.0.1, one system at a
 * time, alternating (each run starts with the next system), so that the ratios to hyperdht
 * compare the three on the same machine at the same moment. For each ring size, each system
 * starts its nodes, then runs four rows of requests, each request through the next node in turn,
 * 100-byte values, fresh random ones for every put: puts one at a time, gets of those one at a
 * time, puts with 32 in flight, gets of those with 32 in flight. Every get is checked to return
 * the bytes put, through a node other than the one that put them. Medians of --runs runs.
 *
 * What "put" and "get" are differs (bench/dht/chord.ts, hyperdht.ts, bittorrent.ts say exactly):
 * - chord-dht: a named record, stored on its primary and 2 replicas (r = 3), acknowledged by all
 *   three; a get asks the key's primary. Default timings (pings every second).
 * - hyperdht: immutable put (stored on up to the 20 closest nodes) and immutable get (stops at
 *   the first node answering with the value); its cheapest records, no signing.
 * - bittorrent-dht: BEP 44 immutable put (stored on every node its lookup got a token from) and
 *   get with its local cache off (stops at the first answer with the value).
 * Neither of the others' gets is answered from a cache: hyperdht's querying node never looks in
 * its own store, and bittorrent-dht's is switched off. Each system runs at its own defaults and
 * its own replication; the others store many more copies than r = 3, which is part of what
 * they cost.
 *
 * Messages: every UDP datagram and TCP frame the system's nodes sent during the row (bench/dht/
 * wire.ts), background traffic included, over the row's requests. Idle: messages a second per
 * node over --idle-seconds at the largest ring size when nothing is asked, the window opening a
 * second after the nodes serve every key.
 *
 * Run: npm run bench:dht [-- --peers 16,64] [--ops 200] [--runs 3] [--idle-seconds 5] [--systems chord-dht,hyperdht]
 */
import { Command, InvalidArgumentError } from 'commander';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { integer } from '../cli/parse';
import { bittorrent } from './dht/bittorrent';
import { chord } from './dht/chord';
import { hyperdht } from './dht/hyperdht';
import type { DhtSystem, Swarm } from './dht/swarm';
import { wireCounts, wireSince, type WireCounts } from './dht/wire';
import { median } from './stats';

interface Flags {
  peers: number[];
  ops: number;
  runs: number;
  inFlight: number;
  idleSeconds: number;
  systems: DhtSystem[];
}

const SYSTEMS = [chord, hyperdht, bittorrent];
const BASELINE = hyperdht;
const VALUE_BYTES = 100;
const START_TIMEOUT_MS = 120_000;
const ROW_TIMEOUT_MS = 120_000;
const SETTLE_MS = 1000;
/** Gets walk the values put in a different order than they were put: i * GET_STRIDE mod ops. */
const GET_STRIDE = 7;

interface Row {
  readonly opsPerSec: number;
  readonly wire: WireCounts;
}

interface Measure {
  readonly formedMs: number;
  readonly readyMs: number;
  /** Messages a second per node while nothing is asked; null where not measured. */
  readonly idle: { readonly datagrams: number; readonly frames: number } | null;
  readonly rows: Readonly<Record<string, Row>>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `p`, or a rejection naming `what` once `ms` have passed. */
async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms / 1000} s`)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `ops` requests, `inFlight` at a time, in order; their rate and what went on the wire meanwhile. */
async function row(ops: number, inFlight: number, request: (i: number) => Promise<void>): Promise<Row> {
  let next = 0;
  const lane = async () => {
    while (next < ops) await request(next++);
  };
  const before = wireCounts();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(inFlight, ops) }, lane));
  const seconds = (performance.now() - t0) / 1000;
  return { opsPerSec: ops / seconds, wire: wireSince(before) };
}

/** The four rows on a started swarm. */
async function rows(swarm: Swarm, o: Flags, what: string): Promise<Record<string, Row>> {
  const n = swarm.size;
  const batch = () => {
    const values = Array.from({ length: o.ops }, () => randomBytes(VALUE_BYTES));
    const refs: string[] = [];
    const put = async (i: number) => {
      refs[i] = await swarm.put(i % n, values[i]);
    };
    // Through the node after the one that put it.
    const get = async (i: number) => {
      const j = (i * GET_STRIDE) % o.ops;
      const found = await swarm.get((j + 1) % n, refs[j]);
      if (found === null) throw new Error(`${what}: value ${j} (${refs[j]}) not found`);
      if (!Buffer.from(values[j]).equals(Buffer.from(found))) throw new Error(`${what}: value ${j} (${refs[j]}) came back as other bytes`);
    };
    return { put, get };
  };
  const seq = batch();
  const par = batch();
  const timed = (name: string, inFlight: number, request: (i: number) => Promise<void>) =>
    within(ROW_TIMEOUT_MS, row(o.ops, inFlight, request), `${what}, ${name}`);
  return {
    'put seq': await timed('put seq', 1, seq.put),
    'get seq': await timed('get seq', 1, seq.get),
    [`put x${o.inFlight}`]: await timed('put in flight', o.inFlight, par.put),
    [`get x${o.inFlight}`]: await timed('get in flight', o.inFlight, par.get),
  };
}

async function measure(system: DhtSystem, n: number, o: Flags, idle: boolean): Promise<Measure> {
  const what = `${system.name} with ${n} nodes`;
  const swarm = await within(START_TIMEOUT_MS, system.start(n), `${what}, starting`);
  try {
    let idleRate: Measure['idle'] = null;
    if (idle) {
      await sleep(SETTLE_MS);
      const before = wireCounts();
      await sleep(o.idleSeconds * 1000);
      const w = wireSince(before);
      idleRate = { datagrams: w.datagrams / o.idleSeconds / n, frames: w.frames / o.idleSeconds / n };
    }
    const done = await rows(swarm, o, what);
    if (done['put seq'].wire[system.puts] === 0) throw new Error(`${what}: no ${system.puts} counted for ${o.ops} puts: bench/dht/wire.ts no longer sees how this system sends`);
    return { formedMs: swarm.formedMs, readyMs: swarm.readyMs, idle: idleRate, rows: done };
  } finally {
    await within(START_TIMEOUT_MS, swarm.close(), `${what}, closing`);
  }
}

const fixed = (x: number, digits: number, width: number) => x.toFixed(digits).padStart(width);

function report(n: number, o: Flags, runs: ReadonlyMap<DhtSystem, Measure[]>): void {
  const med = (s: DhtSystem, pick: (m: Measure) => number) => median((runs.get(s) ?? []).map(pick));
  const messages = (w: WireCounts) => w.datagrams + w.frames;
  const base = runs.has(BASELINE) ? BASELINE : null;
  console.log(`\n${n} nodes: formed in ${o.systems.map((s) => `${s.name} ${med(s, (m) => m.formedMs).toFixed(0)} ms${s === chord ? ` (serving every key at ${med(s, (m) => m.readyMs).toFixed(0)} ms)` : ''}`).join(', ')}`);
  console.log(`row      system             ops/s  ${base ? 'x hyperdht' : ''}  dgrams/op  frames/op  msgs/op  ${base ? 'msgs x hyperdht' : ''}  bytes/op`);
  const rowNames = Object.keys(runs.get(o.systems[0])?.[0]?.rows ?? {});
  for (const name of rowNames) {
    for (const s of o.systems) {
      const perOp = (pick: (w: WireCounts) => number) => med(s, (m) => pick(m.rows[name].wire) / o.ops);
      const rate = med(s, (m) => m.rows[name].opsPerSec);
      const msgs = perOp(messages);
      const vs = (mine: number, theirs: number) => (base ? fixed(mine / theirs, 2, 10) : '');
      console.log(
        `${(s === o.systems[0] ? name : '').padEnd(8)} ${s.name.padEnd(15)} ${fixed(rate, 0, 8)}  ${vs(rate, base ? med(base, (m) => m.rows[name].opsPerSec) : 1)}` +
          `  ${fixed(perOp((w) => w.datagrams), 1, 9)}  ${fixed(perOp((w) => w.frames), 1, 9)}  ${fixed(msgs, 1, 7)}  ` +
          `${base ? fixed(msgs / med(base, (m) => messages(m.rows[name].wire) / o.ops), 2, 15) : ''}  ${fixed(perOp((w) => w.bytes), 0, 8)}`,
      );
    }
  }
  const idle = o.systems.filter((s) => runs.get(s)?.[0]?.idle);
  if (idle.length === 0) return;
  console.log(`idle, messages a second per node over ${o.idleSeconds} s (datagrams + frames):`);
  for (const s of idle) {
    const d = med(s, (m) => m.idle?.datagrams ?? 0);
    const f = med(s, (m) => m.idle?.frames ?? 0);
    console.log(`  ${s.name.padEnd(15)} ${fixed(d + f, 2, 7)}  (${d.toFixed(2)} + ${f.toFixed(2)}; ${((d + f) * n).toFixed(0)} a second for all ${n})`);
  }
}

async function main(o: Flags): Promise<void> {
  const idleAt = o.idleSeconds > 0 ? Math.max(...o.peers) : null;
  console.log(`bench:dht: ${o.systems.map((s) => s.name).join(', ')} in one process on 127.0.0.1, alternating; ${VALUE_BYTES}-byte values, ${o.ops} requests per row; medians of ${o.runs} runs`);
  for (const s of o.systems) console.log(`  ${s.name}: put = ${s.put}; get = ${s.get}`);
  console.log('  msgs/op: UDP datagrams and TCP frames sent by all nodes during the row, background included, per request');
  for (const n of o.peers) {
    const runs = new Map<DhtSystem, Measure[]>(o.systems.map((s) => [s, []]));
    for (let run = 0; run < o.runs; run++) {
      for (let k = 0; k < o.systems.length; k++) {
        const s = o.systems[(run + k) % o.systems.length];
        runs.get(s)?.push(await measure(s, n, o, n === idleAt));
      }
    }
    report(n, o, runs);
  }
}

function systemsOf(list: string): DhtSystem[] {
  const names = list.split(',').map((x) => x.trim());
  return names.map((name) => {
    const s = SYSTEMS.find((x) => x.name === name);
    if (s === undefined) throw new InvalidArgumentError(`unknown system "${name}" (known: ${SYSTEMS.map((x) => x.name).join(', ')})`);
    return s;
  });
}

const program = new Command('dht')
  .description('this project beside hyperdht and bittorrent-dht: puts and gets, messages per request, idle traffic')
  .option('--peers <list>', 'ring sizes, comma-separated', (v: string) => v.split(',').map(integer(2, 1024)), [16, 64])
  .option('--ops <n>', 'requests per row', integer(1, 100_000), 200)
  .option('--runs <n>', 'runs of each (the median is reported)', integer(1, 20), 3)
  .option('--in-flight <n>', 'requests in flight in the concurrent rows', integer(2, 1024), 32)
  .option('--idle-seconds <n>', 'idle window at the largest size (0: none)', integer(0, 600), 5)
  .option('--systems <list>', 'which systems, comma-separated', systemsOf, SYSTEMS)
  .action((o: Flags) => main(o));
program.parseAsync().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
