/**
 * The peer's side of the client protocol: decodes requests from one outside client, turns puts
 * and gets into the peer's commands, and answers from their replies. `state` is answered from
 * the peer's current state, which is reading, not deciding. A client may have MAX_ANSWERING
 * requests answered at once (limits.ts); the rest wait, unread, for their answers to be written.
 */
import type { Socket } from 'node:net';
import { describeError } from '../core/errors';
import { decimalOf } from '../core/id';
import type { Config, Peer, PeerState, Reply } from '../core/types';
import { keyOf } from '../edge/key-id';
import { CONNECTION_RID, encodeResponse, decodeRequest, type ClientRequest, type ClientResponse, type PeerInfo, type PeerStateInfo } from './client-protocol';
import { OverBudgetError } from './budget';
import { Connection, type ConnectionOptions } from './connection';
import { MAX_VALUE_BYTES, toFrames } from './framing';
import { MAX_ANSWERING } from './limits';
import type { TransportEvents } from './transport';

export interface ClientService {
  readonly config: Config;
  put(key: string, value: Uint8Array): Promise<Reply>;
  get(key: string): Promise<Reply>;
  state(): PeerState;
}

function peerInfo(p: Peer): PeerInfo {
  return { id: decimalOf(p), addr: p.addr };
}

export function stateInfo(s: PeerState): PeerStateInfo {
  const fingers: PeerInfo[] = [];
  for (const f of s.fingers.slots) {
    if (f !== null && !fingers.some((g) => g.addr === f.addr)) fingers.push(peerInfo(f));
  }
  return {
    self: peerInfo(s.self), bits: s.cfg.bits, replicas: s.cfg.replicas, phase: s.phase.name,
    pred: s.pred ? peerInfo(s.pred) : null, succs: s.succs.map(peerInfo), fingers, records: s.records.size,
  };
}

/**
 * Serves one client connection until it closes, after the handshake of `options.opening` on a
 * keyed ring; `report` hears about broken requests, and about a client that did not prove the key.
 */
export function serveClient(socket: Socket, early: Buffer, service: ClientService, report: Pick<TransportEvents<unknown>, 'drop'>, options: ConnectionOptions): void {
  const from = `${socket.remoteAddress}:${socket.remotePort}`;
  let ready = false;
  // Requests decoded from bytes already read while MAX_ANSWERING were being answered: reading
  // is held meanwhile, so there are never more than one read's worth.
  const waiting: ClientRequest[] = [];
  let answering = 0;
  let held = false;
  const next = () => {
    while (waiting.length > 0 && answering < MAX_ANSWERING) {
      const req = waiting.shift() as ClientRequest;
      answering++;
      void answer(service, req).then((response) => conn.send(encodeResponse(response), (e) => {
        // Over the budget: closed, so that the client learns it and may try again. Any other
        // failure is the connection's own, closing it anyway.
        if (e instanceof OverBudgetError) conn.fail(`answer not sent: ${e.message}`, 'over the buffer budget');
        if (e) return;
        answering--;
        next();
      }));
    }
    if (held === (waiting.length > 0)) return;
    held = !held;
    if (held) conn.hold();
    else conn.unhold();
  };
  const conn = new Connection(socket, {
    message: (bytes) => {
      const decoded = decodeRequest(bytes);
      if (!decoded.ok) return conn.fail(decoded.error, 'malformed frames');
      waiting.push(decoded.value);
      next();
    },
    ready: () => (ready = true),
    close: (error, kind) => {
      if (options.opening && !ready) report.drop('connections without the ring key', `client ${from}: ${error ?? 'closed during the ring-key handshake'}; closed`);
      else if (kind !== null) report.drop(kind, `client ${from}: ${error}; closed`);
    },
  }, options);
  conn.receive(early);
}

/** Tells a client without the ring key why it gets nothing, then closes its connection. */
export function refuseClient(socket: Socket): void {
  const refusal = encodeResponse({
    t: 'error', rid: CONNECTION_RID, code: 'refused', keyId: '', hops: 0,
    error: 'this peer lets in only holders of its ring key (give --ring-key FILE, or CHORD_RING_KEY)',
  });
  socket.end(Buffer.concat(toFrames(refusal)));
}

async function answer(service: ClientService, req: ClientRequest): Promise<ClientResponse> {
  if (req.t === 'state') return { t: 'state', rid: req.rid, ...stateInfo(service.state()) };
  const keyId = decimalOf(keyOf(req.key, service.config.bits));
  const refuse = (error: string): ClientResponse => ({ t: 'error', rid: req.rid, code: 'bad-request', error, keyId, hops: 0 });
  if (req.key === '') return refuse('the key is empty');
  if (req.t === 'put' && req.value.length > MAX_VALUE_BYTES) return refuse(`a value of ${req.value.length} bytes exceeds the limit of ${MAX_VALUE_BYTES}`);
  const reply = req.t === 'put' ? await service.put(req.key, req.value) : await service.get(req.key);
  return responseOf(req.rid, keyId, reply);
}

/** A command's reply as the client protocol tells it. */
export function responseOf(rid: number, keyId: string, reply: Reply): ClientResponse {
  if (!reply.ok) {
    // The core's reply for a key with no record; every other failure is the ring's.
    const code = reply.error === 'not-found' ? 'not-found' : 'failed';
    return { t: 'error', rid, code, error: describeError(reply.error), keyId, hops: reply.hops };
  }
  switch (reply.op) {
    case 'put': return { t: 'put-ok', rid, keyId, version: reply.version, holders: reply.holders.map(peerInfo), hops: reply.hops };
    case 'get': return { t: 'get-ok', rid, keyId, version: reply.rec.version, holder: peerInfo(reply.holder), hops: reply.hops, value: reply.rec.value };
    case 'leave': return { t: 'error', rid, code: 'bad-request', error: 'not a client operation', keyId, hops: 0 };
  }
}
