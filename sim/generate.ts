/**
 * Builds a scenario from a handful of knobs (what `chord sim` takes): random peer IDs, churn
 * spread over the faulty phase, a workload of puts and gets. Each concern draws from its own
 * seeded stream, so changing the churn rate does not move the workload and vice versa. The
 * generator plans with its own view of who is alive; operations it plans on a peer that turns
 * out to be in another state at run time are skipped by the simulator.
 */
import { defaultConfig } from '../core/config';
import { pointOfBigInt } from '../core/id';
import { Rng } from './rng';
import type { NetworkSettings, Scenario, ScenarioOp, Timing } from './scenario';

export interface ScenarioKnobs {
  readonly seed: string;
  readonly peers: number;
  readonly bits: number;
  readonly replicas: number;
  /** Datagram loss probability during the faulty phase. */
  readonly loss: number;
  /** Joins, graceful leaves and kills per virtual second of the faulty phase, together. */
  readonly churn: number;
  /** Virtual ms of the faulty phase. */
  readonly duration: number;
  readonly lookups: number;
  readonly records: number;
  readonly useCodec: boolean;
  /** Explicit initial IDs (decimal), instead of `peers` random ones. */
  readonly initialIds?: readonly bigint[];
  readonly timing?: Timing;
  readonly settleLimit?: number;
}

/**
 * Time for the ring to fill its fingers before faults and workload start: each peer repairs one
 * finger lookup a fixFingersInterval, and the ring needs about log2 N of them before lookups take
 * their O(log N) route (at 16,384 peers 2 s was too short: early lookups took ~30 hops and some
 * ran out of them). At least 2 s.
 */
export function warmupMs(peers: number, fixFingersInterval = defaultConfig(8).fixFingersInterval): number {
  return Math.max(2_000, fixFingersInterval * (Math.ceil(Math.log2(Math.max(2, peers))) + 4));
}

export function generateScenario(k: ScenarioKnobs): Scenario {
  const ids = new Rng(k.seed, 'ids');
  const taken = new Set<string>();
  const freshId = (): string => {
    for (;;) {
      const id = randomId(ids, k.bits);
      if (!taken.has(id)) {
        taken.add(id);
        return id;
      }
    }
  };
  const initial = k.initialIds
    ? k.initialIds.map((n) => { const id = pointOfBigInt(n, k.bits).id; taken.add(id); return id; })
    : Array.from({ length: k.peers }, freshId);
  const start = warmupMs(initial.length, k.timing?.fixFingersInterval);
  const end = start + k.duration;
  const alive = initial.slice().sort();
  const dead: string[] = [];
  const ops: ScenarioOp[] = [];

  const churn = new Rng(k.seed, 'churn');
  const churnCount = Math.round((k.churn * k.duration) / 1000);
  const churnTimes = sortedTimes(churn, churnCount, start, end);
  for (const at of churnTimes) {
    const kind = churn.int(3);
    if ((kind === 0 || alive.length <= 2) && taken.size < 2 ** Math.min(k.bits, 40)) {
      const via = alive[churn.int(alive.length)];
      // Half the joins bring back a peer that died or left earlier, under its old ID.
      const back = dead.length > 0 && churn.chance(0.5) ? dead.splice(churn.int(dead.length), 1)[0] : undefined;
      const id = back ?? freshId();
      ops.push(back ? { at, op: 'restart', id, via } : { at, op: 'join', id, via });
      insertSorted(alive, id);
    } else if (alive.length > 2) {
      const id = alive.splice(churn.int(alive.length), 1)[0];
      ops.push({ at, op: kind === 1 ? 'leave' : 'kill', id });
      dead.push(id);
    }
  }

  const work = new Rng(k.seed, 'workload');
  const livePeers = aliveOver(initial, ops);
  const putTimes = sortedTimes(work, k.records, start, end);
  const planned: { name: string; at: number }[] = [];
  const workload: ScenarioOp[] = [];
  putTimes.forEach((at, i) => {
    const name = `record-${i}`;
    const via = livePeers(at);
    workload.push({ at, op: 'put', via: via[work.int(via.length)], key: name, value: `value-${i}` });
    planned.push({ name, at });
  });
  for (const at of sortedTimes(work, planned.length > 0 ? k.lookups : 0, start, end)) {
    const earlier = planned.filter((p) => p.at < at);
    const name = earlier.length > 0 ? earlier[work.int(earlier.length)].name : 'never-stored';
    const via = livePeers(at);
    workload.push({ at, op: 'get', via: via[work.int(via.length)], key: name });
  }
  ops.push(...workload);
  ops.sort((a, b) => a.at - b.at);

  return {
    seed: k.seed,
    bits: k.bits,
    replicas: k.replicas,
    initial,
    timing: k.timing ?? {},
    network: defaultNetwork(k.loss),
    ops,
    faultsUntil: end,
    settleLimit: k.settleLimit ?? 60_000,
    useCodec: k.useCodec,
  };
}

export function defaultNetwork(loss: number): NetworkSettings {
  return { latencyMin: 1, latencyMax: 10, loss, duplicate: loss / 2, streamFailure: 0, clockSkew: 0.01 };
}

/**
 * Who the plan has alive at a time, for times asked in increasing order: replays the churn
 * (already in time order) up to that time.
 */
function aliveOver(initial: readonly string[], churn: readonly ScenarioOp[]): (at: number) => readonly string[] {
  const alive = initial.slice().sort();
  let next = 0;
  return (at) => {
    for (; next < churn.length && churn[next].at <= at; next++) {
      const op = churn[next];
      if (op.op === 'join' || op.op === 'restart') insertSorted(alive, op.id);
      else if (op.op === 'leave' || op.op === 'kill') alive.splice(alive.indexOf(op.id), 1);
    }
    return alive;
  };
}

/** A uniformly random canonical ID of `bits` bits, 24 bits per draw. */
export function randomId(rng: Rng, bits: number): string {
  let v = 0n;
  for (let have = 0; have < bits; have += 24) v = (v << 24n) | BigInt(rng.int(1 << 24));
  return pointOfBigInt(v, bits).id;
}

function sortedTimes(rng: Rng, n: number, from: number, to: number): number[] {
  const times = Array.from({ length: n }, () => Math.round(rng.uniform(from, to) * 10) / 10);
  return times.sort((a, b) => a - b);
}

function insertSorted(list: string[], id: string): void {
  let i = 0;
  while (i < list.length && list[i] < id) i++;
  list.splice(i, 0, id);
}
