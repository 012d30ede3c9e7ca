/**
 * The client protocol: how an outside program (`chord put/get/ring`, the launcher, a test) asks a
 * peer to store, fetch or describe itself. It travels on the peer's TCP port after the client
 * preamble, in the same frames as peer messages, but it is a protocol of its own: clients never
 * see the peer-to-peer codec, which can change without breaking them.
 *
 * Message layout, all integers big-endian:
 *   u8 CLIENT_VERSION, u8 tag, u32 request id (echoed in the response), then the fields in the
 *   order the types below declare them.
 *   string  u16 length + UTF-8      bytes  u32 length + raw      number  f64 (safe integers)
 *   list    u16 count + items       nullable  u8 0 or 1 + the value
 *   PeerInfo = id (decimal string), address string
 * Identifiers go as decimal strings: that is how people name peers, and it fits any bit width.
 * An error with request id 0 (never a request's) is about the connection itself: a keyed peer
 * refusing a client without the ring key says so this way before it closes the connection.
 * `decodeRequest` and `decodeResponse` never throw.
 */
export const CLIENT_VERSION = 1;

export interface PeerInfo {
  readonly id: string;
  readonly addr: string;
}

export type ClientRequest =
  | { readonly t: 'put'; readonly rid: number; readonly key: string; readonly value: Uint8Array }
  | { readonly t: 'get'; readonly rid: number; readonly key: string }
  | { readonly t: 'state'; readonly rid: number };

/** Why a request failed, so that a command line can choose its exit code. */
export type ErrorCode = 'not-found' | 'failed' | 'bad-request' | 'refused';

export interface PeerStateInfo {
  readonly self: PeerInfo;
  readonly bits: number;
  readonly replicas: number;
  readonly phase: string;
  readonly pred: PeerInfo | null;
  readonly succs: readonly PeerInfo[];
  /** Distinct finger entries, lowest finger first. */
  readonly fingers: readonly PeerInfo[];
  readonly records: number;
}

export type ClientResponse =
  | { readonly t: 'put-ok'; readonly rid: number; readonly keyId: string; readonly version: number; readonly holders: readonly PeerInfo[]; readonly hops: number }
  | { readonly t: 'get-ok'; readonly rid: number; readonly keyId: string; readonly version: number; readonly holder: PeerInfo; readonly hops: number; readonly value: Uint8Array }
  | ({ readonly t: 'state'; readonly rid: number } & PeerStateInfo)
  | { readonly t: 'error'; readonly rid: number; readonly code: ErrorCode; readonly error: string; readonly keyId: string; readonly hops: number };

const REQUEST_TAGS = { put: 1, get: 2, state: 3 } as const;
const RESPONSE_TAGS = { 'put-ok': 1, 'get-ok': 2, state: 3, error: 4 } as const;
const ERROR_CODES: readonly ErrorCode[] = ['not-found', 'failed', 'bad-request', 'refused'];
/** The request id of an error about the whole connection. */
export const CONNECTION_RID = 0;

class Writer {
  private readonly parts: Uint8Array[] = [];

  u8(v: number): this {
    this.parts.push(Uint8Array.of(v));
    return this;
  }

  u16(v: number): this {
    return this.fixed(2, (b) => b.writeUInt16BE(v));
  }

  u32(v: number): this {
    return this.fixed(4, (b) => b.writeUInt32BE(v));
  }

  num(v: number): this {
    return this.fixed(8, (b) => b.writeDoubleBE(v));
  }

  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    if (b.length > 0xffff) throw new RangeError(`a string of ${b.length} bytes is longer than the protocol's 65535`);
    this.u16(b.length);
    this.parts.push(b);
    return this;
  }

  bytes(v: Uint8Array): this {
    this.u32(v.length);
    this.parts.push(v);
    return this;
  }

  peer(p: PeerInfo): this {
    return this.str(p.id).str(p.addr);
  }

  peers(list: readonly PeerInfo[]): this {
    this.u16(list.length);
    for (const p of list) this.peer(p);
    return this;
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }

  private fixed(size: number, write: (b: Buffer) => void): this {
    const b = Buffer.allocUnsafe(size);
    write(b);
    this.parts.push(b);
    return this;
  }
}

