/**
 * Puts and gets on two rings of real peers in one process (UDP and TCP over 127.0.0.1), one open
 * and one closed by a ring key, side by side, so that what the key costs on the ring's own
 * traffic (a MAC on every frame and datagram, a handshake per new connection) shows as a ratio
 * measured on the same machine at the same moment. Requests enter through the peers' in-process
 * client API, each through the next peer in turn, 100-byte values: sequential, and with 32 in
 * flight.
 *
 * What makes the two sides comparable:
 * - the rings differ only by the key: the same peer IDs (so the same fingers, routes and
 *   primaries), the same keys through the same peers, the same timings;
 * - both rings are up at once, each run builds both afresh, and the requests alternate between
 *   them: every row is measured in halves, open, keyed, keyed, open (the other way round in odd
 *   runs), so that a change of the machine's load within a row falls on both sides alike; each
 *   side's rounds (pings, stabilize, fingers, digests) run through the other's measurements too;
 * - measuring starts once every peer is a member next to its ideal neighbours, with its ideal
 *   fingers, holding its whole primary range (before that a primary answers "not ready" and the
 *   client's put backs off a ping interval: one such back-off used to make a whole row four times
 *   slower, on either side);
 * - every row runs twice: the first pass opens the connections the row needs (the key's
 *   handshake, or the open ring's proof of address, per new connection) and is reported apart,
 *   as "first pass"; the second pass, on open connections, is the MAC's cost per message;
 * - besides operations per second, the process's CPU time per operation (user and system), less
 *   both rings' own rounds (timed idle just before), which other programs sharing the machine
 *   disturb less than they do the rate;
 * - a row's ratio is the median over the runs of each run's ratio.
 *
 * Run: npm run build && node dist/bench/ring-ops.js [--peers 16,64] [--ops 400] [--runs 3]
 *      [--profile DIR] (after the last run, a CPU profile of one more second pass of each side)
 */
import { Command } from 'commander';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { integer } from '../cli/parse';
import { isReady } from '../core/coverage';
import { bigIntOf, same } from '../core/id';
import { startPeer, type PeerHandle } from '../runtime-node/peer-driver';
import { RingKey } from '../runtime-node/ring-key';
import { median } from './stats';

interface Flags {
  peers: string;
  ops: number;
  runs: number;
  profile?: string;
}

type Side = 'open' | 'keyed';
const SIDES: readonly Side[] = ['open', 'keyed'];

/** What some requests took: wall time, and CPU time less the rings' own rounds. */
interface Tally {
  readonly ops: number;
  readonly seconds: number;
  readonly cpuUs: number;
}

type Rows = Record<string, Tally>;

interface Row {
  readonly name: string;
  readonly inFlight: number;
  /** Request i of the row through peer p. */
  op(p: PeerHandle, i: number): Promise<void>;
}

const BITS = 32;
const PING_MS = 500;
const SETTLE_MS = 120_000;
/** How long the rings' own rounds are timed, idle, before the requests. */
const ROUNDS_MS = 2000;
const VALUE = randomBytes(100);

function rows(ops: number): Row[] {
  const put = (offset: number) => (p: PeerHandle, i: number) => p.put(`k${i + offset}`, VALUE).then(check);
  const get = (p: PeerHandle, i: number) => p.get(`k${(i * 7) % ops}`).then(check);
  return [
    { name: 'put seq', inFlight: 1, op: put(0) },
    { name: 'get seq', inFlight: 1, op: get },
    { name: 'put x32', inFlight: 32, op: put(ops) },
    { name: 'get x32', inFlight: 32, op: get },
  ];
}

function check(r: Awaited<ReturnType<PeerHandle['put']>>): void {
  if (!r.ok) throw new Error(`${r.op} failed: ${r.error}`);
}

/** The same IDs for both rings: deterministic, spread as SHA-1 spreads addresses. */
function peerIds(n: number): bigint[] {
  const ids = new Set<bigint>();
  for (let i = 0; ids.size < n; i++) ids.add(BigInt(`0x${createHash('sha1').update(`ring-ops peer ${i}`).digest('hex').slice(0, BITS / 4)}`));
  return [...ids];
}

