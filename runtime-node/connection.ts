/**
 * One TCP connection carrying framed messages (framing.ts), in either direction. It owns the
 * socket's error handling, so that nothing a remote end does can throw into the peer: a framing
 * violation or a socket error closes the connection and is reported once, through `close`.
 * With a ring-key opening (ring-key.ts) it first finishes the handshake; messages sent meanwhile
 * wait for it, and every frame after it carries its MAC.
 * A peer's end of a connection is held to its bounds (limits.ts): closed when idle or when a
 * frame comes too slowly, every buffered byte taken from the peer's budget, and not read while
 * its replies pile up unwritten.
 */
import type { Socket } from 'node:net';
import { isLarge, OverBudgetError, type BufferBudget } from './budget';
import type { DropKind } from './drop-log';
import { FrameClock } from './frame-clock';
import { CHUNK_BYTES, frameMessage, FrameReader, MAX_MESSAGE_BYTES } from './framing';
import { MAX_WRITE_BACKLOG, type Pace } from './limits';
import type { FrameMac, Opening } from './ring-key';

export interface ConnectionEvents {
  message(bytes: Buffer, conn: Connection): void;
  /** Progress of a large incoming message, chunk by chunk. */
  progress?(received: number, total: number): void;
  /**
   * Once: the socket is connected and any handshake done. A socket timeout set before it (for
   * connecting, or for a stranger to say who it is) is cleared then.
   */
  ready?(): void;
  /**
   * Called once; `error` is null for an orderly close. `kind` names what the remote did wrong or
   * which bound it hit; null when this end closed it for reasons of its own, or in order.
   */
  close?(error: string | null, kind: DropKind | null): void;
}

/** What a peer holds its end of a connection to; an outside client's ends have none. */
export interface Bounds {
  readonly budget: BufferBudget;
  /** Nothing sent or received for this long closes the connection. */
  readonly idleMs: number;
  readonly pace: Pace;
}

export interface ConnectionOptions {
  readonly maxMessage?: number;
  /** The ring-key handshake to finish first; its `hello` is the caller's to have sent. */
  readonly opening?: Opening;
  readonly bounds?: Bounds;
}

/** Settles when the message has been handed to the kernel, or failed (error set). */
export type SendCallback = (error: Error | null) => void;

/** A message made (encoded) only when its turn comes: until then it costs no buffer. */
export interface Deferred {
  /** Exactly the length `make` will return. */
  readonly size: number;
  make(): Uint8Array;
}

interface Later extends Deferred {
  readonly done?: SendCallback;
}

/**
 * Which part of the budget bytes were taken from (budget.ts): large messages from others take
 * from their half, everything else from the whole.
 */
type Share = 'large' | 'whole';

function take(budget: BufferBudget, share: Share, n: number): boolean {
  return share === 'large' ? budget.takeLarge(n) : budget.take(n);
}

function give(budget: BufferBudget | undefined, share: Share, n: number): void {
  if (share === 'large') budget?.giveLarge(n);
  else budget?.give(n);
}

/** The share of a message from, or asked for by, the other end. */
function othersShare(bytes: number): Share {
  return isLarge(bytes) ? 'large' : 'whole';
}

function overBudget(budget: BufferBudget, bytes: number): string {
  const share = isLarge(bytes) ? `, of which large messages from others may hold ${budget.largeBytes}` : '';
  return `a message of ${bytes} bytes does not fit the peer's buffer budget (${budget.bytes} bytes${share})`;
}

export class Connection {
  /** Null until the handshake is done. */
  private reader: FrameReader | null = null;
  private sendMac: FrameMac | null = null;
  private handshakeBytes = Buffer.alloc(0);
  /** Sends waiting for the handshake; each is called with null to go, or with the failure. */
  private readonly waiting: ((failed: Error | null) => void)[] = [];
  private closed = false;
  private readonly clock: FrameClock | null;
  /**
   * Budget taken for the message being received (as a large one or not, budget.ts), and for
   * bytes not yet handed to the kernel, by the share they took.
   */
  private incoming = 0;
  private incomingShare: Share = 'whole';
  private readonly queued: Record<Share, number> = { large: 0, whole: 0 };
  /** Reasons reading is paused for; it resumes when none is left. */
  private holds = 0;
  private backlogged = false;
  /** Deferred messages waiting, in order, for room in the budget. */
  private readonly later: Later[] = [];
  private readonly retry = () => this.pump();

