/**
 * The wire codec: one message with its sender, as bytes.
 *
 * Layout, all integers big-endian:
 *   u8 WIRE_VERSION, u8 message tag, the sender peer, then the message's fields in the order
 *   `Msg` declares them.
 *   id      u8 length + ASCII hex (carried as text, so that decode sees exactly what the sender
 *           had and rejects any id that is not canonical for the receiver's `bits`)
 *   string  u16 length + UTF-8
 *   bytes   u32 length + raw bytes
 *   number  u53 as two u32 words, high first (rids, nonces and versions may pass 2^32 on a
 *           long run); a high word over 2^21 - 1 is refused, and encode sends 0xffffffff for a
 *           number that is not a non-negative safe integer, so that the receiver reports it
 *   boolean u8 0 or 1
 *   list    u32 count + items
 *   nullable u8 presence (0 or 1) + the value when present
 *   Peer = id, addr; Key = id, name; Rec = Key, value bytes, version, writer;
 *   DigestEntry = Key, version, writer; enumerations (statuses) are u8 codes.
 *
 * Every field has exactly one encoding, so an accepted message re-encodes to the same bytes.
 * `decode` never throws: whatever it is given, it returns a value or a short reason.
 */
import { checkBits, isCanonicalHex, pointOfHex, type Point } from './id';
import type { DigestEntry, FetchStatus, Key, Msg, MsgType, Peer, Rec, StoreStatus } from './types';

export const WIRE_VERSION = 3;
export const DEFAULT_MAX_BYTES = 1 << 20;

export type Decoded =
  | { readonly ok: true; readonly from: Peer; readonly msg: Msg }
  | { readonly ok: false; readonly error: string };

// Stateless (never used in streaming mode), so sharing them keeps core/ free of mutable state.
const ENCODER = new TextEncoder();
// ignoreBOM: a leading U+FEFF is part of the string, not a marker to strip.
const DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const U8_MAX = 0xff;
const U16_MAX = 0xffff;
const TWO_32 = 2 ** 32;
/** High word of 2^53 - 1, the largest safe integer. */
const MAX_HIGH_WORD = 0x1fffff;
/** A high word no safe integer has: encode sends it for an invalid number, decode refuses it. */
const INVALID_HIGH_WORD = 0xffffffff;

/** What the field writers write to: first a Sizer, then a Writer of exactly that size. Sizing
 *  first costs a second walk but saves a buffer and a copy, and a typed array's allocation
 *  (off the V8 heap beyond 64 bytes) dominates the cost of encoding a small message. */
interface Sink {
  u8(v: number): void;
  u32(v: number): void;
  num(v: number): void;
  bool(v: boolean): void;
  id(hex: string): void;
  str(s: string): void;
  bytes(v: Uint8Array): void;
}

class Sizer implements Sink {
  size = 0;

  u8(): void {
    this.size += 1;
  }

  u32(): void {
    this.size += 4;
  }

  num(): void {
    this.size += 8;
  }

  bool(): void {
    this.size += 1;
  }

  id(hex: string): void {
    this.size += 1 + fittingLength(hex, U8_MAX);
  }

  str(s: string): void {
    this.size += 2 + fittingLength(s, U16_MAX);
  }

  bytes(v: Uint8Array): void {
    this.size += 4 + v.length;
  }
}

function fittingLength(s: string, max: number): number {
  const n = utf8Length(s);
  if (n > max) throw new RangeError(`a string of ${n} UTF-8 bytes does not fit a length limit of ${max}`);
  return n;
}

/** The byte count TextEncoder will produce, a lone surrogate becoming U+FFFD (3 bytes). */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      n += 1;
    } else if (c <= 0xdbff && c >= 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a surrogate pair: 2 units, 4 bytes
      i++;
    } else {
      n += 2;
    }
  }
  return n;
}

class Writer implements Sink {
  readonly buf: Uint8Array;
  private pos = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }

  u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.pos = p + 4;
  }

  num(v: number): void {
    if (Number.isSafeInteger(v) && v >= 0) {
      this.u32(Math.floor(v / TWO_32));
      this.u32(v >>> 0);
    } else {
      // Encode always encodes; the receiver's decode reports the sender's bug.
      this.u32(INVALID_HIGH_WORD);
      this.u32(0);
    }
  }

  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }

  id(hex: string): void {
    const n = this.utf8(hex, this.pos + 1);
    this.u8(n);
    this.pos += n;
  }

  str(s: string): void {
    const n = this.utf8(s, this.pos + 2);
    this.u8(n >>> 8);
    this.u8(n);
    this.pos += n;
  }

  bytes(v: Uint8Array): void {
    this.u32(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** Writes s at `at`, leaving `pos` for the caller's length prefix; returns the byte count.
   *  Most strings (ids, addresses, names) are ASCII, and a plain loop avoids `subarray`, which
   *  would move a small on-heap array's bytes off the heap and cost more than the rest. */
  private utf8(s: string, at: number): number {
    const b = this.buf;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return ENCODER.encodeInto(s, b.subarray(at)).written;
      b[at + i] = c;
    }
    return s.length;
  }
}

