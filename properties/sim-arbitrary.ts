/**
 * The scenarios `chord sim` makes, drawn over its own knobs: the fuzzer's `sim` generator runs
 * the very code path of `chord sim` (sim/generate.ts), so nothing `chord sim` can reach from its
 * flags is out of the fuzzer's reach. Rings of 16 to 128 peers mostly (a few smaller), restarts,
 * reads and writes all through long faulty phases; shrunk as scenarios (see scenario-shrink.ts).
 */
import fc from 'fast-check';
import { generateScenario, type ScenarioKnobs } from '../sim/generate';
import type { Scenario } from '../sim/scenario';
import { BuiltScenarioArbitrary } from './scenario-shrink';

export interface SimLimits {
  readonly minPeers: number;
  readonly maxPeers: number;
  readonly maxDuration: number;
}

const SIM_LIMITS: SimLimits = { minPeers: 16, maxPeers: 128, maxDuration: 40_000 };

function knobsArb(limits: SimLimits = SIM_LIMITS): fc.Arbitrary<ScenarioKnobs> {
  return fc.record({
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }).map(String),
    peers: fc.oneof({ arbitrary: fc.integer({ min: limits.minPeers, max: limits.maxPeers }), weight: 5 }, { arbitrary: fc.integer({ min: 1, max: limits.minPeers - 1 }), weight: 1 }),
    bits: fc.constantFrom(8, 16, 32, 32, 160),
    replicas: fc.integer({ min: 1, max: 5 }),
    loss: fc.oneof(fc.constant(0), fc.constant(0.02), fc.integer({ min: 1, max: 200 }).map((i) => i / 1000)),
    churn: fc.oneof(fc.constant(0), fc.constant(0.5), fc.integer({ min: 1, max: 200 }).map((i) => i / 100)),
    duration: fc.integer({ min: 2_000, max: limits.maxDuration }),
    lookups: fc.integer({ min: 0, max: 300 }),
    records: fc.integer({ min: 0, max: 150 }),
    useCodec: fc.constant(true),
  });
}

export function simScenarioArb(limits: SimLimits = SIM_LIMITS): fc.Arbitrary<Scenario> {
  return new BuiltScenarioArbitrary(knobsArb(limits), generateScenario);
}
