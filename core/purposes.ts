/**
 * What each kind of lookup is for, wired once: a join's answer goes to the join rule, a finger's
 * to finger repair, a sweep's to storage, and a put or get that reaches its primary here to
 * storage. The lookup engine calls through this table and imports none of them.
 */
import { fingerFailed, fingerFound } from './fingers';
import type { LookupUsers } from './lookup';
import { joinFailed, joinFound } from './join';
import { acceptStore, serveFetch, sweepFound } from './storage';

export const lookupUsers: LookupUsers = Object.freeze<LookupUsers>({
  found(tx, op, answerer, holders) {
    switch (op.purpose) {
      case 'join': return joinFound(tx, op, holders);
      case 'finger': return fingerFound(tx, op.index, holders[0]);
      case 'sweep': return sweepFound(tx, answerer, holders);
      default: return;
    }
  },
  joinFailed,
  fingerFailed,
  storeHere: acceptStore,
  fetchHere: serveFetch,
});
