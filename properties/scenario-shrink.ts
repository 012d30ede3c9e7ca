/**
 * Shrinking a scenario as such, whatever made it: for generators whose output fast-check cannot
 * shrink by their inputs (`chord sim`'s, where one knob moves every operation), a failing case
 * is cut down by removing operations and initial peers in ever smaller chunks (delta debugging)
 * and by calming the network. Every candidate is a valid scenario: an operation that names a
 * peer no longer there is skipped at run time.
 */
import fc from 'fast-check';
import type { Scenario } from '../sim/scenario';

/** Without `items[from, from + n)`. */
function cut<T>(items: readonly T[], from: number, n: number): T[] {
  return [...items.slice(0, from), ...items.slice(from + n)];
}

/** Lists shorter than `items`, larger cuts first (halves, then quarters, ...). */
function* chunksRemoved<T>(items: readonly T[], keep: number): Generator<T[]> {
  for (let n = Math.ceil(items.length / 2); n >= 1; n = n === 1 ? 0 : Math.ceil(n / 2)) {
    for (let from = 0; from < items.length && items.length - n >= keep; from += n) yield cut(items, from, n);
  }
}

/** Smaller or calmer variants of `s`, the ones most likely to cut the run short first. */
export function* shrinkScenario(s: Scenario): Generator<Scenario> {
  for (const ops of chunksRemoved(s.ops, 0)) yield { ...s, ops };
  for (const initial of chunksRemoved(s.initial, 1)) yield { ...s, initial };
  const n = s.network;
  for (const field of ['loss', 'duplicate', 'streamFailure', 'clockSkew'] as const) {
    if (n[field] !== 0) yield { ...s, network: { ...n, [field]: 0 } };
  }
  if (n.latencyMax > n.latencyMin) yield { ...s, network: { ...n, latencyMax: n.latencyMin } };
  const last = s.ops.reduce((t, op) => Math.max(t, op.op === 'partition' ? op.until : op.at), 0);
  if (s.faultsUntil > last + 1) yield { ...s, faultsUntil: last + 1 };
}

/**
 * An arbitrary of scenarios built from another arbitrary's values by `build`, shrunk by
 * shrinkScenario rather than through its source (fast-check replays a path through the very same
 * stream of candidates, so a `--path` still names one case).
 */
export class BuiltScenarioArbitrary<T> extends fc.Arbitrary<Scenario> {
  constructor(
    private readonly source: fc.Arbitrary<T>,
    private readonly build: (t: T) => Scenario,
  ) {
    super();
  }

  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<Scenario> {
    return new fc.Value(this.build(this.source.generate(mrng, biasFactor).value), undefined);
  }

  canShrinkWithoutContext(value: unknown): value is Scenario {
    return typeof value === 'object' && value !== null && Array.isArray((value as Scenario).ops) && Array.isArray((value as Scenario).initial);
  }

  shrink(value: Scenario): fc.Stream<fc.Value<Scenario>> {
    return fc.stream(shrinkScenario(value)).map((s) => new fc.Value(s, undefined));
  }
}
