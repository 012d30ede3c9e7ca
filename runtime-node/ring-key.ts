/**
 * The ring key: a secret shared by the peers (and clients) of one ring, without which nobody can
 * join, store, read or change anything. It authenticates; it does not encrypt.
 *
 * - TCP: both ends send a fresh 32-byte nonce; each proves the key with an HMAC-SHA256 over the
 *   preamble, both nonces and its role ("responder", "initiator"), so a proof reflected back to
 *   its sender or replayed into another connection fails. Then each direction has a key of its
 *   own, both from one HKDF of the ring key with the transcript as salt (64 bytes: the first 32
 *   initiator to responder, the rest the other way), and every frame carries a 16-byte
 *   HMAC of its sequence number (implicit, per direction), its header and its chunk: a frame
 *   altered, dropped, reordered or replayed fails, and the connection is closed.
 *     initiator -> responder: keyed preamble, nonce I
 *     responder -> initiator: nonce R, proof R
 *     initiator -> responder: proof I, then frames
 * - UDP: a datagram is "CKD1", an 8-byte session ID the sending process chose at random, a
 *   64-bit counter, the payload and a 16-byte HMAC (key HKDF'd with the label "datagram") over
 *   all of that and the destination address, so a datagram captured on its way to one peer is
 *   refused by any other. The receiver keeps a 64-entry sliding window per session (as IPsec
 *   and WireGuard do) for a bounded number of sessions.
 * Only node:crypto primitives; every comparison of secrets is timingSafeEqual.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const MIN_KEY_BYTES = 16;
export const NONCE_BYTES = 32;
const PROOF_BYTES = 32;
/** Every derived key: HMAC-SHA256's own size. */
const KEY_BYTES = 32;
/** Truncated HMAC-SHA256: 128 bits stay far out of reach of forgery by guessing. */
export const TAG_BYTES = 16;
export const DATAGRAM_MAGIC = Buffer.from('CKD1', 'ascii');
const SESSION_BYTES = 8;
const DATAGRAM_HEADER_BYTES = DATAGRAM_MAGIC.length + SESSION_BYTES + 8;
/** Counters a session's window remembers behind the highest one seen. */
export const REPLAY_WINDOW = 64;
/** Sessions a receiver tracks; one per peer process that has sent to it, so churn only. */
export const MAX_SESSIONS = 4096;
const LABEL = 'chord ring-key v1 ';

export class RingKeyError extends Error {}

