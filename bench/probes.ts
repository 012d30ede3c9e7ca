/**
 * The exhaustion probes: attacks a peer must bear within its limits (runtime-node/limits.ts),
 * shared by bench/exhaustion.ts (the peer's peak resident set under each) and
 * bench/hostile-load.ts (honest latency while they run).
 *  - idle: 10,000 connections that say they are peers, then nothing, from 40 loopback addresses;
 *  - slow-loris: 1,000 connections each declaring a 64 MiB message and trickling a byte a second;
 *  - non-reading client: 16 clients each sending 1,000 gets of a 1 MiB record, never reading;
 *  - deep frames: 16 connections each sending 63 MiB of a 64 MiB message as fast as they can;
 *  - garbage: 100,000 bad datagrams and 2,000 bad connections.
 */
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { parseAddr } from '../runtime-node/address';
import { ask } from '../runtime-node/client';
import { encodeRequest } from '../runtime-node/client-protocol';
import { CLIENT_PREAMBLE, PEER_PREAMBLE, toFrames } from '../runtime-node/framing';
import { MIB } from '../runtime-node/limits';
import { sleep } from '../runtime-node/test-support';

/** An attack under way: what it did, in a few words, so far; and the end of what it keeps doing. */
export interface Attack {
  describe(): string;
  stop(): void;
}

export interface Probe {
  readonly name: string;
  /** Starts the attack on the peer at `addr`, every socket it opens in `sockets` (closed by the caller). */
  start(addr: string, sockets: Socket[]): Promise<Attack>;
}

const held = (what: string): Attack => ({ describe: () => what, stop: () => undefined });

/** The n-th of 40 loopback source addresses, so that the cap per address is not all a probe meets. */
const source = (n: number) => `127.0.0.${2 + (n % 40)}`;

function open(addr: string, n: number, first: Buffer, sockets: Socket[]): Promise<Socket | null> {
  const hp = parseAddr(addr)!;
  return new Promise((resolve) => {
    const socket = connect({ host: hp.host, port: hp.port, localAddress: source(n) });
    sockets.push(socket);
    socket.on('error', () => resolve(null));
    socket.once('connect', () => resolve(socket));
    socket.write(first);
  });
}

/** Opens `count` connections, `batch` at a time; returns those still open after a moment. */
async function openMany(addr: string, count: number, batch: number, first: (i: number) => Buffer, sockets: Socket[]): Promise<Socket[]> {
  const opened: Socket[] = [];
  for (let i = 0; i < count; i += batch) {
    const got = await Promise.all(Array.from({ length: Math.min(batch, count - i) }, (_, j) => open(addr, i + j, first(i + j), sockets)));
    opened.push(...got.filter((s): s is Socket => s !== null));
  }
  await sleep(500);
  return opened.filter((s) => !s.destroyed && s.readyState === 'open');
}

const largeHeader = (() => {
  const [header] = toFrames(Buffer.alloc(64 * MIB));
  return header;
})();

export const PROBES: readonly Probe[] = [
  {
    name: 'idle connections',
    async start(addr, sockets) {
      const open = await openMany(addr, 10_000, 500, () => PEER_PREAMBLE, sockets);
      return held(`10000 opened, ${open.length} let in`);
    },
  },
  {
    name: 'slow-loris 64 MiB',
    async start(addr, sockets) {
      const open = await openMany(addr, 1000, 250, () => Buffer.concat([PEER_PREAMBLE, largeHeader]), sockets);
      const trickle = setInterval(() => open.forEach((s) => s.write(Buffer.from([0]))), 1000);
      return {
        describe: () => `1000 opened, ${open.length} holding a declared 64 MiB message, ${open.filter((s) => s.destroyed || s.readyState !== 'open').length} cut off since`,
        stop: () => clearInterval(trickle),
      };
    },
  },
  {
    name: 'non-reading clients',
    async start(addr, sockets) {
      await ask(addr, { t: 'put', key: 'big', value: Buffer.alloc(MIB, 1) }, 30_000);
      const gets = Buffer.concat(Array.from({ length: 1000 }, (_, i) => toFrames(encodeRequest({ t: 'get', rid: i + 1, key: 'big' }))).flat());
      const clients = await Promise.all(Array.from({ length: 16 }, (_, i) => open(addr, i, CLIENT_PREAMBLE, sockets)));
      for (const c of clients) {
        c?.pause();
        c?.write(gets);
      }
      return held('16 clients, 1000 gets of a 1 MiB record each, none read');
    },
  },
  {
    name: 'deep frames 16 x 63 MiB',
    async start(addr, sockets) {
      const frames = toFrames(Buffer.alloc(64 * MIB, 2));
      const deep = Buffer.concat([PEER_PREAMBLE, ...frames.slice(0, 2 * 63)]);
      const conns = await Promise.all(Array.from({ length: 16 }, (_, i) => open(addr, i, deep, sockets)));
      return {
        describe: () => `16 sent 63 MiB each, ${conns.filter((s) => s !== null && !s.destroyed && s.readyState === 'open').length} still open`,
        stop: () => undefined,
      };
    },
  },
  {
    name: 'garbage',
    async start(addr, sockets) {
      const hp = parseAddr(addr)!;
      const udp = createSocket('udp4');
      for (let i = 0; i < 100_000; i++) {
        udp.send(Buffer.from(`garbage ${i}`), hp.port, hp.host);
        if (i % 1000 === 0) await sleep(1);
      }
      await openMany(addr, 2000, 250, (i) => (i % 2 ? Buffer.from('GET / HTTP/1.0\r\n\r\n') : Buffer.concat([PEER_PREAMBLE, Buffer.alloc(20, 0xff)])), sockets);
      return { describe: () => '100000 bad datagrams, 2000 bad connections', stop: () => udp.close() };
    },
  },
];