/** Thrown by explicit checks inside the reader and turned into `{ ok: false }` by `decode`. */
class DecodeError extends Error {}

class Reader {
  pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly bits: number,
  ) {}

  get left(): number {
    return this.buf.length - this.pos;
  }

  u8(): number {
    return this.buf[this.take(1)];
  }

  u32(): number {
    return this.word(this.take(4));
  }

  num(): number {
    const at = this.take(8);
    const high = this.word(at);
    if (high > MAX_HIGH_WORD) {
      throw new DecodeError(`number at byte ${at} is not a non-negative safe integer`);
    }
    return high * TWO_32 + this.word(at + 4);
  }

  bool(): boolean {
    const at = this.take(1);
    const b = this.buf[at];
    if (b > 1) throw new DecodeError(`byte ${at} is ${b}, not a boolean 0 or 1`);
    return b === 1;
  }

  id(): string {
    const at = this.pos;
    const hex = this.text(this.u8());
    if (!isCanonicalHex(hex, this.bits)) {
      throw new DecodeError(`id ${JSON.stringify(hex)} at byte ${at} is not canonical for ${this.bits} bits`);
    }
    return hex;
  }

  point(): Point {
    return pointOfHex(this.id());
  }

  str(): string {
    const at = this.take(2);
    return this.text((this.buf[at] << 8) | this.buf[at + 1]);
  }

  bytes(): Uint8Array {
    const n = this.u32();
    const at = this.take(n);
    return this.buf.slice(at, at + n);
  }

  list<T>(item: (r: Reader) => T): T[] {
    const at = this.pos;
    const n = this.u32();
    // Every item takes at least one byte: a count beyond what is left is a lie, not a loop.
    if (n > this.left) {
      throw new DecodeError(`truncated message: a list of ${n} items at byte ${at}, ${this.left} bytes left`);
    }
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = item(this);
    return out;
  }

  nullable<T>(item: (r: Reader) => T): T | null {
    return this.bool() ? item(this) : null;
  }

  code<T extends string>(table: CodeTable<T>, what: string): T {
    const at = this.pos;
    const c = this.u8();
    const v = table.byCode[c];
    if (v === undefined) throw new DecodeError(`unknown ${what} code ${c} at byte ${at}`);
    return v;
  }

  private text(n: number): string {
    const at = this.take(n);
    try {
      return DECODER.decode(this.buf.subarray(at, at + n));
    } catch {
      throw new DecodeError(`invalid UTF-8 in the string at byte ${at}`);
    }
  }

  private word(at: number): number {
    const b = this.buf;
    return b[at] * 0x1000000 + ((b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]);
  }

  /** Claims the next n bytes and returns where they start. */
  private take(n: number): number {
    if (n > this.left) {
      throw new DecodeError(`truncated message: ${n} bytes needed at byte ${this.pos}, ${this.left} left`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }
}

interface CodeTable<T extends string> {
  readonly code: Readonly<Record<T, number>>;
  readonly byCode: readonly (T | undefined)[];
}

/** Taking a Record makes the compiler insist on a code for every member of T. */
function codeTable<T extends string>(code: Record<T, number>): CodeTable<T> {
  const byCode: (T | undefined)[] = [];
  for (const name of Object.keys(code) as T[]) byCode[code[name]] = name;
  return { code, byCode };
}

const STORE_STATUS = codeTable<StoreStatus>({ ok: 0, 'not-responsible': 1, 'not-ready': 2 });
const FETCH_STATUS = codeTable<FetchStatus>({ found: 0, missing: 1, 'not-responsible': 2, 'not-ready': 3 });

function writePoint(w: Sink, p: Point): void {
  w.id(p.id);
}

function readPoint(r: Reader): Point {
  return r.point();
}

function writePeer(w: Sink, p: Peer): void {
  w.id(p.id);
  w.str(p.addr);
}

function readPeer(r: Reader): Peer {
  const p = r.point();
  return { id: p.id, k: p.k, addr: r.str() };
}

function writeKey(w: Sink, key: Key): void {
  w.id(key.id);
  w.str(key.name);
}

function readKey(r: Reader): Key {
  const p = r.point();
  return { id: p.id, k: p.k, name: r.str() };
}

function writeRec(w: Sink, rec: Rec): void {
  writeKey(w, rec.key);
  w.bytes(rec.value);
  w.num(rec.version);
  w.str(rec.writer);
}

function readRec(r: Reader): Rec {
  return { key: readKey(r), value: r.bytes(), version: r.num(), writer: r.str() };
}

function writeEntry(w: Sink, e: DigestEntry): void {
  writeKey(w, e.key);
  w.num(e.version);
  w.str(e.writer);
}

function readEntry(r: Reader): DigestEntry {
  return { key: readKey(r), version: r.num(), writer: r.str() };
}

function writeList<T>(w: Sink, items: readonly T[], item: (w: Sink, x: T) => void): void {
  w.u32(items.length);
  for (const x of items) item(w, x);
}

function writeNullable<T>(w: Sink, x: T | null, item: (w: Sink, x: T) => void): void {
  w.bool(x !== null);
  if (x !== null) item(w, x);
}

type MsgOf<T extends MsgType> = Extract<Msg, { readonly t: T }>;

// Method syntax (not arrow properties) lets every MsgCodec<T> stand in for MsgCodec<MsgType>.
interface MsgCodec<T extends MsgType> {
  readonly tag: number;
  write(w: Sink, m: MsgOf<T>): void;
  read(r: Reader): MsgOf<T>;
}

/** Tags are part of the wire format: never renumber one, only add. Writer and reader of each
 *  message sit side by side so that their field orders can be checked at a glance. */
const CODECS: { readonly [T in MsgType]: MsgCodec<T> } = {
  ping: {
    tag: 1,
    write(w, m) { w.num(m.nonce); },
    read: (r) => ({ t: 'ping', nonce: r.num() }),
  },
  pong: {
    tag: 2,
    write(w, m) { w.num(m.nonce); w.bool(m.member); },
    read: (r) => ({ t: 'pong', nonce: r.num(), member: r.bool() }),
  },
  find: {
    tag: 3,
    write(w, m) { w.num(m.rid); w.id(m.target.id); },
    read: (r) => ({ t: 'find', rid: r.num(), target: r.point() }),
  },
  found: {
    tag: 4,
    write(w, m) { w.num(m.rid); w.bool(m.done); writeList(w, m.peers, writePeer); },
    read: (r) => ({ t: 'found', rid: r.num(), done: r.bool(), peers: r.list(readPeer) }),
  },
  'get-state': {
    tag: 5,
    write(w, m) { w.num(m.rid); },
    read: (r) => ({ t: 'get-state', rid: r.num() }),
  },
  state: {
    tag: 6,
    write(w, m) {
      w.num(m.rid);
      w.bool(m.member);
      w.bool(m.joining);
      writeNullable(w, m.pred, writePeer);
      writeList(w, m.succs, writePeer);
    },
    read: (r) => ({ t: 'state', rid: r.num(), member: r.bool(), joining: r.bool(), pred: r.nullable(readPeer), succs: r.list(readPeer) }),
  },
  rectify: {
    tag: 7,
    write(w, m) { w.bool(m.ready); w.bool(m.link); },
    read: (r) => ({ t: 'rectify', ready: r.bool(), link: r.bool() }),
  },
  handoff: {
    tag: 8,
    write(w, m) { writeList(w, m.records, writeRec); writeNullable(w, m.from, writePoint); w.bool(m.more); },
    read: (r) => ({ t: 'handoff', records: r.list(readRec), from: r.nullable(readPoint), more: r.bool() }),
  },
  store: {
    tag: 9,
    write(w, m) { w.num(m.rid); writeKey(w, m.key); w.bytes(m.value); },
    read: (r) => ({ t: 'store', rid: r.num(), key: readKey(r), value: r.bytes() }),
  },
  stored: {
    tag: 10,
    write(w, m) {
      w.num(m.rid);
      w.u8(STORE_STATUS.code[m.status]);
      w.num(m.version);
      writeList(w, m.holders, writePeer);
    },
    read: (r) => ({
      t: 'stored',
      rid: r.num(),
      status: r.code(STORE_STATUS, 'store status'),
      version: r.num(),
      holders: r.list(readPeer),
    }),
  },
  fetch: {
    tag: 11,
    write(w, m) { w.num(m.rid); writeKey(w, m.key); },
    read: (r) => ({ t: 'fetch', rid: r.num(), key: readKey(r) }),
  },
  fetched: {
    tag: 12,
    write(w, m) { w.num(m.rid); w.u8(FETCH_STATUS.code[m.status]); writeNullable(w, m.rec, writeRec); },
    read: (r) => ({ t: 'fetched', rid: r.num(), status: r.code(FETCH_STATUS, 'fetch status'), rec: r.nullable(readRec) }),
  },
  replicate: {
    tag: 13,
    write(w, m) { w.num(m.rid); writeList(w, m.records, writeRec); },
    read: (r) => ({ t: 'replicate', rid: r.num(), records: r.list(readRec) }),
  },
  replicated: {
    tag: 14,
    write(w, m) { w.num(m.rid); },
    read: (r) => ({ t: 'replicated', rid: r.num() }),
  },
  digest: {
    tag: 15,
    write(w, m) { writeList(w, m.entries, writeEntry); writeNullable(w, m.from, writePoint); },
    read: (r) => ({ t: 'digest', entries: r.list(readEntry), from: r.nullable(readPoint) }),
  },
  want: {
    tag: 16,
    write(w, m) { writeList(w, m.keys, writeKey); },
    read: (r) => ({ t: 'want', keys: r.list(readKey) }),
  },
  leave: {
    tag: 17,
    write(w, m) { w.num(m.rid); writeNullable(w, m.pred, writePeer); writeList(w, m.records, writeRec); writeNullable(w, m.from, writePoint); w.bool(m.more); },
    read: (r) => ({ t: 'leave', rid: r.num(), pred: r.nullable(readPeer), records: r.list(readRec), from: r.nullable(readPoint), more: r.bool() }),
  },
  'leave-notice': {
    tag: 18,
    write(w, m) { w.num(m.rid); writeList(w, m.succs, writePeer); },
    read: (r) => ({ t: 'leave-notice', rid: r.num(), succs: r.list(readPeer) }),
  },
  'leave-ack': {
    tag: 19,
    write(w, m) { w.num(m.rid); },
    read: (r) => ({ t: 'leave-ack', rid: r.num() }),
  },
  closer: {
    tag: 20,
    write(w, m) { writePeer(w, m.peer); },
    read: (r) => ({ t: 'closer', peer: readPeer(r) }),
  },
};

const BY_TAG: readonly (MsgCodec<MsgType> | undefined)[] = (() => {
  const byTag: MsgCodec<MsgType>[] = [];
  for (const codec of Object.values(CODECS) as MsgCodec<MsgType>[]) byTag[codec.tag] = codec;
  return byTag;
})();

/**
 * Always encodes (-0 as 0); the size limit is the receiver's (`decode`'s maxBytes). Throws a
 * RangeError only for a string too long for its length prefix (an id over 255 or a string over
 * 65535 UTF-8 bytes), which no valid peer produces.
 */
/** The bytes `encode` makes of the message, without making them. */
export function encodedSize(from: Peer, msg: Msg): number {
  const sizer = new Sizer();
  writeEnvelope(sizer, from, msg);
  return sizer.size;
}

export function encode(from: Peer, msg: Msg): Uint8Array {
  const sizer = new Sizer();
  writeEnvelope(sizer, from, msg);
  const w = new Writer(sizer.size);
  writeEnvelope(w, from, msg);
  return w.buf;
}

function writeEnvelope(w: Sink, from: Peer, msg: Msg): void {
  const codec = CODECS[msg.t] as MsgCodec<MsgType>;
  w.u8(WIRE_VERSION);
  w.u8(codec.tag);
  writePeer(w, from);
  codec.write(w, msg);
}

/** Never throws. Values in the result are copies, never views into `bytes`. */
export function decode(bytes: Uint8Array, bits: number, maxBytes: number = DEFAULT_MAX_BYTES): Decoded {
  try {
    return decodeChecked(bytes, bits, maxBytes);
  } catch (e) {
    // DecodeError carries an explicit check's reason; anything else is a codec bug that must
    // still not escape to a peer's input loop.
    return fail(e instanceof DecodeError ? e.message : `malformed message: ${String(e)}`);
  }
}

function decodeChecked(bytes: Uint8Array, bits: number, maxBytes: number): Decoded {
  if (!(bytes instanceof Uint8Array)) return fail('input is not a Uint8Array');
  const badBits = checkBits(bits);
  if (badBits !== undefined) return fail(badBits);
  if (bytes.length > maxBytes) return fail(`message of ${bytes.length} bytes exceeds the limit of ${maxBytes}`);
  if (bytes.length === 0) return fail('empty message');
  // A plain view, so that slices are plain Uint8Array copies even when given a Node Buffer.
  const r = new Reader(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), bits);
  const version = r.u8();
  if (version !== WIRE_VERSION) return fail(`unsupported wire version ${version}`);
  const tag = r.u8();
  const codec = BY_TAG[tag];
  if (codec === undefined) return fail(`unknown message type tag ${tag}`);
  const from = readPeer(r);
  const msg = codec.read(r);
  if (r.left > 0) return fail(`${r.left} trailing bytes after the message`);
  return { ok: true, from, msg };
}

function fail(error: string): Decoded {
  return { ok: false, error };
}
