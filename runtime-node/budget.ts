/**
 * The bytes a peer's connections may hold together (Limits.bufferBudget). A counter, not an
 * allocator: whatever is about to buffer bytes takes them first, and whatever is refused closes
 * or fails instead of allocating.
 *
 * Large messages that others make the peer hold (more than one frame, so over 1 MiB: a record's
 * value, as nothing else the protocol sends is that large), whether being received, answers to
 * clients, or held until a stream's sender is proven, may take at most half of it
 * (`takeLarge`); everything else takes from the whole (`take`). With one pool, four
 * connections each declaring a 64 MiB message and trickling it filled the default 256 MiB, and
 * the peer's every stream message (stabilize, lookups, replicas, answers) waited, or was
 * refused, until those frames timed out 21 s later: its puts failed meanwhile. The half also
 * bounds the memory such messages take: with the default, 128 MiB besides the process's own.
 */
import { CHUNK_BYTES } from './framing';

/** A message of more frames than one. */
export function isLarge(bytes: number): boolean {
  return bytes > CHUNK_BYTES;
}

export class BufferBudget {
  private used = 0;
  private large = 0;
  private most = 0;
  /** Called once, in order, the next time bytes are given back (each calls again if still short). */
  private readonly waiting = new Set<() => void>();
  /** The most that large messages from others may take. */
  readonly largeBytes: number;

  constructor(readonly bytes: number) {
    this.largeBytes = Math.floor(bytes / 2);
  }

  take(n: number): boolean {
    if (this.used + n > this.bytes) return false;
    this.used += n;
    this.most = Math.max(this.most, this.used);
    return true;
  }

  give(n: number): void {
    this.used -= n;
    if (n <= 0 || this.waiting.size === 0) return;
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const retry of waiting) retry();
  }

  /** For a large message someone else makes the peer hold: within half the budget. */
  takeLarge(n: number): boolean {
    if (this.large + n > this.largeBytes || !this.take(n)) return false;
    this.large += n;
    return true;
  }

  giveLarge(n: number): void {
    this.large -= n;
    this.give(n);
  }

  /** `retry` runs the next time bytes are given back. */
  whenFreed(retry: () => void): void {
    this.waiting.add(retry);
  }

  /** `retry` no longer waits (its connection closed). */
  forget(retry: () => void): void {
    this.waiting.delete(retry);
  }

  get inUse(): number {
    return this.used;
  }

  /** Of those, taken by large messages from others. */
  get largeInUse(): number {
    return this.large;
  }

  /** The most ever in use at once. */
  get peak(): number {
    return this.most;
  }
}

/** A send refused because its bytes would take the budget past its size. */
export class OverBudgetError extends Error {}
