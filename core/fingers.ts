/**
 * Finger repair: one lookup per round, for the next finger that is not known to share the
 * answer of the previous one, and the next one at once after an answer that changed the table. A lookup for finger k that returns R also settles every later
 * finger whose start lies in (self, R], so a full cycle costs about log N lookups, not `bits`.
 */
import { bigIntOf, fingerStart, same } from './id';
import { startOp } from './lookup';
import { listed } from './ring';
import type { Tx } from './tx';
import type { FingerTable, Peer } from './types';

/**
 * Equal fingers come in runs (one repair answer fills every slot its distance covers), so a
 * run is taken once; the rare peer that appears in two runs is listed twice, which routing,
 * which keeps each candidate once, does not mind.
 */
export function fingerTable(slots: readonly (Peer | null)[]): FingerTable {
  const distinct: Peer[] = [];
  let last: Peer | null = null;
  for (let k = slots.length - 1; k >= 0; k--) {
    const f = slots[k];
    if (f === null || f === last || (last !== null && same(f, last))) continue;
    distinct.push(f);
    last = f;
  }
  return { slots, distinct };
}

/** The table without `gone` (the same table when it is not in it). */
export function fingersWithout(table: FingerTable, gone: Peer): FingerTable {
  if (!listed(table.distinct, gone)) return table;
  return fingerTable(table.slots.map((f) => (f !== null && same(f, gone) ? null : f)));
}

export function onFixFingersTimer(tx: Tx): void {
  tx.due('fix-fingers', tx.s.cfg.fixFingersInterval);
  repairNextFinger(tx);
}

function repairNextFinger(tx: Tx): void {
  if (tx.s.phase.name !== 'member') return;
  for (const op of tx.s.ops.values()) if (op.purpose === 'finger') return;
  const k = tx.s.fingerNext;
  startOp(tx, { purpose: 'finger', index: k }, fingerStart(tx.s.self, k, tx.s.cfg.bits));
}

/** Finger k could not be looked up: the next round tries the next one, lest one unreachable region stall all the others. */
export function fingerFailed(tx: Tx, k: number): void {
  tx.set({ fingerNext: after(k, tx.s.cfg.bits) });
}

/** The finger after k, round the table. */
function after(k: number, bits: number): number {
  return k + 1 === bits ? 0 : k + 1;
}

export function fingerFound(tx: Tx, k: number, found: Peer): void {
  const { self, cfg } = tx.s;
  // Finger j starts at self + 2^j, so it shares `found` while 2^j <= dist(self, found): all
  // fingers from k to the top bit of that distance (every one when found is self).
  const dist = same(found, self) ? 0n : (bigIntOf(found) - bigIntOf(self) + (1n << BigInt(cfg.bits))) % (1n << BigInt(cfg.bits));
  const last = dist === 0n ? cfg.bits - 1 : Math.min(cfg.bits - 1, Math.max(k, dist.toString(2).length - 1));
  const was = tx.s.fingers.slots[k];
  const slots = tx.s.fingers.slots.slice();
  for (let j = k; j <= last; j++) slots[j] = found;
  tx.set({ fingers: fingerTable(slots), fingerNext: after(last, cfg.bits) });
  // Repair is paced while answers confirm the table; one that changes it (a new member's first
  // cycle, a ring still forming or repairing) is followed by the next lookup at once.
  if (was === null || !same(was, found)) repairNextFinger(tx);
}
