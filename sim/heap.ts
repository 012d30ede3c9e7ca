/**
 * The simulator's event queue: a binary min-heap ordered by (time, insertion sequence), so that
 * events due at the same virtual time come out in the order they were scheduled and a run is a
 * pure function of its scenario.
 *
 * Times and sequence numbers live in arrays parallel to the items: comparisons read two packed
 * number arrays instead of chasing item objects, and a push or pop allocates nothing beyond the
 * caller's item. This is the simulator's hottest loop.
 */
export class EventQueue<T> {
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private readonly items: T[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.items.length;
  }

  /** Time of the earliest event, Infinity when the queue is empty. */
  peekTime(): number {
    return this.items.length > 0 ? this.times[0] : Infinity;
  }

  push(time: number, item: T): void {
    const seq = this.nextSeq++;
    let i = this.items.length;
    // Sift up with a hole: parents move down until the new entry's slot is found.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = this.times[parent];
      if (pt < time || (pt === time && this.seqs[parent] < seq)) break;
      this.move(parent, i);
      i = parent;
    }
    this.put(i, time, seq, item);
  }

  /** Removes and returns the earliest event; undefined when the queue is empty. */
  pop(): T | undefined {
    const n = this.items.length;
    if (n === 0) return undefined;
    const top = this.items[0];
    const lastTime = this.times[n - 1];
    const lastSeq = this.seqs[n - 1];
    const lastItem = this.items[n - 1];
    this.times.pop();
    this.seqs.pop();
    this.items.pop();
    const size = n - 1;
    if (size === 0) return top;
    let i = 0;
    while (true) {
      let child = 2 * i + 1;
      if (child >= size) break;
      const right = child + 1;
      if (right < size && this.before(right, child)) child = right;
      const ct = this.times[child];
      if (lastTime < ct || (lastTime === ct && lastSeq < this.seqs[child])) break;
      this.move(child, i);
      i = child;
    }
    this.put(i, lastTime, lastSeq, lastItem);
    return top;
  }

  private before(a: number, b: number): boolean {
    const ta = this.times[a];
    const tb = this.times[b];
    return ta < tb || (ta === tb && this.seqs[a] < this.seqs[b]);
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from];
    this.seqs[to] = this.seqs[from];
    this.items[to] = this.items[from];
  }

  private put(i: number, time: number, seq: number, item: T): void {
    this.times[i] = time;
    this.seqs[i] = seq;
    this.items[i] = item;
  }
}
