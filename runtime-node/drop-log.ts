/**
 * Log lines for whatever a peer refuses or cuts off from the outside, at most one per kind per
 * interval: a stranger (or a flood) sending garbage, or holding connections, must not be able to
 * fill the log. The first refusal of a kind is told at once; the ones after it within the
 * interval are counted, and the count is told when the interval ends.
 */
export const DROP_LOG_INTERVAL_MS = 10_000;

/** What a peer refuses, each told apart in the log. */
export type DropKind =
  // A keyed peer, from outside its ring.
  | 'datagrams without a valid ring-key MAC' | 'replayed datagrams' | 'connections without the ring key'
  // An open peer: senders not yet proven, and datagrams that could reflect or amplify.
  | 'datagrams not from the address they claim' | 'streams whose sender did not prove its address'
  | 'messages by datagram that only come by stream' | 'datagram answers larger than their question'
  // Any peer: bytes that are not the protocol.
  | 'malformed datagrams' | 'connections not speaking chord' | 'malformed frames' | 'broken connections'
  // Any peer: the limits of limits.ts.
  | 'connections over the cap' | 'idle connections' | 'frames too slow' | 'over the buffer budget';

interface Quiet {
  count: number;
  last: string;
  readonly timer: NodeJS.Timeout;
}

export class DropLog {
  private readonly kinds = new Map<DropKind, Quiet>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly intervalMs: number = DROP_LOG_INTERVAL_MS,
  ) {}

  drop(kind: DropKind, detail: string): void {
    const quiet = this.kinds.get(kind);
    if (quiet) {
      quiet.count++;
      quiet.last = detail;
      return;
    }
    this.log(`${detail} (${kind}: more are counted, one line per ${this.intervalMs / 1000} s)`);
    this.silence(kind);
  }

  /** Stops the timers; counts not yet told are told now. */
  close(): void {
    for (const kind of [...this.kinds.keys()]) this.tell(kind, false);
  }

  private silence(kind: DropKind): void {
    const timer = setTimeout(() => this.tell(kind, true), this.intervalMs);
    // A peer that is stopping must not wait for the next count.
    timer.unref();
    this.kinds.set(kind, { count: 0, last: '', timer });
  }

  private tell(kind: DropKind, again: boolean): void {
    const quiet = this.kinds.get(kind);
    if (!quiet) return;
    clearTimeout(quiet.timer);
    this.kinds.delete(kind);
    if (quiet.count === 0) return;
    this.log(`${kind}: ${quiet.count} more dropped since the last line; the last: ${quiet.last}`);
    if (again) this.silence(kind);
  }
}
