/**
 * What clients print: one human line or one JSON object per operation, and the ring as lines.
 * Shared by `chord put/get/ring`, the console of `chord peer` and the launcher's console.
 */
import { createHash } from 'node:crypto';
import type { ClientResponse, PeerInfo, PeerStateInfo } from './client-protocol';
import type { RingWalk } from './client';

export interface Outcome {
  readonly key: string;
  /** Bytes sent (put) or received (get). */
  readonly size: number;
  readonly ms: number;
  readonly response: ClientResponse;
}

const ids = (peers: readonly PeerInfo[]): string => peers.map((p) => p.id).join(',');
const hops = (n: number): string => `${n} hop${n === 1 ? '' : 's'}`;

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function outcomeLine(o: Outcome): string {
  const r = o.response;
  const key = `"${o.key}" (id ${'keyId' in r ? r.keyId : '?'})`;
  const took = `${o.ms.toFixed(1)} ms`;
  switch (r.t) {
    case 'put-ok': return `stored ${key}: ${o.size} bytes, version ${r.version}, on peers ${ids(r.holders)} (${hops(r.hops)}, ${took})`;
    case 'get-ok': return `found ${key}: ${o.size} bytes, version ${r.version}, at peer ${r.holder.id} (${hops(r.hops)}, ${took})`;
    case 'error': return r.code === 'not-found' ? `not found: ${key} (${hops(r.hops)}, ${took})` : `failed: ${key}: ${r.error} (${took})`;
    case 'state': return `unexpected state answer for ${key}`;
  }
}

/** An outcome as fields of the JSON output (schema/cli-output.schema.json): the key, its ring position, size, time and the peer's answer. */
export function outcomeJson(o: Outcome, value?: Uint8Array): Record<string, unknown> {
  const r = o.response;
  const common = { key: o.key, size: o.size, ms: Number(o.ms.toFixed(3)) };
  switch (r.t) {
    case 'put-ok':
      return { ...common, id: r.keyId, version: r.version, holders: r.holders.map(peerJson), hops: r.hops, ...(value ? { sha256: sha256(value) } : {}) };
    case 'get-ok':
      return { ...common, id: r.keyId, version: r.version, holders: [peerJson(r.holder)], hops: r.hops, sha256: sha256(r.value) };
    case 'error':
      return { ...common, id: r.keyId, hops: r.hops };
    case 'state':
      return common;
  }
}

function peerJson(p: PeerInfo): { id: string; address: string } {
  return { id: p.id, address: p.addr };
}

/** A value as a console shows it: short UTF-8 text as is, anything else by size and hash. */
export function valuePreview(value: Uint8Array): string {
  const text = Buffer.from(value).toString('utf8');
  const printable = value.length <= 200 && Buffer.byteLength(text) === value.length && !/\p{Cc}/u.test(text.replace(/[\t\n\r]/g, ''));
  return printable ? JSON.stringify(text) : `${value.length} bytes, sha256 ${sha256(value).slice(0, 16)}...`;
}

function stateLine(s: PeerStateInfo): string {
  return `peer ${s.self.id.padStart(3)}  ${s.self.addr.padEnd(21)} successors ${ids(s.succs).padEnd(12)} predecessor ${(s.pred?.id ?? 'none').padEnd(4)} ${s.records} record(s)`;
}

export function stateLines(s: PeerStateInfo): string[] {
  return [
    `peer ${s.self.id} at ${s.self.addr}, ${s.phase}, ${s.bits}-bit IDs, r=${s.replicas}`,
    `  successors  ${ids(s.succs) || 'none'}`,
    `  predecessor ${s.pred?.id ?? 'none'}`,
    `  fingers     ${ids(s.fingers) || 'none'}`,
    `  records     ${s.records}`,
  ];
}

export function ringLines(w: RingWalk): string[] {
  const lines = [`ring of ${w.peers.length} peer(s) from ${w.peers[0].self.addr}, ${w.closed ? 'back to the start' : 'NOT back to the start'}:`];
  for (const p of w.peers) lines.push(`  ${stateLine(p)}`);
  if (w.unreachable.length > 0) lines.push(`  listed but not answering: ${w.unreachable.join(', ')}`);
  return lines;
}

export function ringJson(w: RingWalk): Record<string, unknown> {
  return {
    closed: w.closed,
    peers: w.peers.map((p) => ({
      id: p.self.id, address: p.self.addr, successors: p.succs.map((s) => s.id), predecessor: p.pred?.id ?? null,
      fingers: p.fingers.map((f) => f.id), records: p.records, phase: p.phase,
    })),
    unreachable: w.unreachable,
  };
}
