/**
 * Finger repair: one lookup per round, for the next finger that is not known to share the
 * answer of the previous one. A lookup for finger k that returns R also settles every later
 * finger whose start lies in (self, R], so a full cycle costs about log N lookups, not `bits`.
 */
import { fingerStart, inOpenClosed } from './id';
import { startOp } from './lookup';
import type { Tx } from './tx';
import type { Peer } from './types';

export function onFixFingersTimer(tx: Tx): void {
  tx.timer('fix-fingers', tx.s.cfg.fixFingersInterval);
  if (tx.s.phase !== 'member') return;
  for (const op of tx.s.ops.values()) if (op.purpose === 'finger') return;
  const k = tx.s.fingerNext;
  startOp(tx, 'finger', k, fingerStart(tx.s.self, k, tx.s.cfg.bits));
}

export function fingerFound(tx: Tx, k: number, found: Peer): void {
  const { self, cfg } = tx.s;
  const fingers = tx.s.fingers.slice();
  fingers[k] = found;
  let j = k + 1;
  for (; j < cfg.bits; j++) {
    if (!inOpenClosed(fingerStart(self, j, cfg.bits), self, found)) break;
    fingers[j] = found;
  }
  tx.set({ fingers, fingerNext: j === cfg.bits ? 0 : j });
}
