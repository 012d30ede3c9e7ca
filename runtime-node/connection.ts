/**
 * One TCP connection carrying framed messages (framing.ts), in either direction. It owns the
 * socket's error handling, so that nothing a remote end does can throw into the peer: a framing
 * violation or a socket error closes the connection and is reported once, through `close`.
 * With a ring-key opening (ring-key.ts) it first finishes the handshake; messages sent meanwhile
 * wait for it, and every frame after it carries its MAC.
 */
import type { Socket } from 'node:net';
import { CHUNK_BYTES, FrameReader, MAX_MESSAGE_BYTES, piecesPerFrame, toFrames } from './framing';
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
  /** Called once; `error` is null for an orderly close. */
  close?(error: string | null): void;
}

export interface ConnectionOptions {
  readonly maxMessage?: number;
  /** The ring-key handshake to finish first; its `hello` is the caller's to have sent. */
  readonly opening?: Opening;
}

/** Settles when the message has been handed to the kernel, or failed (error set). */
export type SendCallback = (error: Error | null) => void;

export class Connection {
  /** Null until the handshake is done. */
  private reader: FrameReader | null = null;
  private sendMac: FrameMac | null = null;
  private handshakeBytes = Buffer.alloc(0);
  /** Sends waiting for the handshake; each is called with null to go, or with the failure. */
  private readonly waiting: ((failed: Error | null) => void)[] = [];
  private closed = false;

  constructor(
    readonly socket: Socket,
    private readonly events: ConnectionEvents,
    private readonly o: ConnectionOptions = {},
  ) {
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.receive(data));
    socket.on('error', (e) => this.finish(`${e.message}`));
    socket.on('close', () => this.finish(null));
    if (o.opening) return;
    this.reader = this.newReader(null);
    if (socket.connecting) socket.once('connect', () => this.ready());
    else process.nextTick(() => this.ready());
  }

  private ready(): void {
    if (this.closed) return;
    this.socket.setTimeout(0);
    this.events.ready?.();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Feeds bytes that arrived before this connection took the socket (after the preamble). */
  receive(data: Buffer): void {
    if (this.closed || data.length === 0) return;
    if (this.reader === null) return this.handshake(data);
    const error = this.reader.push(data);
    if (error !== null) this.fail(error);
  }

  private handshake(data: Buffer): void {
    const opening = this.o.opening as Opening;
    this.handshakeBytes = Buffer.concat([this.handshakeBytes, data]);
    if (this.handshakeBytes.length < opening.expect) return;
    const result = opening.finish(this.handshakeBytes.subarray(0, opening.expect));
    const rest = this.handshakeBytes.subarray(opening.expect);
    this.handshakeBytes = Buffer.alloc(0);
    if (!result.ok) return this.fail(result.error);
    if (result.reply.length > 0) this.socket.write(result.reply);
    this.reader = this.newReader(result.receive);
    this.sendMac = result.send;
    for (const go of this.waiting.splice(0)) go(null);
    this.ready();
    this.receive(rest);
  }

  private newReader(mac: FrameMac | null): FrameReader {
    return new FrameReader({ message: (m) => this.events.message(m, this), progress: this.events.progress }, this.o.maxMessage ?? MAX_MESSAGE_BYTES, undefined, mac);
  }

  /**
   * Sends one message in frames. `done` settles once for the whole message; `progress` reports
   * bytes handed to the kernel after each chunk.
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
    const frames = toFrames(message, CHUNK_BYTES, this.sendMac);
    const pieces = piecesPerFrame(this.sendMac);
    let settled = false;
    const settle = (e: Error | null | undefined) => {
      if (settled) return;
      settled = true;
      done?.(e ?? null);
    };
    this.socket.cork();
    let sent = 0;
    for (let i = 0; i < frames.length; i += pieces) {
      const chunk = frames[i + 1];
      const end = i + pieces;
      const last = end === frames.length;
      for (let j = i; j < end - 1; j++) this.socket.write(frames[j]);
      this.socket.write(frames[end - 1], (e) => {
        if (e) return settle(e);
        sent += chunk.length;
        progress?.(sent, message.length);
        if (last) settle(null);
      });
    }
    process.nextTick(() => this.socket.uncork());
  }

  /** Closes with an error: the remote broke the protocol, or we gave up on it. */
  fail(reason: string): void {
    if (this.closed) return;
    this.socket.destroy();
    this.finish(reason);
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

  private finish(error: string | null): void {
    if (this.closed) return;
    this.closed = true;
    const failed = new Error(error ?? 'connection closed');
    for (const go of this.waiting.splice(0)) go(failed);
    this.events.close?.(error);
  }
}
