/**
 * How fast a ring forms: n real peers in this process (127.0.0.1, system ports, the default
 * timings: 1 s pings and stabilize rounds, a finger lookup every 0.5 s), all started at
 * once through one bootstrap peer. Reports, medians of --runs runs, the time until every peer is
 * a member whose successor and predecessor are its ring neighbours (ideal), and until every
 * peer's every finger is the true successor of its start. Targets (issue: fast formation): 64
 * peers ideal within 2 s, fingers within 5 s.
 *
 * Run: npm run build && node dist/bench/formation.js [--peers 16,64] [--runs 3]
 */
import { Command } from 'commander';
import { performance } from 'node:perf_hooks';
import { integer } from '../cli/parse';
import { bigIntOf, fingerStart } from '../core/id';
import type { PeerState } from '../core/types';
import { startPeer, type PeerHandle } from '../runtime-node/peer-driver';
import { median } from './stats';

const BITS = 160;
const POLL_MS = 10;
const GIVE_UP_MS = 60_000;

/** The first of the sorted `ids` at or after `x`, round the ring. */
function successorOf(ids: readonly bigint[], x: bigint): bigint {
  return ids.find((id) => id >= x) ?? ids[0];
}

function ideal(states: readonly PeerState[]): boolean {
  const n = states.length;
  return states.every((s, i) => s.phase.name === 'member' && s.succs[0]?.id === states[(i + 1) % n].self.id && s.pred?.id === states[(i + n - 1) % n].self.id);
}

function fingersRight(states: readonly PeerState[], ids: readonly bigint[]): boolean {
  return states.every((s) => s.fingers.slots.every((f, k) => f !== null && bigIntOf(f) === successorOf(ids, bigIntOf(fingerStart(s.self, k, BITS)))));
}

/** One formation: ms until ideal and until every finger is right (null: not within GIVE_UP_MS). */
async function form(n: number): Promise<{ ideal: number | null; fingers: number | null }> {
  const t0 = performance.now();
  const first = await startPeer({ bits: BITS, start: { kind: 'create' } });
  const peers: PeerHandle[] = [first];
  try {
    peers.push(...await Promise.all(Array.from({ length: n - 1 }, () => startPeer({ bits: BITS, start: { kind: 'join', via: first.self.addr } }))));
    peers.sort((a, b) => (a.self.id < b.self.id ? -1 : 1));
    const ids = peers.map((p) => bigIntOf(p.self));
    let idealAt: number | null = null;
    while (performance.now() - t0 < GIVE_UP_MS) {
      const states = peers.map((p) => p.state());
      if (idealAt === null && ideal(states)) idealAt = performance.now() - t0;
      if (idealAt !== null && fingersRight(states, ids)) return { ideal: idealAt, fingers: performance.now() - t0 };
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return { ideal: idealAt, fingers: null };
  } finally {
    await Promise.all(peers.map((p) => p.close()));
  }
}

const ms = (x: number | null): string => (x === null ? `over ${GIVE_UP_MS / 1000} s` : `${Math.round(x)} ms`);

async function main(o: { peers: number[]; runs: number }): Promise<void> {
  console.log(`formation: peers started at once through one bootstrap, default timings, ${BITS} bits; medians of ${o.runs} runs`);
  for (const n of o.peers) {
    const runs: { ideal: number | null; fingers: number | null }[] = [];
    for (let i = 0; i < o.runs; i++) runs.push(await form(n));
    const med = (pick: (r: (typeof runs)[number]) => number | null) => {
      const xs = runs.map(pick);
      return xs.includes(null) ? null : median(xs as number[]);
    };
    console.log(`${String(n).padStart(4)} peers: ideal ring ${ms(med((r) => r.ideal))}, every finger ${ms(med((r) => r.fingers))}  (runs: ${runs.map((r) => `${ms(r.ideal)}/${ms(r.fingers)}`).join(', ')})`);
  }
}

const program = new Command('formation')
  .option('--peers <list>', 'ring sizes, comma-separated', (v: string) => v.split(',').map(integer(1, 4096)), [16, 64])
  .option('--runs <n>', 'runs per size', integer(1, 100), 3)
  .action((o: { peers: number[]; runs: number }) => main(o).then(() => process.exit(0)));
program.parse();
