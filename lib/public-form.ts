/**
 * The core's values in the package's one public form (types.ts): ring positions as decimal
 * strings, peers as { id, address }, and none of the core's own fields (the hex form, the numeric
 * prefix `k`, writers, deadlines). Shared by the library and by `chord peer --log-format json`,
 * so that an event reads the same in both.
 */
import { decimalOf } from '../core/id';
import type { LogEvent, OpError, Peer, PeerState } from '../core/types';
import type { PeerInfo } from '../runtime-node/client-protocol';
import { stateInfo } from '../runtime-node/client-server';
import type { ChordErrorCode, PeerEvent, PeerRef, PeerStatus } from './types';

export function peerRef(p: Peer): PeerRef {
  return { id: decimalOf(p), address: p.addr };
}

const refOrNull = (p: Peer | null): PeerRef | null => (p === null ? null : peerRef(p));

export function publicEvent(e: LogEvent): PeerEvent {
  switch (e.ev) {
    case 'created': return { type: 'created' };
    case 'initialized': return { type: 'initialized', successor: peerRef(e.succ) };
    case 'joined': return { type: 'joined', successor: peerRef(e.succ) };
    case 'join-failed': return { type: 'join-failed', reason: e.reason };
    case 'successor': return { type: 'successor', successor: refOrNull(e.succ), was: refOrNull(e.was) };
    case 'predecessor': return { type: 'predecessor', predecessor: refOrNull(e.pred), was: refOrNull(e.was) };
    case 'peer-gone': return { type: 'peer-gone', peer: peerRef(e.peer), how: e.how };
    case 'peer-back': return { type: 'peer-back', peer: peerRef(e.peer) };
    case 'records-moved': return { type: 'records-moved', to: peerRef(e.to), count: e.count, why: e.why };
    case 'records-received': return { type: 'records-received', from: peerRef(e.from), count: e.count, why: e.why };
    case 'records-refused': return { type: 'records-refused', from: peerRef(e.from), count: e.count, what: e.what };
    case 'left': return { type: 'left', kept: e.kept, told: e.told };
    case 'bad-input': return { type: 'bad-input', reason: e.reason };
  }
}

export function peerStatus(s: PeerState): PeerStatus {
  const info = stateInfo(s);
  const ref = (p: PeerInfo): PeerRef => ({ id: p.id, address: p.addr });
  return {
    id: info.self.id, address: info.self.addr, bits: info.bits, replicas: info.replicas, phase: s.phase.name,
    predecessor: info.pred === null ? null : ref(info.pred), successors: info.succs.map(ref), fingers: info.fingers.map(ref), records: info.records,
  };
}

/** Every failure code of the core is one of the API's: this stops compiling if the core adds one. */
export function errorCode(e: OpError): ChordErrorCode {
  return e;
}
