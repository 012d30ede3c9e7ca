/**
 * A scenario is everything a simulated run depends on: the simulator only executes it, so a run
 * is a pure function of the scenario (which includes its seed). fast-check generates scenarios
 * so that it can shrink them; `chord sim` builds one from its flags; `chord replay` reads one.
 */

export interface NetworkSettings {
  /** One-way latency range in virtual ms, drawn uniformly per message. */
  readonly latencyMin: number;
  readonly latencyMax: number;
  /** Datagram loss probability during the faulty phase. */
  readonly loss: number;
  /** Datagram duplication probability during the faulty phase. */
  readonly duplicate: number;
  /** Probability that a stream connection breaks when a message is sent on it (faulty phase). */
  readonly streamFailure: number;
  /** Largest per-peer clock rate error, e.g. 0.01 for +-1%. */
  readonly clockSkew: number;
}

/** Protocol timing, in virtual ms; any field left out takes the core's default. */
export interface Timing {
  readonly pingInterval?: number;
  readonly missLimit?: number;
  readonly stabilizeInterval?: number;
  readonly fixFingersInterval?: number;
  readonly replicateInterval?: number;
  readonly rpcTimeout?: number;
}

/**
 * Timed operations. Peers are named by identifier (canonical hex); `at` is virtual ms from the
 * start. Operations that name a peer that is not in the needed state are skipped and traced,
 * so that shrinking never turns a scenario invalid.
 */
export type ScenarioOp =
  | { readonly at: number; readonly op: 'join'; readonly id: string; readonly via: string }
  | { readonly at: number; readonly op: 'leave'; readonly id: string }
  | { readonly at: number; readonly op: 'kill'; readonly id: string }
  /** A killed or departed peer comes back with empty state and joins via `via`. */
  | { readonly at: number; readonly op: 'restart'; readonly id: string; readonly via: string }
  | { readonly at: number; readonly op: 'put'; readonly via: string; readonly key: string; readonly value: string }
  | { readonly at: number; readonly op: 'get'; readonly via: string; readonly key: string }
  /** A stranger (`from`, an identifier no peer of the run has) sends `to` a message carrying a
   *  record it made up: it has proven its address, as on an open ring, and is no neighbour. */
  | { readonly at: number; readonly op: 'forge'; readonly from: string; readonly to: string; readonly what: ForgedMessage; readonly key: string; readonly value: string }
  /** Cut the network between `group` and everyone else until `until`. */
  | { readonly at: number; readonly op: 'partition'; readonly group: readonly string[]; readonly until: number };

/** The record-carrying messages a stranger may send (core/trust.ts says whom each is taken from). */
export type ForgedMessage = 'store-copy' | 'copy' | 'handoff' | 'leave';
export const FORGED_MESSAGES: readonly ForgedMessage[] = ['store-copy', 'copy', 'handoff', 'leave'];

export interface Scenario {
  /** Seed of the run's random streams (network, clocks); written as a string on purpose. */
  readonly seed: string;
  readonly bits: number;
  readonly replicas: number;
  /** Identifiers (canonical hex) of the peers of the initial ring, started at time 0 each told
   *  its successors and predecessor (the seed's `init`). A ring grown from one peer by joins is
   *  a scenario with one initial peer and `join` operations. */
  readonly initial: readonly string[];
  readonly timing: Timing;
  readonly network: NetworkSettings;
  readonly ops: readonly ScenarioOp[];
  /** End of the faulty phase (virtual ms): loss, duplication and stream failures stop here. */
  readonly faultsUntil: number;
  /** Longest time the ring may take to settle after the faults stop before the checks run. */
  readonly settleLimit: number;
  /** Route messages through the wire codec (bytes), as the property tests do. */
  readonly useCodec: boolean;
}