class ProtocolError extends Error {}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Reader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  private take(n: number): number {
    if (this.pos + n > this.buf.length) throw new ProtocolError(`truncated message: ${n} bytes needed at byte ${this.pos}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.buf[this.take(1)];
  }

  u16(): number {
    return this.buf.readUInt16BE(this.take(2));
  }

  u32(): number {
    return this.buf.readUInt32BE(this.take(4));
  }

  num(): number {
    const v = this.buf.readDoubleBE(this.take(8));
    if (!Number.isSafeInteger(v) || v < 0) throw new ProtocolError(`number ${v} is not a non-negative safe integer`);
    return v;
  }

  str(): string {
    const n = this.u16();
    const at = this.take(n);
    try {
      return UTF8.decode(this.buf.subarray(at, at + n));
    } catch {
      throw new ProtocolError(`invalid UTF-8 at byte ${at}`);
    }
  }

  /** A view, not a copy: each message has a buffer of its own, and a record may be 64 MiB. */
  bytes(): Uint8Array {
    const n = this.u32();
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }

  bool(): boolean {
    const v = this.u8();
    if (v > 1) throw new ProtocolError(`${v} is not a boolean`);
    return v === 1;
  }

  peer(): PeerInfo {
    return { id: this.str(), addr: this.str() };
  }

  peers(): PeerInfo[] {
    const n = this.u16();
    const out: PeerInfo[] = [];
    for (let i = 0; i < n; i++) out.push(this.peer());
    return out;
  }

  end(): void {
    if (this.pos !== this.buf.length) throw new ProtocolError(`${this.buf.length - this.pos} trailing bytes`);
  }
}

function header(tag: number, rid: number): Writer {
  return new Writer().u8(CLIENT_VERSION).u8(tag).u32(rid);
}

/** Throws a RangeError only for a key longer than 65535 UTF-8 bytes. */
export function encodeRequest(r: ClientRequest): Buffer {
  const w = header(REQUEST_TAGS[r.t], r.rid);
  switch (r.t) {
    case 'put': return w.str(r.key).bytes(r.value).done();
    case 'get': return w.str(r.key).done();
    case 'state': return w.done();
  }
}

export function encodeResponse(r: ClientResponse): Buffer {
  const w = header(RESPONSE_TAGS[r.t], r.rid);
  switch (r.t) {
    case 'put-ok': return w.str(r.keyId).num(r.version).peers(r.holders).u16(r.hops).done();
    case 'get-ok': return w.str(r.keyId).num(r.version).peer(r.holder).u16(r.hops).bytes(r.value).done();
    case 'state':
      w.peer(r.self).u8(r.bits).u8(r.replicas).str(r.phase).u8(r.pred ? 1 : 0);
      if (r.pred) w.peer(r.pred);
      return w.peers(r.succs).peers(r.fingers).u32(r.records).done();
    case 'error': return w.u8(ERROR_CODES.indexOf(r.code)).str(r.error).str(r.keyId).u16(r.hops).done();
  }
}

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

function decodeWith<T>(bytes: Buffer, read: (r: Reader, tag: number, rid: number) => T): Decoded<T> {
  try {
    const r = new Reader(bytes);
    const version = r.u8();
    if (version !== CLIENT_VERSION) return { ok: false, error: `unsupported client protocol version ${version}` };
    const tag = r.u8();
    const value = read(r, tag, r.u32());
    r.end();
    return { ok: true, value };
  } catch (e) {
    return { ok: false, error: e instanceof ProtocolError ? e.message : `malformed message: ${String(e)}` };
  }
}

export function decodeRequest(bytes: Buffer): Decoded<ClientRequest> {
  return decodeWith(bytes, (r, tag, rid): ClientRequest => {
    switch (tag) {
      case REQUEST_TAGS.put: return { t: 'put', rid, key: r.str(), value: r.bytes() };
      case REQUEST_TAGS.get: return { t: 'get', rid, key: r.str() };
      case REQUEST_TAGS.state: return { t: 'state', rid };
      default: throw new ProtocolError(`unknown request tag ${tag}`);
    }
  });
}

export function decodeResponse(bytes: Buffer): Decoded<ClientResponse> {
  return decodeWith(bytes, (r, tag, rid): ClientResponse => {
    switch (tag) {
      case RESPONSE_TAGS['put-ok']: return { t: 'put-ok', rid, keyId: r.str(), version: r.num(), holders: r.peers(), hops: r.u16() };
      case RESPONSE_TAGS['get-ok']: return { t: 'get-ok', rid, keyId: r.str(), version: r.num(), holder: r.peer(), hops: r.u16(), value: r.bytes() };
      case RESPONSE_TAGS.state: return {
        t: 'state', rid, self: r.peer(), bits: r.u8(), replicas: r.u8(), phase: r.str(),
        pred: r.bool() ? r.peer() : null, succs: r.peers(), fingers: r.peers(), records: r.u32(),
      };
      case RESPONSE_TAGS.error: {
        const code = ERROR_CODES[r.u8()];
        if (code === undefined) throw new ProtocolError('unknown error code');
        return { t: 'error', rid, code, error: r.str(), keyId: r.str(), hops: r.u16() };
      }
      default: throw new ProtocolError(`unknown response tag ${tag}`);
    }
  });
}
