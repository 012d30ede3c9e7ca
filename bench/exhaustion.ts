/**
 * The peak resident set of a real peer process (`chord peer`, default limits) under each
 * exhaustion probe, each against a fresh process so that the kernel's high-water mark (VmHWM)
 * is that probe's alone:
 *  - idle: 10,000 connections that say they are peers, then nothing, from 40 loopback addresses;
 *  - slow-loris: 1,000 connections each declaring a 64 MiB message and trickling a byte a second;
 *  - non-reading client: 16 clients each sending 1,000 gets of a 1 MiB record, never reading;
 *  - deep frames: 16 connections each sending 63 MiB of a 64 MiB message as fast as they can;
 *  - garbage: 100,000 bad datagrams and 2,000 bad connections, counting the peer's log lines.
 * Each probe holds its attack for --seconds, then reads the peer's high-water mark.
 *
 * Run: npm run build && node dist/bench/exhaustion.js [--seconds 8]
 */
import { Command } from 'commander';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { integer } from '../cli/parse';
import { parseAddr } from '../runtime-node/address';
import { ask } from '../runtime-node/client';
import { encodeRequest } from '../runtime-node/client-protocol';
import { CLIENT_PREAMBLE, PEER_PREAMBLE, toFrames } from '../runtime-node/framing';
import { MIB } from '../runtime-node/limits';
import { ChordProcess, sleep } from '../runtime-node/test-support';

interface Probe {
  readonly name: string;
  /** Attacks the peer at `addr`; what it did, in a few words, once `seconds` have passed. */
  run(addr: string, seconds: number, sockets: Socket[]): Promise<string>;
}

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

const PROBES: Probe[] = [
  {
    name: 'idle connections',
    async run(addr, seconds, sockets) {
      const open = await openMany(addr, 10_000, 500, () => PEER_PREAMBLE, sockets);
      await sleep(seconds * 1000);
      return `10000 opened, ${open.length} let in`;
    },
  },
  {
    name: 'slow-loris 64 MiB',
    async run(addr, seconds, sockets) {
      const open = await openMany(addr, 1000, 250, () => Buffer.concat([PEER_PREAMBLE, largeHeader]), sockets);
      const trickle = setInterval(() => open.forEach((s) => s.write(Buffer.from([0]))), 1000);
      await sleep(seconds * 1000);
      clearInterval(trickle);
      return `1000 opened, ${open.length} holding a declared 64 MiB message, ${open.filter((s) => s.destroyed || s.readyState !== 'open').length} cut off since`;
    },
  },
  {
    name: 'non-reading clients',
    async run(addr, seconds, sockets) {
      await ask(addr, { t: 'put', key: 'big', value: Buffer.alloc(MIB, 1) }, 30_000);
      const gets = Buffer.concat(Array.from({ length: 1000 }, (_, i) => toFrames(encodeRequest({ t: 'get', rid: i + 1, key: 'big' }))).flat());
      const clients = await Promise.all(Array.from({ length: 16 }, (_, i) => open(addr, i, CLIENT_PREAMBLE, sockets)));
      for (const c of clients) {
        c?.pause();
        c?.write(gets);
      }
      await sleep(seconds * 1000);
      return '16 clients, 1000 gets of a 1 MiB record each, none read';
    },
  },
  {
    name: 'deep frames 16 x 63 MiB',
    async run(addr, seconds, sockets) {
      const frames = toFrames(Buffer.alloc(64 * MIB, 2));
      const deep = Buffer.concat([PEER_PREAMBLE, ...frames.slice(0, 2 * 63)]);
      const conns = await Promise.all(Array.from({ length: 16 }, (_, i) => open(addr, i, deep, sockets)));
      await sleep(seconds * 1000);
      const held = conns.filter((s) => s !== null && !s.destroyed && s.readyState === 'open').length;
      return `16 sent 63 MiB each, ${held} still open`;
    },
  },
  {
    name: 'garbage',
    async run(addr, seconds, sockets) {
      const hp = parseAddr(addr)!;
      const udp = createSocket('udp4');
      for (let i = 0; i < 100_000; i++) {
        udp.send(Buffer.from(`garbage ${i}`), hp.port, hp.host);
        if (i % 1000 === 0) await sleep(1);
      }
      await openMany(addr, 2000, 250, (i) => (i % 2 ? Buffer.from('GET / HTTP/1.0\r\n\r\n') : Buffer.concat([PEER_PREAMBLE, Buffer.alloc(20, 0xff)])), sockets);
      await sleep(seconds * 1000);
      udp.close();
      return '100000 bad datagrams, 2000 bad connections';
    },
  },
];

function mib(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

async function probe(p: Probe, seconds: number): Promise<void> {
  const cleanup: (() => void)[] = [];
  const sockets: Socket[] = [];
  try {
    const peer = new ChordProcess({ teardown: (f) => cleanup.push(f) }, ['peer', '--bits', '16', '--port', '0']);
    const banner = await peer.waitLine(/^peer \d+ at (\S+) /, 10_000);
    const addr = /^peer \d+ at (\S+) /.exec(banner.text)![1];
    await sleep(500);
    const base = mib(peer.pid, 'VmHWM');
    const linesBefore = peer.lines.length;
    const what = await p.run(addr, seconds, sockets);
    const peak = mib(peer.pid, 'VmHWM');
    const lines = peer.lines.length - linesBefore;
    console.log(`  ${p.name.padEnd(24)} peak RSS ${peak.toFixed(0).padStart(4)} MiB (${base.toFixed(0)} at start), ${lines} log line(s); ${what}`);
  } finally {
    for (const s of sockets) s.destroy();
    for (const f of cleanup) f();
  }
}

async function main(o: { seconds: number; only?: string }): Promise<void> {
  console.log(`peak resident set of a peer process with the default limits, each probe held ${o.seconds} s:`);
  for (const p of PROBES.filter((p) => o.only === undefined || p.name.startsWith(o.only))) await probe(p, o.seconds);
}

new Command('exhaustion')
  .option('--seconds <n>', 'how long each probe holds its attack', integer(1, 600), 8)
  .option('--only <name>', 'run only the probes whose name starts with this')
  .action((o: { seconds: number; only?: string }) => main(o))
  .parseAsync()
  .catch((e: unknown) => {
    console.error(`bench: ${(e as Error).message}`);
    process.exitCode = 1;
  });
