/**
 * One TCP connection carrying framed messages (framing.ts), in either direction. It owns the
 * socket's error handling, so that nothing a remote end does can throw into the peer: a framing
 * violation or a socket error closes the connection and is reported once, through `close`.
 */
import type { Socket } from 'node:net';
import { FrameReader, MAX_MESSAGE_BYTES, toFrames } from './framing';

export interface ConnectionEvents {
  message(bytes: Buffer, conn: Connection): void;
  /** Progress of a large incoming message, chunk by chunk. */
  progress?(received: number, total: number): void;
  /** Called once; `error` is null for an orderly close. */
  close?(error: string | null): void;
}

/** Settles when the message has been handed to the kernel, or failed (error set). */
export type SendCallback = (error: Error | null) => void;

export class Connection {
  private readonly reader: FrameReader;
  private closed = false;

  constructor(
    readonly socket: Socket,
    private readonly events: ConnectionEvents,
    maxMessage: number = MAX_MESSAGE_BYTES,
  ) {
    this.reader = new FrameReader({ message: (m) => this.events.message(m, this), progress: events.progress }, maxMessage);
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.receive(data));
    socket.on('error', (e) => this.finish(`${e.message}`));
    socket.on('close', () => this.finish(null));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Feeds bytes that arrived before this connection took the socket (after the preamble). */
  receive(data: Buffer): void {
    if (this.closed || data.length === 0) return;
    const error = this.reader.push(data);
    if (error !== null) this.fail(error);
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
    const frames = toFrames(message);
    let settled = false;
    const settle = (e: Error | null | undefined) => {
      if (settled) return;
      settled = true;
      done?.(e ?? null);
    };
    this.socket.cork();
    let sent = 0;
    for (let i = 0; i < frames.length; i += 2) {
      this.socket.write(frames[i]);
      const chunk = frames[i + 1];
      const last = i + 2 === frames.length;
      this.socket.write(chunk, (e) => {
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
    this.events.close?.(error);
  }
}
