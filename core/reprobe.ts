/**
 * Re-probing: peers declared gone, or gone by a leave, are remembered for a while and pinged
 * each round, so that rings split by a partition find each other again once it heals.
 */
import { same } from './id';
import { adoptSuccessors, rectify } from './neighbours';
import { insertByDistance } from './ring';
import type { Tx } from './tx';
import type { Msg, Peer } from './types';

const LOST_MAX = 8;

/**
 * Remembers a peer as gone (declared so, or left): stale views that still list it are not
 * followed back to it, and it is re-probed for a while in case it was only cut off.
 */
export function markLost(tx: Tx, peer: Peer): void {
  const s = tx.s;
  const entry = { peer, until: tx.now + s.cfg.lostTtl, nonceFrom: s.nextRid };
  tx.set({ lost: [...s.lost.filter((l) => !same(l.peer, peer)), entry].slice(-LOST_MAX) });
}

/**
 * A peer we had given up on answers a re-probe, or rectifies us: a healed partition, after which
 * each side may be a whole ring of its own. Taking it back into the successor list where it
 * belongs, and offering ourselves as its predecessor unless it is our new successor, gives the
 * two rings a link across; stabilize and rectify then fold them into one. It goes back anywhere
 * in the list, not only as a closer head: the re-probing that found it ends here, so a list
 * that skipped it would have nothing left to find it by if the peers around it then depart.
 * Without the rectify, sides that each filled their own arc (a peer joined meanwhile between us
 * and the returning one) would never meet; and a rectify must count as the peer's return, or it
 * would end the re-probing that brings it back (and needs no link back: the peer that rectified
 * us has us as its successor already).
 */
export function peerBack(tx: Tx, from: Peer, link: boolean): void {
  tx.set({ lost: tx.s.lost.filter((l) => !same(l.peer, from)) });
  tx.log({ ev: 'peer-back', peer: from });
  adoptSuccessors(tx, insertByDistance(tx.s.self, tx.s.succs, from));
  if (link && !same(tx.s.succs[0], from)) tx.send(from, rectify(tx, true));
}

/** A pong from a peer that is not watched: an answer to a re-probe brings it back. */
export function onReprobeAnswer(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'pong' }>): void {
  const s = tx.s;
  // A leaver takes nobody back: it would be taken back itself.
  if (!msg.member || s.phase.name === 'leaving' || !s.lost.some((l) => same(l.peer, from) && msg.nonce >= l.nonceFrom)) return;
  peerBack(tx, from, true);
}

/** Each ping round: forget peers lost for lostTtl, and ping the others again. */
export function reprobeLost(tx: Tx): void {
  const lost = tx.s.lost.filter((l) => l.until > tx.now);
  if (lost.length !== tx.s.lost.length) tx.set({ lost });
  for (const l of lost) tx.send(l.peer, { t: 'ping', nonce: tx.rid() }, 'dgram');
}
