/** The outcome of one simulated run: what `chord sim --json` prints (IDs as decimal strings). */

export interface Violation {
  /** Zave's name (OneOrderedRing, ConnectedAppendages, ...) or IdealRing, Data, Liveness, ... */
  readonly invariant: string;
  /** How it broke (with the invariant, the failure's signature: see sim/verdict.ts). */
  readonly kind: string;
  readonly detail: string;
  /** Virtual ms at which it was seen. */
  readonly at: number;
  /** The run was within the failure model then: only such a violation fails the run. */
  readonly inModel: boolean;
}

export interface PeerReport {
  readonly id: string;
  readonly alive: boolean;
  readonly successors: readonly string[];
  readonly predecessor: string | null;
  /** `bits` entries; entry k is the peer for id + 2^k, null where unknown. */
  readonly fingers: readonly (string | null)[];
  readonly records: number;
}

export interface RunReport {
  readonly seed: string;
  readonly peers: number;
  readonly bits: number;
  readonly replicas: number;
  readonly virtualMs: number;
  readonly events: number;
  readonly wallMs: number;
  readonly eventsPerSec: number;
  readonly traceHash: string;
  /** Virtual ms after the faults stopped until the ring was ideal, null if it never was. */
  readonly settledAfterMs: number | null;
  readonly lookups: {
    readonly issued: number;
    readonly succeeded: number;
    /** Gets rightly answered "not found" (nothing was acknowledged for the key before they asked). */
    readonly notFound: number;
    readonly failed: number;
    readonly meanHops: number;
    readonly p99Hops: number;
  };
  readonly records: {
    readonly acknowledged: number;
    readonly readable: number;
    readonly lost: number;
  };
  readonly faults: {
    readonly joins: number;
    readonly leaves: number;
    readonly kills: number;
    readonly assumptionHeld: boolean;
    /** Live successors declared gone: detection by timeouts erring. */
    readonly falseAlarms: number;
    /** One of them left a full successor list with no live entry: safety was not checked after it. */
    readonly strandedByFalseAlarm: boolean;
  };
  readonly invariants: {
    readonly checked: number;
    readonly violations: readonly Violation[];
  };
  /** Machines alive at the end. Each one's tables are per-peer detail (SimResult.peerReports,
   *  `chord sim --peer-detail`): a report whose size grew with peers x bits outgrew a string. */
  readonly alive: number;
}
