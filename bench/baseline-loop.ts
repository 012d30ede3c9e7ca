/**
 * The yardstick the simulator is measured against: a plain JavaScript event loop over a
 * typed-array heap doing the minimum a Chord peer must per event, on N peers with sorted
 * 52-bit positions and log2 N real fingers each. An event is a lookup hop arriving at a peer: the
 * peer scans its fingers for the closest one preceding the target and sends the hop on after a
 * random latency, or answers, and a new lookup starts. No objects per event, no maps, no copies:
 * what an event costs when nothing but the protocol's own work is done.
 */

/** Min-heap of (time, payload) in parallel typed arrays; ties by insertion order do not matter here. */
class TypedHeap {
  private times: Float64Array;
  private items: Float64Array;
  size = 0;

  constructor(capacity: number) {
    this.times = new Float64Array(capacity);
    this.items = new Float64Array(capacity);
  }

  push(time: number, item: number): void {
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.times[parent] <= time) break;
      this.times[i] = this.times[parent];
      this.items[i] = this.items[parent];
      i = parent;
    }
    this.times[i] = time;
    this.items[i] = item;
  }

  topTime(): number {
    return this.times[0];
  }

  /** Removes the earliest entry and returns its payload. */
  pop(): number {
    const top = this.items[0];
    const n = --this.size;
    const t = this.times[n];
    const it = this.items[n];
    let i = 0;
    while (true) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.times[c + 1] < this.times[c]) c++;
      if (t <= this.times[c]) break;
      this.times[i] = this.times[c];
      this.items[i] = this.items[c];
      i = c;
    }
    this.times[i] = t;
    this.items[i] = it;
    return top;
  }
}

const SPACE = 2 ** 52;

/** Events per second of the yardstick over `events` events on `peers` peers. */
export function baselineEventsPerSec(peers: number, events: number): number {
  let x = 12345;
  const random = (): number => (x = (x * 48271) % 2147483647) / 2147483647;
  const pos = new Float64Array(peers);
  for (let i = 0; i < peers; i++) pos[i] = Math.floor(random() * SPACE);
  pos.sort();
  const fingers = Math.max(1, Math.ceil(Math.log2(peers)));
  // Finger j of peer i: the peer 2^j places on, the ideal ring's answer for start i + 2^j.
  const table = new Int32Array(peers * fingers);
  for (let i = 0; i < peers; i++) for (let j = 0; j < fingers; j++) table[i * fingers + j] = (i + 2 ** j) % peers;
  const lookups = Math.max(16, peers);
  const target = new Float64Array(lookups);
  const heap = new TypedHeap(lookups + 1);
  // A payload packs the lookup and the peer it is at.
  for (let l = 0; l < lookups; l++) {
    target[l] = Math.floor(random() * SPACE);
    heap.push(random() * 10, l * peers + Math.floor(random() * peers));
  }
  const dist = (from: number, to: number): number => (to - from + SPACE) % SPACE;
  const start = performance.now();
  for (let e = 0; e < events; e++) {
    const now = heap.topTime();
    const item = heap.pop();
    const l = Math.floor(item / peers);
    const at = item - l * peers;
    const goal = dist(pos[at], target[l]);
    let next = at;
    let best = 0;
    for (let j = fingers - 1; j >= 0; j--) {
      const f = table[at * fingers + j];
      const d = dist(pos[at], pos[f]);
      if (d < goal && d > best) {
        best = d;
        next = f;
      }
    }
    if (next === at) {
      // Answered: the lookup starts over with a new target from a random peer.
      target[l] = Math.floor(random() * SPACE);
      next = Math.floor(random() * peers);
    }
    heap.push(now + 1 + random() * 49, l * peers + next);
  }
  return (events * 1000) / (performance.now() - start);
}