/** The key is the file's bytes, all of them (a trailing newline is part of it). */
export function loadRingKey(path: string): RingKey {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new RingKeyError(`cannot read the ring key file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (bytes.length < MIN_KEY_BYTES) throw new RingKeyError(`the ring key file ${path} holds ${bytes.length} bytes; a ring key has at least ${MIN_KEY_BYTES}`);
  return new RingKey(bytes);
}

/** What one end of a connection sends first, and how it checks the other end's answer. */
export interface Opening {
  readonly hello: Buffer;
  /** Bytes to wait for from the other end before `finish`. */
  readonly expect: number;
  finish(received: Buffer): HandshakeResult;
}

export type HandshakeResult =
  | { readonly ok: true; readonly reply: Buffer; readonly send: FrameMac; readonly receive: FrameMac }
  | { readonly ok: false; readonly error: string };

export class RingKey {
  private readonly proofKey: Buffer;
  private readonly datagramKey: Buffer;

  constructor(private readonly secret: Buffer) {
    if (secret.length < MIN_KEY_BYTES) throw new RingKeyError(`a ring key has at least ${MIN_KEY_BYTES} bytes, not ${secret.length}`);
    this.proofKey = derive(secret, Buffer.alloc(0), 'handshake');
    this.datagramKey = derive(secret, Buffer.alloc(0), 'datagram');
  }

  /** The connecting end; `preamble` names the protocol and is bound into the proofs. */
  initiate(preamble: Buffer): Opening {
    const mine = randomBytes(NONCE_BYTES);
    return {
      hello: Buffer.concat([preamble, mine]),
      expect: NONCE_BYTES + PROOF_BYTES,
      finish: (received) => {
        const transcript = Buffer.concat([preamble, mine, received.subarray(0, NONCE_BYTES)]);
        if (!same(received.subarray(NONCE_BYTES), this.proof('responder', transcript))) {
          return { ok: false, error: 'the other end did not prove the ring key (it holds another key, or none)' };
        }
        return { ok: true, reply: this.proof('initiator', transcript), ...this.streamKeys(transcript, 'initiator') };
      },
    };
  }

  /** The accepting end, once it has read the preamble and the initiator's nonce. */
  respond(preamble: Buffer, theirs: Buffer): Opening {
    const transcript = Buffer.concat([preamble, theirs, randomBytes(NONCE_BYTES)]);
    return {
      hello: Buffer.concat([transcript.subarray(preamble.length + NONCE_BYTES), this.proof('responder', transcript)]),
      expect: PROOF_BYTES,
      finish: (received) => same(received, this.proof('initiator', transcript))
        ? { ok: true, reply: Buffer.alloc(0), ...this.streamKeys(transcript, 'responder') }
        : { ok: false, error: 'wrong ring-key proof (the other end holds another key)' },
    };
  }

  /** A sender of datagrams, with a session of its own. */
  datagramSealer(): DatagramSealer {
    return new DatagramSealer(this.datagramKey);
  }

  /** The receiver of datagrams sent to `self`, the address the senders know it by. */
  datagramOpener(self: string, maxSessions = MAX_SESSIONS): DatagramOpener {
    return new DatagramOpener(this.datagramKey, self, maxSessions);
  }

  private proof(role: 'initiator' | 'responder', transcript: Buffer): Buffer {
    return createHmac('sha256', this.proofKey).update(role).update(transcript).digest();
  }

  /** Both directions' keys from one HKDF: the first half initiator to responder, the second back. */
  private streamKeys(transcript: Buffer, role: 'initiator' | 'responder'): { send: FrameMac; receive: FrameMac } {
    const keys = derive(this.secret, transcript, 'stream keys', 2 * KEY_BYTES);
    const forward = new FrameMac(keys.subarray(0, KEY_BYTES));
    const backward = new FrameMac(keys.subarray(KEY_BYTES));
    return role === 'initiator' ? { send: forward, receive: backward } : { send: backward, receive: forward };
  }
}

function derive(secret: Buffer, salt: Buffer, label: string, bytes = KEY_BYTES): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, salt, LABEL + label, bytes));
}

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The MACs of one direction of a stream: an HMAC-SHA256 of the frame's sequence number, its
 * header and its chunk. The sequence number is not on the wire: each end counts frames, so a
 * frame out of its place fails like a forged one.
 *
 * A frame costs one HMAC and allocates no buffer: the sequence number is written into a buffer
 * the direction keeps, and the digest comes back as a latin1 string ('binary': a byte a
 * character), written straight into the frame, or into a buffer kept for comparing. (A digest
 * as a Buffer is a fresh ArrayBuffer each time, which cost more in garbage collection than the
 * HMAC's own update and digest on a ring of 64 peers in one process.)
 */
export class FrameMac {
  /** Frames so far; a double counts exactly to 2^53, 285 years of a million frames a second. */
  private next = 0;
  private readonly seq = Buffer.alloc(8);
  private readonly tags = new TagComparer();

  constructor(private readonly key: Buffer) {}

  /** Writes the next frame's tag (TAG_BYTES) into `into` at `at`. */
  sign(header: Uint8Array, chunk: Uint8Array, into: Buffer, at: number): void {
    into.write(this.digest(header, chunk), at, TAG_BYTES, 'latin1');
  }

  /** Whether `tag` is the next frame's; the frame is counted either way. */
  verify(header: Uint8Array, chunk: Uint8Array, tag: Buffer): boolean {
    return this.tags.matches(this.digest(header, chunk), tag);
  }

  private digest(header: Uint8Array, chunk: Uint8Array): string {
    if (this.next >= Number.MAX_SAFE_INTEGER) throw new RangeError('a stream of 2^53 frames: its sequence numbers would repeat');
    this.seq.writeUInt32BE(Math.floor(this.next / 2 ** 32), 0);
    this.seq.writeUInt32BE(this.next % 2 ** 32, 4);
    this.next++;
    return createHmac('sha256', this.key).update(this.seq).update(header).update(chunk).digest('binary');
  }
}

/** Compares a digest (a latin1 string) with a received tag in constant time, allocating nothing. */
class TagComparer {
  private readonly digest = Buffer.alloc(32);
  private readonly tag = this.digest.subarray(0, TAG_BYTES);

  matches(digest: string, tag: Buffer): boolean {
    this.digest.write(digest, 0, 'latin1');
    return same(this.tag, tag);
  }
}

export class DatagramSealer {
  private readonly session = randomBytes(SESSION_BYTES);
  private counter = 0n;

  constructor(private readonly key: Buffer) {}

  /** The datagram, made in one buffer: header, payload, then the tag written into it. */
  seal(payload: Uint8Array, to: string): Buffer {
    const end = DATAGRAM_HEADER_BYTES + payload.length;
    const out = Buffer.allocUnsafe(end + TAG_BYTES);
    DATAGRAM_MAGIC.copy(out, 0);
    this.session.copy(out, DATAGRAM_MAGIC.length);
    out.writeBigUInt64BE(this.counter++, DATAGRAM_MAGIC.length + SESSION_BYTES);
    out.set(payload, DATAGRAM_HEADER_BYTES);
    out.write(datagramDigest(this.key, out.subarray(0, DATAGRAM_HEADER_BYTES), destination(to), out.subarray(DATAGRAM_HEADER_BYTES, end)), end, TAG_BYTES, 'latin1');
    return out;
  }
}

/** The address a datagram is sealed for, as its MAC covers it: a 16-bit length, then UTF-8. */
function destination(to: string): Buffer {
  const bytes = Buffer.allocUnsafe(2 + Buffer.byteLength(to, 'utf8'));
  bytes.writeUInt16BE(bytes.length - 2, 0);
  bytes.write(to, 2, 'utf8');
  return bytes;
}

function datagramDigest(key: Buffer, header: Uint8Array, destination: Buffer, payload: Uint8Array): string {
  return createHmac('sha256', key).update(header).update(destination).update(payload).digest('binary');
}

/** Why a datagram was refused: it carries no ring-key MAC, a wrong one, or was seen before. */
export type DatagramRefusal = 'unkeyed' | 'forged' | 'replayed';

export type Opened = { readonly ok: true; readonly payload: Buffer } | { readonly ok: false; readonly why: DatagramRefusal };

export class DatagramOpener {
  /** In order of last use: the first entry is the one to forget when the table is full. */
  private readonly sessions = new Map<string, ReplayWindow>();

  private readonly self: Buffer;
  private readonly tags = new TagComparer();

  constructor(
    private readonly key: Buffer,
    self: string,
    private readonly maxSessions: number,
  ) {
    this.self = destination(self);
  }

  /**
   * The MAC is checked before the window is looked at: only datagrams of a key holder move a
   * window or take a place in the table.
   */
  open(datagram: Buffer): Opened {
    if (datagram.length < DATAGRAM_HEADER_BYTES + TAG_BYTES || !datagram.subarray(0, DATAGRAM_MAGIC.length).equals(DATAGRAM_MAGIC)) return { ok: false, why: 'unkeyed' };
    const header = datagram.subarray(0, DATAGRAM_HEADER_BYTES);
    const payload = datagram.subarray(DATAGRAM_HEADER_BYTES, datagram.length - TAG_BYTES);
    if (!this.tags.matches(datagramDigest(this.key, header, this.self, payload), datagram.subarray(datagram.length - TAG_BYTES))) return { ok: false, why: 'forged' };
    const session = header.toString('hex', DATAGRAM_MAGIC.length, DATAGRAM_MAGIC.length + SESSION_BYTES);
    const window = this.sessions.get(session) ?? new ReplayWindow();
    if (!window.accept(header.readBigUInt64BE(DATAGRAM_MAGIC.length + SESSION_BYTES))) return { ok: false, why: 'replayed' };
    this.sessions.delete(session);
    this.sessions.set(session, window);
    if (this.sessions.size > this.maxSessions) this.sessions.delete(this.sessions.keys().next().value as string);
    return { ok: true, payload };
  }

  get trackedSessions(): number {
    return this.sessions.size;
  }
}

const WINDOW_MASK = (1n << BigInt(REPLAY_WINDOW)) - 1n;

/** The counters of one session seen so far: the highest, and a bitmap of the 63 before it. */
export class ReplayWindow {
  private top = -1n;
  /** Bit i set: counter top - i has been accepted. */
  private seen = 0n;

  /** True once for each counter newer than the window's tail; false for a repeat or one too old. */
  accept(counter: bigint): boolean {
    if (counter > this.top) {
      const shift = counter - this.top;
      this.seen = shift >= BigInt(REPLAY_WINDOW) ? 1n : ((this.seen << shift) | 1n) & WINDOW_MASK;
      this.top = counter;
      return true;
    }
    const back = this.top - counter;
    if (back >= BigInt(REPLAY_WINDOW)) return false;
    const bit = 1n << back;
    if ((this.seen & bit) !== 0n) return false;
    this.seen |= bit;
    return true;
  }
}
