/**
 * Length-prefixed frames on a TCP stream, for peer-to-peer and client connections alike.
 *
 * A connection starts with a 4-byte preamble naming its protocol (so that peers and outside
 * clients share one port), then carries messages. A message of any size up to the limit goes as
 * one or more frames, each with a 9-byte header, all integers big-endian:
 *   u32 chunk length (at most CHUNK_BYTES), u32 length of the whole message, u8 flags (bit 0:
 *   last chunk), then the chunk.
 * Repeating the message length in every frame lets the reader check each chunk against the
 * message it continues, and tells a receiver the size of a large message from its first chunk
 * (for a progress bar). The reader allocates a message's buffer once, when its first header has
 * passed the limit check, and copies each chunk straight into it: no concatenation, so a 64 MiB
 * record costs one allocation and one copy on arrival.
 *
 * On a connection opened with the ring key (ring-key.ts), every frame is followed by its MAC
 * (TAG_BYTES), and nothing of a message is handed on before the MAC of its last frame is checked.
 */
import { TAG_BYTES, type FrameMac } from './ring-key';

/** The largest record value the runtime carries. */
export const MAX_VALUE_BYTES = 64 * 1024 * 1024;
/** Room for everything a message carries besides one record's value (key, addresses, lists). */
export const MAX_MESSAGE_BYTES = MAX_VALUE_BYTES + 1024 * 1024;
export const CHUNK_BYTES = 1024 * 1024;
export const HEADER_BYTES = 9;
const LAST = 1;

export const PREAMBLE_BYTES = 4;
/** Peer-to-peer stream carrying core codec messages. */
export const PEER_PREAMBLE = Buffer.from('CHP1', 'ascii');
/** Outside client carrying client-protocol messages. */
export const CLIENT_PREAMBLE = Buffer.from('CHC1', 'ascii');
/** The same two, opened with the ring-key handshake: a peer tells a stranger from a member. */
export const KEYED_PEER_PREAMBLE = Buffer.from('CKP1', 'ascii');
export const KEYED_CLIENT_PREAMBLE = Buffer.from('CKC1', 'ascii');

/**
 * A chunk up to this size is copied into one buffer with its header (and tag): one write
 * instead of two or three. A larger one goes as a view into the message, not a copy.
 */
const INLINE_BYTES = 16 * 1024;

/** One frame as written: its pieces in order, and the size of the chunk of the message it carries. */
export interface Frame {
  readonly pieces: readonly Buffer[];
  readonly chunk: number;
}

/**
 * The frames of one message, with `mac` each followed by its tag: a small chunk in one buffer
 * (header, chunk, tag), a large one as its header, a view of the chunk and its tag.
 */
export function frameMessage(message: Uint8Array, chunkBytes: number = CHUNK_BYTES, mac: FrameMac | null = null): Frame[] {
  const frames: Frame[] = [];
  const tagBytes = mac ? TAG_BYTES : 0;
  for (let at = 0; at < message.length; at += chunkBytes) {
    const end = Math.min(message.length, at + chunkBytes);
    const size = end - at;
    // The whole message when it is one frame: no view to make.
    const chunk = size === message.length ? message : message.subarray(at, end);
    const inline = size <= INLINE_BYTES;
    const head = Buffer.allocUnsafe(HEADER_BYTES + (inline ? size + tagBytes : 0));
    head.writeUInt32BE(size, 0);
    head.writeUInt32BE(message.length, 4);
    head[8] = end === message.length ? LAST : 0;
    const header = head.subarray(0, HEADER_BYTES);
    if (inline) {
      head.set(chunk, HEADER_BYTES);
      mac?.sign(header, chunk, head, HEADER_BYTES + size);
      frames.push({ pieces: [head], chunk: size });
      continue;
    }
    const pieces = [head, Buffer.from(chunk.buffer, chunk.byteOffset, size)];
    if (mac) {
      const tag = Buffer.allocUnsafe(TAG_BYTES);
      mac.sign(header, chunk, tag, 0);
      pieces.push(tag);
    }
    frames.push({ pieces, chunk: size });
  }
  return frames;
}

/** The bytes of a message's frames, in order, as pieces to write or concatenate. */
export function toFrames(message: Uint8Array, chunkBytes: number = CHUNK_BYTES, mac: FrameMac | null = null): Buffer[] {
  const pieces: Buffer[] = [];
  for (const frame of frameMessage(message, chunkBytes, mac)) pieces.push(...frame.pieces);
  return pieces;
}

