/**
 * The bytes a peer's connections may hold together (Limits.bufferBudget). A counter, not an
 * allocator: whatever is about to buffer bytes takes them first, and whatever is refused closes
 * or fails instead of allocating.
 */
export class BufferBudget {
  private used = 0;
  private most = 0;
  /** Called once, in order, the next time bytes are given back (each calls again if still short). */
  private readonly waiting = new Set<() => void>();

  constructor(readonly bytes: number) {}

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

  /** The most ever in use at once. */
  get peak(): number {
    return this.most;
  }
}

/** A send refused because its bytes would take the budget past its size. */
export class OverBudgetError extends Error {}
