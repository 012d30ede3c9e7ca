/**
 * What the systems of bench/dht.ts put on the wire, counted where each hands its messages to the
 * operating system, for the whole process: UDP datagrams sent through Node's dgram (this project's
 * pings and pongs, every KRPC message of bittorrent-dht), UDP datagrams sent through udx-native
 * (every dht-rpc message of hyperdht), and this project's TCP frames (every other message). The
 * bench runs one system at a time, so the difference of two readings is that system's traffic.
 *
 * Counting means wrapping the send functions: the runtime keeps no message counts of its own
 * (runtime-node's TransportStats holds connections and buffer use), nor does either library. The
 * wrappers count and pass every call on unchanged. Payload bytes are counted beside messages (what
 * each system encodes; IP, UDP and TCP headers excluded).
 */
import dgram from 'node:dgram';
import * as framing from '../../runtime-node/framing';

export interface WireCounts {
  readonly datagrams: number;
  /** This project's stream frames; the other systems send none. */
  readonly frames: number;
  readonly bytes: number;
}

const counts = { datagrams: 0, frames: 0, bytes: 0 };
const wrapped = new WeakSet<object>();

export function wireCounts(): WireCounts {
  return { ...counts };
}

export function wireSince(before: WireCounts): WireCounts {
  return { datagrams: counts.datagrams - before.datagrams, frames: counts.frames - before.frames, bytes: counts.bytes - before.bytes };
}

type Send = (this: unknown, ...args: unknown[]) => unknown;

/** Replaces `target[name]` by a function that counts a datagram of `size(args)` bytes, then calls it. */
function countDatagrams(target: object, name: string, size: (args: unknown[]) => number): void {
  const slots = target as Record<string, Send>;
  const send = slots[name];
  if (typeof send !== 'function') throw new Error(`cannot count datagrams: no ${name}() to wrap`);
  slots[name] = function (this: unknown, ...args: unknown[]) {
    counts.datagrams++;
    counts.bytes += size(args);
    return send.apply(this, args);
  };
}

function byteLength(msg: unknown): number {
  if (typeof msg === 'string') return Buffer.byteLength(msg);
  if (Array.isArray(msg)) return msg.reduce((sum: number, part: unknown) => sum + byteLength(part), 0);
  return ArrayBuffer.isView(msg) ? msg.byteLength : 0;
}

/** Counts every datagram sent through Node's dgram in this process. */
export function countNodeDatagrams(): void {
  if (wrapped.has(dgram.Socket.prototype)) return;
  wrapped.add(dgram.Socket.prototype);
  // send(msg, offset, length, port, ...) names the part of msg it sends; send(msg, port, ...) all of it.
  countDatagrams(dgram.Socket.prototype, 'send', (a) => (typeof a[1] === 'number' && typeof a[2] === 'number' ? a[2] : byteLength(a[0])));
}

/** Counts every datagram sent through sockets of udx-native's socket class (`proto`: any socket's prototype). */
export function countUdxDatagrams(proto: object): void {
  if (wrapped.has(proto)) return;
  wrapped.add(proto);
  for (const name of ['send', 'trySend']) countDatagrams(proto, name, (a) => byteLength(a[0]));
}

/**
 * Counts every frame this project's runtime sends on a TCP stream: the runtime's connections make
 * a message's frames through framing.ts's frameMessage, looked up on that module at each call.
 */
export function countChordFrames(): void {
  if (wrapped.has(framing)) return;
  wrapped.add(framing);
  const frameMessage = framing.frameMessage;
  (framing as { frameMessage: typeof frameMessage }).frameMessage = (message, chunkBytes, mac) => {
    const frames = frameMessage(message, chunkBytes, mac);
    counts.frames += frames.length;
    for (const f of frames) counts.bytes += f.pieces.reduce((sum, p) => sum + p.length, 0);
    return frames;
  };
}
