/** Human-readable lines for protocol events, shared by the simulator's demo and real peers. */
import { decimalOf, type Point } from '../core/id';
import { leftReason } from '../core/leave';
import type { LogEvent, Peer } from '../core/types';

const name = (p: Point | null): string => (p === null ? 'none' : decimalOf(p));

export function describeEvent(e: LogEvent): string {
  switch (e.ev) {
    case 'created': return 'started the ring';
    case 'initialized': return `started in the initial ring; successor ${name(e.succ)}`;
    case 'joined': return `joined the ring; successor ${name(e.succ)}`;
    case 'join-failed': return `join failed: ${e.reason}`;
    case 'successor': return `successor ${name(e.was)} -> ${name(e.succ)}`;
    case 'predecessor': return `predecessor ${name(e.was)} -> ${name(e.pred)}`;
    case 'peer-gone': return `peer ${name(e.peer)} is gone (${goneHow[e.how]})`;
    case 'peer-back': return `peer ${name(e.peer)} answers again`;
    case 'records-moved': return `moved ${e.count} record(s) to ${name(e.to)} (${e.why})`;
    case 'records-received': return `received ${e.count} record(s) from ${name(e.from)} (${e.why})`;
    case 'records-refused': return `refused ${e.count} record(s) from ${name(e.from)} (${e.what}: no reason to take them from it)`;
    case 'left': return leftReason(e.kept, e.told);
    case 'bad-input': return `dropped bad input: ${e.reason}`;
  }
}

const goneHow: Record<Extract<LogEvent, { ev: 'peer-gone' }>['how'], string> = {
  'missed-pings': 'missed pings',
  'send-failed': 'connection failed',
  'not-member': 'no longer a ring member',
  left: 'left gracefully',
};

export function peerList(peers: readonly Peer[]): string {
  return peers.map((p) => decimalOf(p)).join(',');
}
