/**
 * What the ring key costs, median of several runs:
 *  - handshakes per second in memory (both ends' HMACs and HKDFs, no sockets): the CPU bound;
 *  - connections per second from a client to a real peer on 127.0.0.1, each opened, asked for
 *    the peer's state and closed, with the key (a handshake each) and on an open peer;
 *  - MB/s of 1 MiB frames written and read with and without MACs, small messages (the ring's
 *    own: lookups, puts of small values) framed and read per second with and without MACs, and
 *    datagrams sealed and opened per second.
 *
 * Run: npm run build && node dist/bench/handshake.js [--runs 5] [--connections 300]
 */
import { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { integer } from '../cli/parse';
import { peerState } from '../runtime-node/client';
import { CHUNK_BYTES, FrameReader, KEYED_PEER_PREAMBLE, toFrames } from '../runtime-node/framing';
import { startPeer } from '../runtime-node/peer-driver';
import { RingKey, type FrameMac } from '../runtime-node/ring-key';
import { median } from './stats';

const KEY = new RingKey(randomBytes(32));
/** About a lookup's or a put's message on a ring (a 100-byte value). */
const SMALL_BYTES = 200;

/** Rate per second of `n` runs of `once`. */
async function rate(n: number, once: () => unknown): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await once();
  return n / ((performance.now() - t0) / 1000);
}

/** Both ends of one handshake in memory: the initiator's sending MAC, the responder's receiving one. */
function handshake(): { send: FrameMac; receive: FrameMac } {
  const i = KEY.initiate(KEYED_PEER_PREAMBLE);
  const r = KEY.respond(KEYED_PEER_PREAMBLE, i.hello.subarray(KEYED_PEER_PREAMBLE.length));
  const a = i.finish(r.hello);
  const b = a.ok ? r.finish(a.reply) : a;
  if (!a.ok || !b.ok) throw new Error('handshake failed');
  return { send: a.send, receive: b.receive };
}

/** MB/s of one 64 MiB message framed (with MACs when given) and read back. */
function frames(message: Buffer, mac: { send: FrameMac; receive: FrameMac } | null): number {
  const t0 = performance.now();
  const stream = Buffer.concat(toFrames(message, CHUNK_BYTES, mac?.send ?? null));
  let got = 0;
  const error = new FrameReader({ message: (m) => (got = m.length) }, message.length, CHUNK_BYTES, mac?.receive ?? null).push(stream);
  if (error !== null || got !== message.length) throw new Error(`frames: ${error}`);
  return message.length / 1e6 / ((performance.now() - t0) / 1000);
}

/** Messages a second of `count` small messages, each framed (with a MAC when given) and read back. */
function smallFrames(count: number, mac: { send: FrameMac; receive: FrameMac } | null): number {
  const message = randomBytes(SMALL_BYTES);
  let got = 0;
  const reader = new FrameReader({ message: () => got++ }, CHUNK_BYTES, CHUNK_BYTES, mac?.receive ?? null);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    for (const piece of toFrames(message, CHUNK_BYTES, mac?.send ?? null)) reader.push(piece);
  }
  if (got !== count) throw new Error(`small frames: ${got} of ${count} read`);
  return count / ((performance.now() - t0) / 1000);
}

async function main(o: { runs: number; connections: number }): Promise<void> {
  const runs = async (f: () => Promise<number> | number) => {
    const all: number[] = [];
    for (let i = 0; i < o.runs; i++) all.push(await f());
    return median(all);
  };
  const keyed = await startPeer({ bits: 16, start: { kind: 'create' }, ringKey: KEY });
  const open = await startPeer({ bits: 16, start: { kind: 'create' } });
  try {
    const inMemory = await runs(() => rate(2000, handshake));
    const keyedConns = await runs(() => rate(o.connections, () => peerState(keyed.self.addr, 5000, KEY)));
    const openConns = await runs(() => rate(o.connections, () => peerState(open.self.addr, 5000)));
    const big = randomBytes(64 * 1024 * 1024);
    const plainMBs = await runs(() => frames(big, null));
    const macMBs = await runs(() => frames(big, handshake()));
    const plainSmall = await runs(() => smallFrames(50_000, null));
    const macSmall = await runs(() => smallFrames(50_000, handshake()));
    const sealer = KEY.datagramSealer();
    const opener = KEY.datagramOpener('127.0.0.1:1');
    const ping = randomBytes(40);
    const datagrams = await runs(() => rate(20_000, () => opener.open(sealer.seal(ping, '127.0.0.1:1'))));
    console.log(`ring key, median of ${o.runs} runs:`);
    console.log(`  handshakes in memory          ${inMemory.toFixed(0)} /s (${(1e6 / inMemory).toFixed(0)} µs each, both ends)`);
    console.log(`  client connections, keyed     ${keyedConns.toFixed(0)} /s (connect, handshake, one state request, close)`);
    console.log(`  client connections, open      ${openConns.toFixed(0)} /s (the same without the key)`);
    console.log(`  1 MiB frames, framed and read ${macMBs.toFixed(0)} MB/s with MACs, ${plainMBs.toFixed(0)} MB/s without`);
    console.log(`  ${SMALL_BYTES}-byte messages, framed and read ${macSmall.toFixed(0)} /s with MACs, ${plainSmall.toFixed(0)} /s without (${(1e6 / macSmall - 1e6 / plainSmall).toFixed(1)} µs more each: both ends' MAC)`);
    console.log(`  datagrams sealed and opened   ${datagrams.toFixed(0)} /s`);
  } finally {
    await Promise.all([keyed.close(), open.close()]);
  }
}

new Command('handshake')
  .option('--runs <n>', 'runs of each measure; the median is reported', integer(1, 100), 5)
  .option('--connections <n>', 'client connections per run', integer(1, 100_000), 300)
  .action((o: { runs: number; connections: number }) => main(o))
  .parseAsync()
  .catch((e: unknown) => {
    console.error(`bench: ${(e as Error).message}`);
    process.exitCode = 1;
  });
