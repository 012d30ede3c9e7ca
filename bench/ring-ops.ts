/**
 * Puts and gets on a ring of real peers in one process (UDP and TCP over 127.0.0.1), open and
 * closed by a ring key side by side, alternating, so that what the key costs on the ring's own
 * traffic (handshakes with each neighbour, a MAC on every frame and datagram) shows as a ratio
 * on the same machine at the same moment. Requests enter through the peers' in-process client
 * API, each through the next peer in turn, 100-byte values: sequential, and with 32 in flight.
 *
 * Run: npm run build && node dist/bench/ring-ops.js [--peers 16,64] [--ops 200] [--runs 3]
 */
import { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { integer } from '../cli/parse';
import { startPeer, type PeerHandle } from '../runtime-node/peer-driver';
import { RingKey } from '../runtime-node/ring-key';
import { median } from './stats';

interface Flags {
  peers: string;
  ops: number;
  runs: number;
}

const BITS = 32;
const PING_MS = 500;
const VALUE = randomBytes(100);

async function ring(n: number, ringKey: RingKey | null): Promise<PeerHandle[]> {
  const first = await startPeer({ bits: BITS, start: { kind: 'create' }, pingInterval: PING_MS, ringKey });
  const peers = [first];
  for (let i = 1; i < n; i++) peers.push(await startPeer({ bits: BITS, start: { kind: 'join', via: first.self.addr }, pingInterval: PING_MS, ringKey }));
  await settled(peers);
  return peers;
}

/** Until every peer's successor and predecessor are its neighbours on the ideal ring. */
async function settled(peers: readonly PeerHandle[]): Promise<void> {
  const sorted = [...peers].sort((a, b) => (a.self.id < b.self.id ? -1 : 1));
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const ideal = sorted.every((p, i) => {
      const s = p.state();
      return s.phase.name === 'member' && s.succs[0]?.id === sorted[(i + 1) % sorted.length].self.id && s.pred?.id === sorted[(i + sorted.length - 1) % sorted.length].self.id;
    });
    if (ideal) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`a ring of ${peers.length} peers did not settle in 120 s`);
}

/** Operations per second for `ops` requests, `inFlight` at a time, each through the next peer. */
async function rate(peers: readonly PeerHandle[], ops: number, inFlight: number, op: (p: PeerHandle, i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < ops) {
      const i = next++;
      await op(peers[i % peers.length], i);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return ops / ((performance.now() - t0) / 1000);
}

async function measure(n: number, ringKey: RingKey | null, o: Flags, run: number): Promise<Record<string, number>> {
  const peers = await ring(n, ringKey);
  const put = (p: PeerHandle, i: number) => p.put(`r${run}-${i}`, VALUE).then(check);
  const get = (p: PeerHandle, i: number) => p.get(`r${run}-${(i * 7) % o.ops}`).then(check);
  try {
    return {
      'put seq': await rate(peers, o.ops, 1, put),
      'get seq': await rate(peers, o.ops, 1, get),
      'put x32': await rate(peers, o.ops, 32, (p, i) => put(p, i + o.ops)),
      'get x32': await rate(peers, o.ops, 32, get),
    };
  } finally {
    await Promise.all(peers.map((p) => p.close()));
  }
}

function check(r: Awaited<ReturnType<PeerHandle['put']>>): void {
  if (!r.ok) throw new Error(`${r.op} failed: ${r.error}`);
}

async function main(o: Flags): Promise<void> {
  const key = new RingKey(randomBytes(32));
  console.log(`ops/s, ${o.ops} requests per row, 100-byte values, r = 3; median of ${o.runs} runs, open and keyed alternating`);
  console.log('peers  row        open     keyed   keyed/open');
  for (const n of o.peers.split(',').map(Number)) {
    const open: Record<string, number>[] = [];
    const keyed: Record<string, number>[] = [];
    for (let run = 0; run < o.runs; run++) {
      open.push(await measure(n, null, o, run));
      keyed.push(await measure(n, key, o, run));
    }
    for (const row of Object.keys(open[0])) {
      const a = median(open.map((r) => r[row]));
      const b = median(keyed.map((r) => r[row]));
      console.log(`${String(n).padStart(5)}  ${row.padEnd(8)} ${a.toFixed(0).padStart(7)} ${b.toFixed(0).padStart(9)}   ${(b / a).toFixed(2)}`);
    }
  }
}

const program = new Command('ring-ops')
  .option('--peers <list>', 'ring sizes, comma-separated', '16,64')
  .option('--ops <n>', 'requests per row', integer(1, 100_000), 200)
  .option('--runs <n>', 'runs of each (the median is reported)', integer(1, 20), 3)
  .action(async (o: Flags) => main(o));
program.parseAsync().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
