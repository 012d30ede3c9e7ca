/**
 * What one put costs a peer that already holds n records: the step of a `store` at its primary
 * (a ring of one, so the store is acknowledged in the same step), as the median of many puts on
 * the same filled state (timed in batches), beside a baseline measured in the same process right before it: a set
 * on a plain Map of the same n entries, the least a put can cost. The records are filled through
 * the protocol itself (one replica batch), so the figure holds whatever structure keeps them.
 *
 * Run: npm run build && node dist/bench/put-cost.js [--records 1000,100000,1000000] [--puts 2000]
 */
import { Command } from 'commander';
import { performance } from 'node:perf_hooks';
import { integer } from '../cli/parse';
import { defaultConfig } from '../core/config';
import { pointOfBigInt } from '../core/id';
import { initState, step } from '../core/step';
import type { Key, Peer, PeerState, Rec } from '../core/types';
import { median } from './stats';

const BITS = 160;
const cfg = defaultConfig(BITS, 3);

function keyAt(i: number, salt: string): Key {
  // Spread over the ring by a multiplicative hash: any fixed, distinct positions do.
  const v = (BigInt(i + 1) * 0x9e3779b97f4a7c15f39cc0605cedc834n) & ((1n << BigInt(BITS)) - 1n);
  return { ...pointOfBigInt(v, BITS), name: `${salt}${i}` };
}

const self: Peer = { ...pointOfBigInt(1n, BITS), addr: 'self' };
const client: Peer = { ...pointOfBigInt(2n, BITS), addr: 'client' };
const value = new Uint8Array(32);

function filled(n: number): PeerState {
  let s = step(initState(cfg, self), { kind: 'create' }, 0).state;
  const records: Rec[] = Array.from({ length: n }, (_, i) => ({ key: keyAt(i, 'r'), value, version: 1, writer: self.id }));
  s = step(s, { kind: 'deliver', from: client, msg: { t: 'replicate', rid: 0, records }, channel: 'stream' }, 1).state;
  if (s.records.size !== n) throw new Error(`filled ${s.records.size} records, wanted ${n}`);
  return s;
}

const BATCH = 50;

/** Median ms of one put on `s`, timed in batches of BATCH puts of new keys (a timer read costs more than a Map set). */
function putMs(s: PeerState, puts: number): number {
  const times: number[] = [];
  for (let i = 0; i + BATCH <= puts; i += BATCH) {
    const start = performance.now();
    let last = null;
    for (let j = i; j < i + BATCH; j++) last = step(s, { kind: 'deliver', from: client, msg: { t: 'store', rid: j + 1, key: keyAt(j, 'p'), value }, channel: 'stream' }, 2);
    times.push((performance.now() - start) / BATCH);
    const stored = last?.effects.find((e) => e.kind === 'send' && e.msg.t === 'stored');
    if (stored === undefined || stored.kind !== 'send' || stored.msg.t !== 'stored' || stored.msg.status !== 'ok') throw new Error('the put was not acknowledged');
  }
  return median(times);
}

/** Median ms of one set of a new key on a Map of n entries, timed as the puts are. */
function mapSetMs(n: number, puts: number): number {
  const map = new Map<string, Rec>();
  for (let i = 0; i < n; i++) map.set(`r${i}`, { key: keyAt(i, 'r'), value, version: 1, writer: self.id });
  const fresh = Array.from({ length: puts }, (_, i) => ({ key: keyAt(i, 'p'), value, version: 1, writer: self.id }));
  const times: number[] = [];
  for (let i = 0; i + BATCH <= puts; i += BATCH) {
    const start = performance.now();
    for (let j = i; j < i + BATCH; j++) map.set(fresh[j].key.name, fresh[j]);
    times.push((performance.now() - start) / BATCH);
    for (let j = i; j < i + BATCH; j++) map.delete(fresh[j].key.name);
  }
  return median(times);
}

const o = new Command('put-cost')
  .option('--records <list>', 'records held, comma-separated', '1000,100000,1000000')
  .option('--puts <n>', 'puts timed per size (the median is reported)', integer(1, 1e7), 2000)
  .parse()
  .opts<{ records: string; puts: number }>();

console.log('records held   put (median µs)   Map.set baseline (µs)   put / baseline   put / put at the smallest');
let first: number | null = null;
for (const n of o.records.split(',').map(Number)) {
  const s = filled(n);
  const base = mapSetMs(n, o.puts);
  const put = putMs(s, o.puts);
  first ??= put;
  console.log(`${String(n).padStart(12)}   ${(put * 1000).toFixed(2).padStart(15)}   ${(base * 1000).toFixed(3).padStart(21)}   ${(put / base).toFixed(1).padStart(14)}   ${(put / first).toFixed(2).padStart(25)}`);
}
