/**
 * This project in bench/dht.ts: a testnet of the library (lib/), at the default timings (pings
 * every second, as `chord peer` and `startPeer` run), 160-bit IDs, r = 3. A put stores a named
 * record (a fresh name per put) on its primary and two replicas and resolves once all three have
 * acknowledged it; a get asks the key's primary and returns its record.
 */
import { performance } from 'node:perf_hooks';
import { createTestnet, type ChordPeer } from '../../lib';
import { DEFAULT_PING_MS } from '../../runtime-node/timing';
import type { DhtSystem, Swarm } from './swarm';
import { countChordFrames, countNodeDatagrams } from './wire';

const FORM_TIMEOUT_MS = 60_000;
const READY_TIMEOUT_MS = 30_000;
const RETRY_MS = 100;

export const chord: DhtSystem = {
  name: 'chord-dht',
  put: 'a named record of 100 bytes, acknowledged by its r = 3 holders',
  get: "the record from its key's primary",
  puts: 'frames',
  async start(n: number): Promise<Swarm> {
    countNodeDatagrams();
    countChordFrames();
    const t0 = performance.now();
    const net = await createTestnet(n, { pingInterval: DEFAULT_PING_MS, timeout: FORM_TIMEOUT_MS });
    const formedMs = performance.now() - t0;
    try {
      await servingEveryKey(net.peers);
    } catch (e) {
      await net.close();
      throw e;
    }
    const readyMs = performance.now() - t0;
    let named = 0;
    return {
      size: n,
      formedMs,
      readyMs,
      async put(via, value) {
        const key = `v${named++}`;
        await net.peers[via].put(key, value);
        return key;
      },
      async get(via, key) {
        return (await net.peers[via].get(key))?.value ?? null;
      },
      close: () => net.close(),
    };
  },
};

/**
 * Until every peer serves the whole range it is primary for. createTestnet resolves once the ring
 * is ideal, but a primary answers for its range only once it holds all of it (README, Design:
 * "What a peer answers for"), which at the default timings comes seconds later; a put there is
 * refused as not ready meanwhile, and retried. A put whose key is the position just after a
 * peer's predecessor lands at the far end of that range: once it is acknowledged, the peer
 * answers for all of it. These records are the bench's own, outside what it measures.
 */
async function servingEveryKey(peers: readonly ChordPeer[]): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  await Promise.all(peers.map(async (p) => {
    const ring = 1n << BigInt(p.bits);
    for (;;) {
      const pred = p.state().predecessor;
      if (pred === null) throw new Error(`peer ${p.id} has no predecessor on an ideal ring`);
      const key = ((BigInt(pred.id) + 1n) % ring).toString();
      try {
        const stored = await p.put(key, 'ready');
        if (stored.holders[0]?.id === p.id) return;
        throw new Error(`key ${key} landed on peer ${stored.holders[0]?.id}, not on peer ${p.id}`);
      } catch (e) {
        if (performance.now() > deadline) throw new Error(`peer ${p.id} did not serve its range within ${READY_TIMEOUT_MS} ms: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }));
}
