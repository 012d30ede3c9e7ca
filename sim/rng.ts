/**
 * Seeded random streams. Each concern (network, clocks, ...) draws from its own stream derived
 * from the run seed, so that a change that makes one concern draw more or fewer numbers does not
 * reshuffle the others.
 *
 * The generator is seedrandom's xor128: about 1.5 ns a call on Node 20 against about 5.5 ns for
 * alea (measured), and 32 bits of resolution are plenty for latencies and fault probabilities.
 * Its pitfalls are avoided here: the constructor is always called with a seed (seedrandom()
 * without one would replace Math.random), and the seed is always a non-empty string (an empty
 * one leaves xor128 in its all-zero state, which then yields only zeros).
 */
import seedrandom from 'seedrandom';

export class Rng {
  private readonly next: () => number;

  constructor(seed: string, stream: string) {
    this.next = seedrandom.xor128(`${seed}:${stream}`);
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** True with probability p. Always draws, so the stream's position does not depend on p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}
