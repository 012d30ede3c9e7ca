/**
 * Messages and log events in one line, for the simulator's trace, the picture of a run and the
 * rule scripts: every field that matters to a reader, peers by their hex IDs, record lists cut
 * short.
 */
import type { LogEvent, Msg, Peer, Rec } from './types';

const MAX_LISTED = 6;

function peers(ps: readonly Peer[]): string {
  return `[${ps.map((p) => p.id).join(',')}]`;
}

function listed<T>(items: readonly T[], show: (x: T) => string): string {
  const shown = items.slice(0, MAX_LISTED).map(show).join(',');
  return `[${shown}${items.length > MAX_LISTED ? `,+${items.length - MAX_LISTED}` : ''}]`;
}

function rec(r: Rec): string {
  return `${r.key.name}@v${r.version}`;
}

export function describeMessage(m: Msg): string {
  switch (m.t) {
    case 'ping': return `nonce=${m.nonce}`;
    case 'pong': return `nonce=${m.nonce} member=${m.member}`;
    case 'find': return `rid=${m.rid} target=${m.target.id}`;
    case 'found': return `rid=${m.rid} done=${m.done} peers=${peers(m.peers)}`;
    case 'get-state': return `rid=${m.rid}`;
    case 'state': return `rid=${m.rid} member=${m.member}${m.joining ? ' joining' : ''} pred=${m.pred?.id ?? '-'} succs=${peers(m.succs)}`;
    case 'rectify': return `ready=${m.ready}${m.link ? ' link' : ''}`;
    case 'handoff': return `from=${m.from?.id ?? '-'} records=${listed(m.records, rec)}${m.more ? ' more' : ''}`;
    case 'store': return `rid=${m.rid} key=${m.key.name} (${m.key.id}) bytes=${m.value.length}`;
    case 'stored': return `rid=${m.rid} status=${m.status} version=${m.version} holders=${peers(m.holders)}`;
    case 'fetch': return `rid=${m.rid} key=${m.key.name} (${m.key.id})`;
    case 'fetched': return `rid=${m.rid} status=${m.status}${m.rec ? ` rec=${rec(m.rec)}` : ''}`;
    case 'replicate': return `rid=${m.rid} records=${listed(m.records, rec)}`;
    case 'replicated': return `rid=${m.rid}`;
    case 'digest': return `entries=${listed(m.entries, (e) => `${e.key.name}@v${e.version}`)}${m.from ? ` serves-from=${m.from.id}` : ''}`;
    case 'want': return `keys=${listed(m.keys, (k) => k.name)}`;
    case 'leave': return `rid=${m.rid} pred=${m.pred?.id ?? '-'} from=${m.from?.id ?? '-'} records=${listed(m.records, rec)}${m.more ? ' more' : ''}`;
    case 'leave-notice': return `rid=${m.rid} succs=${peers(m.succs)}`;
    case 'leave-ack': return `rid=${m.rid}`;
    case 'closer': return `peer=${m.peer.id}`;
  }
}

/** The peer a log event is about and one more detail. */
export function describeLog(e: LogEvent): [string, string] {
  switch (e.ev) {
    case 'created':
      return ['-', ''];
    case 'left':
      return ['-', [e.kept === 0 ? '' : `kept=${e.kept}`, e.told ? '' : 'untold'].filter((x) => x !== '').join(' ')];
    case 'joined':
    case 'initialized':
      return [e.succ.id, ''];
    case 'join-failed':
    case 'bad-input':
      return ['-', e.reason];
    case 'successor':
      return [e.succ?.id ?? '-', `was=${e.was?.id ?? '-'}`];
    case 'predecessor':
      return [e.pred?.id ?? '-', `was=${e.was?.id ?? '-'}`];
    case 'peer-gone':
      return [e.peer.id, e.how];
    case 'peer-back':
      return [e.peer.id, ''];
    case 'records-moved':
      return [e.to.id, `${e.count} ${e.why}`];
    case 'records-received':
      return [e.from.id, `${e.count} ${e.why}`];
    case 'records-refused':
      return [e.from.id, `${e.count} ${e.what}`];
  }
}