  constructor(
    readonly socket: Socket,
    private readonly events: ConnectionEvents,
    private readonly o: ConnectionOptions = {},
  ) {
    this.clock = o.bounds ? new FrameClock(o.bounds.pace, (reason) => this.fail(reason, 'frames too slow')) : null;
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.receive(data));
    socket.on('error', (e) => this.finish(`${e.message}`, 'broken connections'));
    socket.on('close', () => this.finish(null, null));
    socket.on('drain', () => this.drained());
    if (o.opening) return;
    this.reader = this.newReader(null);
    if (socket.connecting) socket.once('connect', () => this.ready());
    else process.nextTick(() => this.ready());
  }

  private ready(): void {
    if (this.closed) return;
    // The timeout for connecting (or for a stranger to say who it is) gives way to the idle one.
    this.socket.removeAllListeners('timeout');
    const idleMs = this.o.bounds?.idleMs ?? 0;
    this.socket.setTimeout(idleMs, () => this.fail(`nothing sent or received for ${idleMs} ms`, 'idle connections'));
    this.events.ready?.();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Feeds bytes that arrived before this connection took the socket (after the preamble). */
  receive(data: Buffer): void {
    if (this.closed || data.length === 0) return;
    const reader = this.reader;
    if (reader === null) return this.handshake(data);
    const error = reader.push(data);
    if (error !== null) return this.fail(error, 'malformed frames');
    // A message handed on may have closed the connection.
    if (!this.closed) this.clock?.settle(reader.midFrame);
  }

  /** Stops reading from the remote until a matching `unhold`. */
  hold(): void {
    if (this.holds++ > 0) return;
    this.socket.pause();
    this.clock?.pause();
  }

  unhold(): void {
    if (--this.holds > 0 || this.closed) return;
    this.socket.resume();
    this.clock?.resume();
  }

  private handshake(data: Buffer): void {
    const opening = this.o.opening as Opening;
    this.handshakeBytes = Buffer.concat([this.handshakeBytes, data]);
    if (this.handshakeBytes.length < opening.expect) return;
    const result = opening.finish(this.handshakeBytes.subarray(0, opening.expect));
    const rest = this.handshakeBytes.subarray(opening.expect);
    this.handshakeBytes = Buffer.alloc(0);
    if (!result.ok) return this.fail(result.error, 'malformed frames');
    if (result.reply.length > 0) this.socket.write(result.reply);
    this.reader = this.newReader(result.receive);
    this.sendMac = result.send;
    for (const go of this.waiting.splice(0)) go(null);
    this.pump();
    this.ready();
    this.receive(rest);
  }

  private newReader(mac: FrameMac | null): FrameReader {
    return new FrameReader({
      message: (m) => {
        give(this.o.bounds?.budget, this.incomingShare, this.incoming);
        this.incoming = 0;
        this.clock?.messageDone();
        this.events.message(m, this);
      },
      progress: (received, total) => {
        this.clock?.frameDone();
        this.events.progress?.(received, total);
      },
      frame: (chunk, total, first) => this.frame(chunk, total, first),
    }, this.o.maxMessage ?? MAX_MESSAGE_BYTES, undefined, mac);
  }

  /** A message's buffer is taken from the budget before the reader allocates it. */
  private frame(chunk: number, total: number, first: boolean): string | null {
    const bounds = this.o.bounds;
    if (!bounds) return null;
    if (first) {
      const share = othersShare(total);
      if (!take(bounds.budget, share, total)) {
        const reason = overBudget(bounds.budget, total);
        this.fail(reason, 'over the buffer budget');
        return reason;
      }
      this.incoming = total;
      this.incomingShare = share;
    }
    this.clock?.frame(chunk, total, first);
    return null;
  }

  /**
   * Sends one message in frames, an answer to the other end (so a large one takes from the half
   * of the budget for others' large messages). `done` settles once for the whole message (with
   * an OverBudgetError, and nothing sent, when the peer's budget has no room for it); `progress`
   * reports bytes handed to the kernel after each chunk.
   */
  send(message: Uint8Array, done?: SendCallback, progress?: (sent: number, total: number) => void): void {
    if (this.closed) {
      done?.(new Error('connection closed'));
      return;
    }
    if (this.reader === null) {
      this.waiting.push((failed) => (failed ? done?.(failed) : this.send(message, done, progress)));
      return;
    }
    const budget = this.o.bounds?.budget;
    const share = othersShare(message.length);
    if (budget && !take(budget, share, message.length)) {
      done?.(new OverBudgetError(overBudget(budget, message.length)));
      return;
    }
    this.transmit(message, share, done, progress);
  }

  /**
   * Sends a message once the budget has room for it, after the deferred ones before it: the
   * peer's own messages wait for room rather than fail (only one that could never fit fails),
   * and wait unmade, so that waiting holds no buffer. Order on the stream is kept among them.
   */
  sendDeferred(message: Deferred, done?: SendCallback): void {
    if (this.closed) return done?.(new Error('connection closed'));
    const budget = this.o.bounds?.budget;
    if (budget && message.size > budget.bytes) {
      return done?.(new OverBudgetError(`a message of ${message.size} bytes is larger than the peer's whole connection budget of ${budget.bytes}`));
    }
    this.later.push({ size: message.size, make: () => message.make(), done });
    this.pump();
  }

  private pump(): void {
    const budget = this.o.bounds?.budget;
    while (this.later.length > 0 && !this.closed && this.reader !== null) {
      const next = this.later[0];
      if (budget && !budget.take(next.size)) return budget.whenFreed(this.retry);
      this.later.shift();
      this.transmit(next.make(), 'whole', next.done);
    }
  }

  /** Frames and writes a message whose bytes the budget has already taken from `share`. */
  private transmit(message: Uint8Array, share: Share, done?: SendCallback, progress?: (sent: number, total: number) => void): void {
    if (this.o.bounds) this.queued[share] += message.length;
    const frames = frameMessage(message, CHUNK_BYTES, this.sendMac);
    let settled = false;
    const settle = (e: Error | null | undefined) => {
      if (settled) return;
      settled = true;
      done?.(e ?? null);
    };
    this.socket.cork();
    let sent = 0;
    for (const [i, frame] of frames.entries()) {
      const last = i === frames.length - 1;
      const end = frame.pieces.length - 1;
      for (let j = 0; j < end; j++) this.socket.write(frame.pieces[j]);
      this.socket.write(frame.pieces[end], (e) => {
        if (e) return settle(e);
        this.unqueue(frame.chunk, share);
        sent += frame.chunk;
        progress?.(sent, message.length);
        if (last) settle(null);
      });
    }
    process.nextTick(() => this.socket.uncork());
    if (this.o.bounds && !this.backlogged && this.socket.writableLength > MAX_WRITE_BACKLOG) {
      this.backlogged = true;
      this.hold();
    }
  }

  private unqueue(bytes: number, share: Share): void {
    const n = Math.min(bytes, this.queued[share]);
    this.queued[share] -= n;
    give(this.o.bounds?.budget, share, n);
  }

  private drained(): void {
    if (!this.backlogged) return;
    this.backlogged = false;
    this.unhold();
  }

  /**
   * Closes with an error: the remote broke the protocol or a bound (`kind`), or this end gave up
   * on it (null).
   */
  fail(reason: string, kind: DropKind | null = null): void {
    if (this.closed) return;
    this.socket.destroy();
    this.finish(reason, kind);
  }

  /** Orderly close after everything written is flushed; resolves when closed or after `ms`. */
  end(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, ms);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.end();
    });
  }

  private finish(error: string | null, kind: DropKind | null): void {
    if (this.closed) return;
    this.closed = true;
    this.clock?.stop();
    give(this.o.bounds?.budget, this.incomingShare, this.incoming);
    this.incoming = 0;
    this.unqueue(this.queued.large, 'large');
    this.unqueue(this.queued.whole, 'whole');
    // Its half-received message goes with it.
    this.reader = null;
    const failed = new Error(error ?? 'connection closed');
    for (const go of this.waiting.splice(0)) go(failed);
    this.o.bounds?.budget.forget(this.retry);
    for (const m of this.later.splice(0)) m.done?.(failed);
    this.events.close?.(error, kind);
  }
}