export interface FrameReaderEvents {
  message(bytes: Buffer): void;
  /** Bytes of the current message received so far, out of `total`; called once per chunk. */
  progress?(received: number, total: number): void;
  /**
   * A frame's header passed the format checks, before anything is allocated for it (`first`: it
   * starts a message). A reason returned refuses the frame, as a violation would.
   */
  frame?(chunk: number, total: number, first: boolean): string | null;
}

/**
 * Incremental frame parser. `push` never throws: the first violation of the format or of the
 * limit is returned as a reason, after which the reader refuses everything (the caller is meant
 * to close the connection).
 */
export class FrameReader {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  /** How much of the header, or of a keyed frame's MAC, is in `header` or `tag` so far. */
  private partFill = 0;
  /** Bytes of the current chunk still to copy, and where in the message it starts. */
  private chunkLeft = 0;
  private chunkStart = 0;
  private last = false;
  private message: Buffer | null = null;
  private filled = 0;
  private failed: string | null = null;
  /** Whether the current frame's chunk is in and its tag is what comes next. */
  private tagDue = false;
  private readonly tag = Buffer.alloc(TAG_BYTES);
  private frames = 0;

  constructor(
    private readonly events: FrameReaderEvents,
    private readonly maxMessage: number = MAX_MESSAGE_BYTES,
    private readonly maxChunk: number = CHUNK_BYTES,
    private readonly mac: FrameMac | null = null,
  ) {}

  /** Whether the bytes so far end inside a frame (its header, chunk or MAC). */
  get midFrame(): boolean {
    return this.partFill > 0 || this.chunkLeft > 0 || this.tagDue;
  }

  push(data: Buffer): string | null {
    let at = 0;
    while (this.failed === null && at < data.length) {
      if (this.chunkLeft === 0) {
        // Between chunks: the MAC of the one just read, if the stream is keyed, else a header.
        const tag = this.tagDue;
        const part = tag ? this.tag : this.header;
        const n = gather(part, this.partFill, data, at);
        at += n;
        if ((this.partFill += n) < part.length) break;
        this.partFill = 0;
        this.failed = tag ? this.checkTag() : this.startChunk();
        continue;
      }
      const message = this.message as Buffer;
      const n = Math.min(this.chunkLeft, data.length - at);
      data.copy(message, this.filled, at, at + n);
      this.filled += n;
      this.chunkLeft -= n;
      at += n;
      if (this.chunkLeft > 0) continue;
      if (this.mac !== null) this.tagDue = true;
      else this.finishChunk();
    }
    return this.failed;
  }

  /** The MAC covers the chunk as copied into the message: one HMAC over it, whatever the reads it came in. */
  private checkTag(): string | null {
    this.tagDue = false;
    const chunk = (this.message as Buffer).subarray(this.chunkStart, this.filled);
    if (!(this.mac as FrameMac).verify(this.header, chunk, this.tag)) return `frame ${this.frames} failed its ring-key MAC (altered, out of order, or not from a key holder)`;
    this.frames++;
    this.finishChunk();
    return null;
  }

  private startChunk(): string | null {
    const chunk = this.header.readUInt32BE(0);
    const total = this.header.readUInt32BE(4);
    const flags = this.header.readUInt8(8);
    if (flags & ~LAST) return `bad frame flags ${flags}`;
    if (total === 0) return 'empty message';
    if (total > this.maxMessage) return `message of ${total} bytes exceeds the limit of ${this.maxMessage}`;
    if (chunk === 0) return 'empty frame';
    if (chunk > this.maxChunk) return `frame of ${chunk} bytes exceeds the limit of ${this.maxChunk}`;
    if (this.message !== null && this.message.length !== total) return `frame claims a message of ${total} bytes inside one of ${this.message.length}`;
    const filled = this.message === null ? 0 : this.filled;
    const last = (flags & LAST) !== 0;
    if (filled + chunk > total || last !== (filled + chunk === total)) return `frame of ${chunk} bytes at ${filled} does not fit a message of ${total}`;
    const refused = this.events.frame?.(chunk, total, this.message === null) ?? null;
    if (refused !== null) return refused;
    if (this.message === null) {
      this.message = Buffer.allocUnsafe(total);
      this.filled = 0;
    }
    this.last = last;
    this.chunkLeft = chunk;
    this.chunkStart = this.filled;
    return null;
  }

  private finishChunk(): void {
    const message = this.message as Buffer;
    this.events.progress?.(this.filled, message.length);
    if (!this.last) return;
    this.message = null;
    this.events.message(message);
  }
}

/** Copies into `into`, from `filled` on, as much of `data` (from `at`) as it still lacks; the count copied. */
function gather(into: Buffer, filled: number, data: Buffer, at: number): number {
  const n = Math.min(into.length - filled, data.length - at);
  data.copy(into, filled, at, at + n);
  return n;
}
