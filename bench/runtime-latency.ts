/**
 * Real-runtime figures on the seed's 7-peer ring of real processes on this machine:
 *  - put and get latency as a client sees it (median and p99), each through a peer chosen in
 *    turn, over one long-lived client connection per peer;
 *  - how long, in ping intervals, a predecessor takes to declare an abrupt departure: after
 *    `kill -9` (the kernel refuses connections at once) and after SIGSTOP (a hung peer or a
 *    dead machine: nothing answers, nothing refuses, only missed pings tell).
 *
 * Run: npm run build && node dist/bench/runtime-latency.js [--ops 200] [--ping 0.5] [--trials 5]
 */
import { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { integer, decimal } from '../cli/parse';
import { seedAddr } from '../runtime-node/address';
import { Client } from '../runtime-node/client';
import { ChordProcess, startSeedRing, waitRing, type Cleanup } from '../runtime-node/test-support';
import { SEED_RING } from '../runtime-node/launcher';

interface Flags {
  ops: number;
  ping: number;
  trials: number;
  portBase: number;
  size: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

function summary(name: string, samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  return `${name.padEnd(4)} n=${s.length}  median ${percentile(s, 0.5).toFixed(2)} ms  p99 ${percentile(s, 0.99).toFixed(2)} ms  max ${s[s.length - 1].toFixed(2)} ms`;
}

async function latency(o: Flags): Promise<void> {
  const clients = await Promise.all(SEED_RING.map((id) => Client.open(seedAddr(BigInt(id), o.portBase))));
  const value = randomBytes(o.size);
  const time = async (i: number, req: Parameters<Client['request']>[0]) => {
    const t0 = performance.now();
    const r = await clients[i % clients.length].request(req, 30_000);
    if (r.t === 'error') throw new Error(`${req.t} ${i}: ${r.error}`);
    return performance.now() - t0;
  };
  const puts: number[] = [];
  for (let i = 0; i < o.ops; i++) puts.push(await time(i, { t: 'put', key: `bench-${i}`, value }));
  const gets: number[] = [];
  // Read each record through a different peer than the one that stored it.
  for (let i = 0; i < o.ops; i++) gets.push(await time(i + 3, { t: 'get', key: `bench-${i}` }));
  for (const c of clients) c.close();
  console.log(`put/get latency, ${o.size}-byte values, 7 peers, r=3:`);
  console.log(`  ${summary('put', puts)}`);
  console.log(`  ${summary('get', gets)}`);
}

/** Takes a peer down with `signal`, times its predecessor's verdict, then brings it back. */
async function detection(cleanup: Cleanup, peers: Map<number, ChordProcess>, o: Flags, signal: 'SIGKILL' | 'SIGSTOP'): Promise<number[]> {
  const intervals: number[] = [];
  for (let trial = 0; trial < o.trials; trial++) {
    const at = 1 + (trial % (SEED_RING.length - 1));
    const victim = SEED_RING[at];
    const pred = peers.get(SEED_RING[at - 1])!;
    const from = pred.lines.length;
    const t0 = performance.now();
    peers.get(victim)!.kill(signal);
    const line = await pred.waitLine(new RegExp(`peer ${victim} is gone`), 60 * o.ping * 1000, from);
    intervals.push((line.at - t0) / (o.ping * 1000));
    peers.get(victim)!.kill('SIGKILL');
    await peers.get(victim)!.exit;
    peers.set(victim, new ChordProcess(cleanup, ['join', String(victim), String(SEED_RING[0]), String(o.ping), '--port-base', String(o.portBase)]));
    await waitRing(SEED_RING, o.portBase, 60_000);
  }
  return intervals;
}

function describeIntervals(name: string, xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `  ${name.padEnd(8)} median ${percentile(s, 0.5).toFixed(2)}, min ${s[0].toFixed(2)}, max ${s[s.length - 1].toFixed(2)} ping intervals (${xs.map((x) => x.toFixed(2)).join(', ')})`;
}

async function main(o: Flags): Promise<void> {
  const cleanups: (() => void)[] = [];
  const cleanup: Cleanup = { teardown: (fn) => void cleanups.push(fn) };
  try {
    const peers = startSeedRing(cleanup, SEED_RING, o.ping, o.portBase);
    await waitRing(SEED_RING, o.portBase, 30_000);
    await latency(o);
    const kill = await detection(cleanup, peers, o, 'SIGKILL');
    const stop = await detection(cleanup, peers, o, 'SIGSTOP');
    console.log(`time for the predecessor to declare a departed peer gone (ping ${o.ping} s, 3 missed pings allowed):`);
    console.log(describeIntervals('kill -9', kill));
    console.log(describeIntervals('SIGSTOP', stop));
  } finally {
    for (const fn of cleanups) fn();
  }
}

new Command('runtime-latency')
  .option('--ops <n>', 'puts, then gets', integer(1, 100_000), 200)
  .option('--ping <seconds>', 'ping interval of the peers', decimal(0.05, 60), 0.5)
  .option('--trials <n>', 'departures of each kind', integer(1, 100), 5)
  .option('--size <bytes>', 'value size', integer(0, 64 * 1024 * 1024), 1024)
  .option('--port-base <n>', 'peer N listens on port base + N', integer(1, 65_000), 26_000)
  .action((o: Flags) => main(o).catch((e: Error) => {
    console.error(`runtime-latency: ${e.message}`);
    process.exitCode = 1;
  }))
  .parse();
