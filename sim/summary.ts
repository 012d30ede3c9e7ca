/** The run's picture of the ring: every machine the world had, by id, with its last state. */
import { cmp, decimalOf, type Point } from '../core/id';
import type { PeerReport } from './report';
import type { SimPeer } from './peer';

export function* ringReport(peers: readonly SimPeer[]): Generator<PeerReport> {
  // Decimal conversion goes through BigInt; the same few ids recur in every peer's tables.
  const decimals = new Map<string, string>();
  const dec = (p: Point): string => {
    let d = decimals.get(p.id);
    if (d === undefined) {
      d = decimalOf(p);
      decimals.set(p.id, d);
    }
    return d;
  };
  for (const p of [...peers].sort((a, b) => cmp(a.self, b.self))) {
    yield {
      id: dec(p.self),
      alive: p.alive,
      successors: p.state.succs.map(dec),
      predecessor: p.state.pred === null ? null : dec(p.state.pred),
      fingers: p.state.fingers.slots.map((f) => (f === null ? null : dec(f))),
      records: p.state.records.size,
    };
  }
}