async function ring(ids: readonly bigint[], ringKey: RingKey | null): Promise<PeerHandle[]> {
  const common = { bits: BITS, pingInterval: PING_MS, ringKey };
  const first = await startPeer({ ...common, id: ids[0], start: { kind: 'create' } });
  const peers = [first];
  for (const id of ids.slice(1)) peers.push(await startPeer({ ...common, id, start: { kind: 'join', via: first.self.addr } }));
  return peers;
}

/**
 * Until every peer's successor and predecessor are its neighbours on the ideal ring, its fingers
 * are the ideal ones (so that both rings route every request alike), and it holds its whole
 * primary range (core/coverage.ts): until then puts may be refused as "not ready" and back off.
 */
async function ready(peers: readonly PeerHandle[]): Promise<void> {
  const sorted = [...peers].sort((a, b) => (a.self.id < b.self.id ? -1 : 1));
  const ids = sorted.map((p) => bigIntOf(p.self));
  /** The first peer at or after x, round the ring. */
  const successor = (x: bigint) => sorted[Math.max(0, ids.findIndex((id) => id >= x))];
  const deadline = Date.now() + SETTLE_MS;
  while (Date.now() < deadline) {
    const ideal = sorted.every((p, i) => {
      const s = p.state();
      const fingers = s.fingers.slots.every((f, k) => f !== null && same(f, successor((ids[i] + (1n << BigInt(k))) % (1n << BigInt(BITS))).self));
      return s.phase.name === 'member' && s.succs[0]?.id === sorted[(i + 1) % sorted.length].self.id
        && s.pred?.id === sorted[(i + sorted.length - 1) % sorted.length].self.id && fingers && isReady(s, performance.now());
    });
    if (ideal) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`a ring of ${peers.length} peers did not settle in ${SETTLE_MS / 1000} s`);
}

/** CPU time (µs) a second the process takes with no requests: the rings' own rounds. */
async function background(ms: number): Promise<number> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / ((performance.now() - t0) / 1000);
}

/** Requests `from` to `to` of a row, `row.inFlight` at a time, each through the next peer. */
async function tally(peers: readonly PeerHandle[], rounds: number, row: Row, from: number, to: number): Promise<Tally> {
  let next = from;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const lane = async () => {
    while (next < to) {
      const i = next++;
      await row.op(peers[i % peers.length], i);
    }
  };
  await Promise.all(Array.from({ length: row.inFlight }, lane));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { ops: to - from, seconds, cpuUs: cpu.user + cpu.system - rounds * seconds };
}

function sum(a: Tally, b: Tally): Tally {
  return { ops: a.ops + b.ops, seconds: a.seconds + b.seconds, cpuUs: a.cpuUs + b.cpuUs };
}

const opsPerSec = (t: Tally) => t.ops / t.seconds;
const cpuPerOp = (t: Tally) => t.cpuUs / t.ops;

interface Run {
  readonly first: Record<Side, Rows>;
  readonly second: Record<Side, Rows>;
  /** CPU µs a second both rings take idle. */
  readonly rounds: number;
}

