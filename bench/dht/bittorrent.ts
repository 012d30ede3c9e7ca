/**
 * bittorrent-dht in bench/dht.ts: a swarm of n nodes on 127.0.0.1, the first without bootstrap
 * servers and each other one bootstrapped through it, started one after another once the one
 * before is ready (as hyperdht's testnet does), at the library's defaults (k = 20, 16 queries in
 * flight per node). A put is a BEP 44 immutable put: a lookup for the SHA-1 of the value that
 * collects write tokens, then the value to every node that gave one (keeping a copy in the
 * putting node too). A get is a BEP 44 get with `cache: false`: a lookup that stops at the first
 * answer carrying a value of that hash. Without it, a node that holds the value answers from its
 * own store without sending anything, which in a swarm of 16 (every put reaches every node) would
 * be every get.
 */
import { performance } from 'node:perf_hooks';
import type { DhtSystem, Swarm } from './swarm';
import { countNodeDatagrams } from './wire';

/** The part of bittorrent-dht's DHT class the bench uses (the package has no declarations). */
interface Node {
  listen(port: number, address: string, onListening: () => void): void;
  address(): { port: number };
  readonly ready: boolean;
  once(event: 'ready', listener: () => void): void;
  on(event: 'error' | 'warning', listener: (e: Error) => void): void;
  put(opts: { v: Buffer }, cb: (err: Error | null, hash: Buffer) => void): void;
  get(hash: Buffer, opts: { cache: boolean }, cb: (err: Error | null, found: { v: Buffer } | null) => void): void;
  destroy(cb: () => void): void;
}

type NodeClass = new (opts: { bootstrap: string[] | false; host: string }) => Node;

const HOST = '127.0.0.1';

/**
 * bittorrent-dht is an ES module only (its exports have no `require`), and this project compiles
 * to CommonJS, where TypeScript turns `import()` into `require()`: a function made at run time
 * keeps the real `import()`.
 */
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<{ default: NodeClass }>;

export const bittorrent: DhtSystem = {
  name: 'bittorrent-dht',
  put: 'BEP 44 immutable put of 100 bytes (to every node of the lookup that gave a token)',
  get: 'BEP 44 get by hash, cache off (the first node answering with it)',
  puts: 'datagrams',
  async start(n: number): Promise<Swarm> {
    countNodeDatagrams();
    const { default: DHT } = await importModule('bittorrent-dht');
    const t0 = performance.now();
    const nodes: Node[] = [];
    const close = () => Promise.all(nodes.map((d) => new Promise<void>((resolve) => d.destroy(resolve)))).then(() => undefined);
    try {
      let problem: Error | null = null;
      const start = async (bootstrap: string[] | false) => {
        const d = new DHT({ bootstrap, host: HOST });
        nodes.push(d);
        d.on('error', (e) => (problem ??= e));
        // Warnings are unanswered queries and bad replies, which the lookups get past.
        d.on('warning', () => undefined);
        await new Promise<void>((resolve) => d.listen(0, HOST, resolve));
        if (!d.ready) await new Promise<void>((resolve) => d.once('ready', resolve));
        if (problem !== null) throw problem;
        return d;
      };
      const first = await start(false);
      const via = [`${HOST}:${first.address().port}`];
      while (nodes.length < n) await start(via);
    } catch (e) {
      await close();
      throw e;
    }
    const formedMs = performance.now() - t0;
    return {
      size: n,
      formedMs,
      readyMs: formedMs,
      put: (via, value) => new Promise((resolve, reject) => {
        nodes[via].put({ v: Buffer.from(value) }, (err, hash) => (err ? reject(err) : resolve(hash.toString('hex'))));
      }),
      get: (via, hash) => new Promise((resolve, reject) => {
        nodes[via].get(Buffer.from(hash, 'hex'), { cache: false }, (err, found) => (err ? reject(err) : resolve(found?.v ?? null)));
      }),
      close,
    };
  },
};
