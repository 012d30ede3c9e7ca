/**
 * hyperdht in bench/dht.ts: its own testnet (hyperdht/testnet), persistent nodes on 127.0.0.1
 * at its defaults. A put is an immutable put: a query for the 32-byte hash of the value that
 * stores it on the closest nodes it found (up to k = 20; every node, in a testnet of 16). A get
 * is an immutable get: a query for the hash that stops at the first node answering with a value
 * of that hash. The querying node does not look in its own store, so every get is answered over
 * the network. Immutable records are hyperdht's cheapest: a mutable put signs its value and a
 * mutable get verifies every answer and, by default, queries on for the latest.
 */
import { performance } from 'node:perf_hooks';
import createTestnet from 'hyperdht/testnet';
import type { DhtSystem, Swarm } from './swarm';
import { countUdxDatagrams } from './wire';

export const hyperdht: DhtSystem = {
  name: 'hyperdht',
  put: 'immutablePut of 100 bytes (stored on the closest nodes, up to 20)',
  get: 'immutableGet by hash (the first node answering with it)',
  puts: 'datagrams',
  async start(n: number): Promise<Swarm> {
    const t0 = performance.now();
    const net = await createTestnet(n);
    const formedMs = performance.now() - t0;
    const socket = net.nodes[0].io.serverSocket;
    if (socket === null) {
      await net.destroy();
      throw new Error('a hyperdht testnet node has no socket to count datagrams on');
    }
    countUdxDatagrams(Object.getPrototypeOf(socket) as object);
    return {
      size: n,
      formedMs,
      readyMs: formedMs,
      async put(via, value) {
        const { hash } = await net.nodes[via].immutablePut(value);
        return Buffer.from(hash).toString('hex');
      },
      async get(via, hash) {
        return (await net.nodes[via].immutableGet(Buffer.from(hash, 'hex')))?.value ?? null;
      },
      close: () => net.destroy(),
    };
  },
};