/** Both rings, every row's first pass side after side, then its second in alternating halves. */
async function run(ids: readonly bigint[], key: RingKey, o: Flags, order: readonly Side[], profile: string | null): Promise<Run> {
  const rings = {} as Record<Side, PeerHandle[]>;
  try {
    for (const side of order) rings[side] = await ring(ids, side === 'keyed' ? key : null);
    await Promise.all(order.map((side) => ready(rings[side])));
    const rounds = await background(ROUNDS_MS);
    const first: Record<Side, Rows> = { open: {}, keyed: {} };
    const second: Record<Side, Rows> = { open: {}, keyed: {} };
    const half = Math.floor(o.ops / 2);
    for (const row of rows(o.ops)) {
      for (const side of order) first[side][row.name] = await tally(rings[side], rounds, row, 0, o.ops);
    }
    for (const row of rows(o.ops)) {
      const [a, b] = order;
      const a1 = await tally(rings[a], rounds, row, 0, half);
      const b1 = await tally(rings[b], rounds, row, 0, half);
      const b2 = await tally(rings[b], rounds, row, half, o.ops);
      const a2 = await tally(rings[a], rounds, row, half, o.ops);
      second[a][row.name] = sum(a1, a2);
      second[b][row.name] = sum(b1, b2);
    }
    if (profile !== null) {
      for (const side of order) {
        await profiled(join(profile, `${side}-${ids.length}.cpuprofile`), async () => {
          for (const row of rows(o.ops)) await tally(rings[side], rounds, row, 0, o.ops);
        });
      }
    }
    return { first, second, rounds };
  } finally {
    await Promise.all(Object.values(rings).flat().map((p) => p.close()));
  }
}

/** Runs `f` under the CPU profiler and writes the profile to `file`. */
async function profiled(file: string, f: () => Promise<void>): Promise<void> {
  const session = new Session();
  session.connect();
  const post = (method: string) => new Promise<unknown>((resolve, reject) => session.post(method, (e, r) => (e ? reject(e) : resolve(r))));
  await post('Profiler.enable');
  await post('Profiler.start');
  try {
    await f();
  } finally {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

function table(n: number, runs: readonly Record<Side, Rows>[], pass: string): void {
  for (const row of Object.keys(runs[0].open)) {
    const of = (side: Side, f: (t: Tally) => number) => median(runs.map((r) => f(r[side][row])));
    const ratios = runs.map((r) => opsPerSec(r.keyed[row]) / opsPerSec(r.open[row]));
    const cpu = median(runs.map((r) => cpuPerOp(r.keyed[row]) / cpuPerOp(r.open[row])));
    const spread = `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`;
    console.log(`${String(n).padStart(5)}  ${`${row}${pass}`.padEnd(19)} ${of('open', opsPerSec).toFixed(0).padStart(6)} ${of('keyed', opsPerSec).toFixed(0).padStart(7)}  ${median(ratios).toFixed(2)} (${spread})  ${of('open', cpuPerOp).toFixed(0).padStart(6)} ${of('keyed', cpuPerOp).toFixed(0).padStart(6)}  ${cpu.toFixed(2)}`);
  }
}

async function main(o: Flags): Promise<void> {
  const key = new RingKey(randomBytes(32));
  if (o.profile !== undefined) mkdirSync(o.profile, { recursive: true });
  console.log(`${o.ops} requests per row, 100-byte values, r = 3; medians of ${o.runs} runs, open and keyed rings side by side`);
  console.log('                             ops/s            keyed/open      CPU µs/op     keyed/open');
  console.log('peers  row                   open   keyed  ops/s (runs)      open  keyed  CPU');
  for (const n of o.peers.split(',').map(Number)) {
    const ids = peerIds(n);
    const runs: Run[] = [];
    for (let i = 0; i < o.runs; i++) {
      const order = i % 2 === 0 ? SIDES : [...SIDES].reverse();
      runs.push(await run(ids, key, o, order, o.profile !== undefined && i === o.runs - 1 ? o.profile : null));
    }
    table(n, runs.map((r) => r.second), '');
    table(n, runs.map((r) => r.first), ', first pass');
    console.log(`${String(n).padStart(5)}  both rings' own rounds, idle: ${(median(runs.map((r) => r.rounds)) / 1e4).toFixed(1)}% of a core`);
  }
}

const program = new Command('ring-ops')
  .option('--peers <list>', 'ring sizes, comma-separated', '16,64')
  .option('--ops <n>', 'requests per row', integer(2, 100_000), 400)
  .option('--runs <n>', 'runs of each (the median is reported)', integer(1, 20), 3)
  .option('--profile <dir>', 'after the last run, write a CPU profile of one more second pass of each side to DIR')
  .action(async (o: Flags) => main(o));
program.parseAsync().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
