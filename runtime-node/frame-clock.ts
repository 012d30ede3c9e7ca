/**
 * The deadlines of the frame and the message a connection is receiving: each must be complete
 * within the grace period plus its declared size at the minimum rate (limits.ts), a frame from
 * its first byte, a message from its first header. Checking per frame catches a trickle early:
 * a 64 MiB message at a byte a second is cut off after one frame's allowance (21 s by default),
 * not the message's (17 min). Time spent with reading paused by this end does not count: that
 * wait is ours, not the sender's.
 */
import { performance } from 'node:perf_hooks';
import { allowanceMs, type Pace } from './limits';

export class FrameClock {
  private frameStart: number | null = null;
  private frameDue = Infinity;
  private frameBytes = 0;
  private messageDue = Infinity;
  private messageBytes = 0;
  private pausedAt: number | null = null;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;

  constructor(private readonly pace: Pace, private readonly late: (reason: string) => void) {}

  /** A frame's header has been read: `first` when it starts a message. */
  frame(chunk: number, total: number, first: boolean): void {
    const now = performance.now();
    this.frameStart ??= now;
    this.frameBytes = chunk;
    this.frameDue = this.frameStart + allowanceMs(this.pace, chunk);
    if (first) {
      this.messageBytes = total;
      this.messageDue = now + allowanceMs(this.pace, total);
    }
  }

  frameDone(): void {
    this.frameStart = null;
    this.frameDue = Infinity;
  }

  messageDone(): void {
    this.messageDue = Infinity;
  }

  /**
   * After each read, with whether it ended inside a frame. A frame whose header is not complete
   * yet gets the grace period until the header says how large it is.
   */
  settle(midFrame: boolean): void {
    if (midFrame && this.frameStart === null) {
      this.frameStart = performance.now();
      this.frameBytes = 0;
      this.frameDue = this.frameStart + this.pace.frameGraceMs;
    }
    this.arm();
  }

  pause(): void {
    this.pausedAt ??= performance.now();
    this.disarm();
  }

  resume(): void {
    if (this.pausedAt === null) return;
    const waited = performance.now() - this.pausedAt;
    this.pausedAt = null;
    if (this.frameStart !== null) this.frameStart += waited;
    this.frameDue += waited;
    this.messageDue += waited;
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  private arm(): void {
    if (this.stopped || this.pausedAt !== null) return;
    const due = Math.min(this.frameDue, this.messageDue);
    if (due === this.armedFor) return;
    this.disarm();
    if (due === Infinity) return;
    this.armedFor = due;
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - performance.now()));
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.armedFor = Infinity;
  }

  private fire(): void {
    this.armedFor = Infinity;
    const frame = this.frameDue <= this.messageDue;
    const bytes = frame ? this.frameBytes : this.messageBytes;
    const what = !frame ? `a message of ${bytes} bytes` : bytes === 0 ? 'a frame header' : `a frame of ${bytes} bytes`;
    this.late(`${what} not complete within ${Math.round(allowanceMs(this.pace, bytes))} ms`);
  }
}
