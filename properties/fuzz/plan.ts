/**
 * What a fuzz campaign runs, as a pure function of its seed: scenario number g of the campaign
 * gets its own fast-check seed and its own generator, whatever machine, worker or moment runs
 * it. Shards split the numbers (shard i of n takes g = i-1, i-1+n, i-1+2n, ...), workers split a
 * shard's numbers the same way, so a CI matrix or a batch scheduler splits one campaign into
 * disjoint parts with no coordination.
 */

/** The fuzzer's generators and how often each is drawn: the small ones run many times faster. */
export const GENERATOR_WEIGHTS: Readonly<Record<string, number>> = {
  churn: 8,
  'churn-large': 3,
  membership: 2,
  sim: 1,
};

export const GENERATORS = Object.keys(GENERATOR_WEIGHTS);

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

/** 32 bits of FNV-1a over a string: enough to spread campaign numbers over seeds. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h | 0;
}

export class Plan {
  private readonly total: number;

  constructor(
    readonly seed: string,
    readonly shard: Shard,
    readonly generators: readonly string[],
    /** Share of scenarios run twice to compare their traces. */
    readonly determinism: number,
  ) {
    this.total = generators.reduce((n, g) => n + (GENERATOR_WEIGHTS[g] ?? 1), 0);
  }

  /** The campaign number of the j-th scenario of this shard. */
  campaignIndex(j: number): number {
    return this.shard.index - 1 + this.shard.count * j;
  }

  /** fast-check's seed for campaign scenario g. */
  seedOf(g: number): number {
    return hash32(`${this.seed}:${g}`);
  }

  generatorOf(g: number): string {
    let pick = (hash32(`${this.seed}:${g}:generator`) >>> 0) % this.total;
    for (const name of this.generators) {
      pick -= GENERATOR_WEIGHTS[name] ?? 1;
      if (pick < 0) return name;
    }
    return this.generators[this.generators.length - 1];
  }

  /** Whether campaign scenario g is also run a second time (FoundationDB's unseed check). */
  twiceOf(g: number): boolean {
    return ((hash32(`${this.seed}:${g}:twice`) >>> 0) % 10_000) < this.determinism * 10_000;
  }
}

/** "60s", "10m", "2h", "1h30m", "500ms" or plain seconds, in ms; NaN when it is none of those. */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== t) return NaN;
  return parts.reduce((ms, p) => ms + Number(p[1]) * unit[p[2]], 0);
}

/** "1h02m05s", "3m20s", "42s": a duration as a person reads it. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m${String(s).padStart(2, '0')}s`;
  if (m > 0) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}
