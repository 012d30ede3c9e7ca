/**
 * Records and their replicas. A record lives at the successor of its key (its primary) and on
 * the next r-1 peers. The primary acknowledges a store once those replicas have acknowledged it;
 * periodically it sends each replica a digest (names and versions) and the replica asks for what
 * it lacks. That one mechanism tops replicas up after joins, leaves and failures alike.
 */
import { timeoutFor } from './config';
import { coverLower, covers, farther, rangeTtl, servedLower, vouchFor, within } from './coverage';
import { settleTime } from './config';
import { inOpen, same, type Point } from './id';
import { MEMBER } from './phase';
import { isPrimary, listed } from './ring';
import { finishPut, startOp, storeRefused } from './lookup';
import { takesHandoff, takesStoreCopy, takesUnansweredCopy } from './trust';
import type { Tx } from './tx';
import type { DigestEntry, FetchStatus, Key, LogEvent, Msg, Peer, PeerState, Rec, StoreStatus, Wanted } from './types';

/** Most entries or bytes one digest or replica batch carries, to stay far below the codec limit. */
export const BATCH_ENTRIES = 512;
const BATCH_BYTES = 256 * 1024;

function newer(a: Rec, b: Rec): boolean {
  return a.version > b.version || (a.version === b.version && a.writer > b.writer);
}

/** Merge incoming copies, keeping the newest version of each; returns how many changed. */
export function mergeRecords(tx: Tx, incoming: readonly Rec[]): number {
  const { records, changed } = tx.s.records.merge(incoming, newer);
  if (changed > 0) tx.set({ records });
  return changed;
}

/** The records of `incoming` that `takes` allows, the others dropped with a log line. */
export function trusted(tx: Tx, from: Peer, incoming: readonly Rec[], what: Extract<LogEvent, { ev: 'records-refused' }>['what'], takes: (rec: Rec) => boolean): readonly Rec[] {
  const kept = incoming.filter(takes);
  if (kept.length < incoming.length) tx.log({ ev: 'records-refused', from, count: incoming.length - kept.length, what });
  return kept;
}

/** The live replica holders after self: the first r-1 entries of the successor list. */
function replicaTargets(s: PeerState): Peer[] {
  const targets: Peer[] = [];
  for (const p of s.succs) {
    if (targets.length >= s.cfg.replicas - 1 || same(p, s.self)) break;
    targets.push(p);
  }
  return targets;
}

/**
 * A store at this peer as primary. Returns the refusal status, or 'ok' once the record is
 * stored here and sent to the replicas; the client hears back when they acknowledge.
 */
export function acceptStore(tx: Tx, key: Key, value: Uint8Array, client: Peer, clientRid: number): StoreStatus {
  const s = tx.s;
  if (s.phase.name !== 'member' || !isPrimary(s, key)) return 'not-responsible';
  if (!covers(s, key, tx.now)) return 'not-ready';
  const version = (s.records.get(key)?.version ?? 0) + 1;
  const rec: Rec = { key, value, version, writer: s.self.id };
  mergeRecords(tx, [rec]);
  const targets = replicaTargets(s);
  const holders = [s.self, ...targets];
  if (targets.length === 0) {
    completeStore(tx, client, clientRid, version, holders);
    return 'ok';
  }
  const rid = tx.rid();
  const stores = new Map(tx.s.stores);
  stores.set(rid, { rid, client, clientRid, version, waiting: targets.map((p) => p.id), holders, deadline: tx.now + timeoutFor(s.cfg, value.length) });
  tx.set({ stores });
  for (const p of targets) tx.send(p, { t: 'replicate', rid, records: [rec] });
  return 'ok';
}

function completeStore(tx: Tx, client: Peer, clientRid: number, version: number, holders: readonly Peer[]): void {
  if (same(client, tx.s.self)) finishPut(tx, clientRid, version, holders);
  else tx.send(client, { t: 'stored', rid: clientRid, status: 'ok', version, holders });
}

export function onStore(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'store' }>): void {
  const status = acceptStore(tx, msg.key, msg.value, from, msg.rid);
  if (status !== 'ok') tx.send(from, { t: 'stored', rid: msg.rid, status, version: 0, holders: [] });
}

/** A replica acknowledged. */
export function onReplicaDone(tx: Tx, rid: number, from: string): void {
  const pending = tx.s.stores.get(rid);
  if (!pending) return;
  const waiting = pending.waiting.filter((id) => id !== from);
  const stores = new Map(tx.s.stores);
  if (waiting.length > 0) {
    stores.set(rid, { ...pending, waiting });
    tx.set({ stores });
    return;
  }
  stores.delete(rid);
  tx.set({ stores });
  completeStore(tx, pending.client, pending.clientRid, pending.version, pending.holders);
}

/**
 * A replica did not confirm in time, or the send to it failed: the record is not known to be
 * on r peers, so the store is not acknowledged. The client retries; the copy made here stays,
 * an outcome the client must treat as unknown.
 */
export function onReplicaFailed(tx: Tx, rid: number): void {
  const pending = tx.s.stores.get(rid);
  if (!pending) return;
  const stores = new Map(tx.s.stores);
  stores.delete(rid);
  tx.set({ stores });
  if (same(pending.client, tx.s.self)) storeRefused(tx, pending.clientRid, 'not-ready');
  else tx.send(pending.client, { t: 'stored', rid: pending.clientRid, status: 'not-ready', version: 0, holders: [] });
}

/**
 * A replica a store waits on is gone (declared so): the record is not known to be on r peers,
 * and the replica that takes its place does not have it yet, so the store is refused as if the
 * replica had not answered. Acknowledging it would leave one copy fewer than r until the next
 * replication round, lost to one more kill within the failure model (and a false alarm, which
 * a failed send to a live replica can be, kills nobody).
 */
export function onPeerGoneFromStores(tx: Tx, gone: string): void {
  for (const pending of tx.s.stores.values()) if (pending.waiting.includes(gone)) onReplicaFailed(tx, pending.rid);
}

export function serveFetch(s: PeerState, key: Key, now: number): { status: FetchStatus; rec: Rec | null } {
  if (s.phase.name !== 'member' || !isPrimary(s, key)) return { status: 'not-responsible', rec: null };
  if (!covers(s, key, now)) return { status: 'not-ready', rec: null };
  const rec = s.records.get(key);
  return rec ? { status: 'found', rec } : { status: 'missing', rec: null };
}

export function onFetch(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'fetch' }>): void {
  const answer = serveFetch(tx.s, msg.key, tx.now);
  tx.send(from, { t: 'fetched', rid: msg.rid, status: answer.status, rec: answer.rec });
}

/**
 * Replica copies. A store's copy from a primary that may not know yet that a peer joined
 * between us (our predecessor, new since less than a settle time, sits between it and us) goes
 * on to that peer too: it is the replica the primary meant, and would take the primary's range
 * over without it if the primary died before its first replication round reached it. The copy
 * passed on needs no answer, so it is never passed on again; in a settled ring nothing is.
 */
export function onReplicate(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'replicate' }>): void {
  const s = tx.s;
  if (msg.rid === 0) {
    const changed = mergeRecords(tx, trusted(tx, from, msg.records, 'replicate', (rec) => takesUnansweredCopy(s, from, rec.key, tx.now)));
    if (changed > 0) tx.log({ ev: 'records-received', from, count: changed, why: 'replica' });
    return;
  }
  // A store's copy is taken whole or not at all: unacknowledged, the store is not acknowledged.
  if (!msg.records.every((rec) => takesStoreCopy(s, from, rec.key, tx.now))) {
    tx.log({ ev: 'records-refused', from, count: msg.records.length, what: 'replicate' });
    return;
  }
  mergeRecords(tx, msg.records);
  tx.send(from, { t: 'replicated', rid: msg.rid });
  const { pred, self, predSince, cfg } = tx.s;
  const newPred = tx.now - predSince < settleTime(cfg);
  if (newPred && pred !== null && !same(pred, from) && inOpen(pred, from, self)) tx.send(pred, { t: 'replicate', rid: 0, records: msg.records });
}

/**
 * Periodic: tell each replica holder what this peer serves, announcing the range (see
 * coverage.ts); sweep one misplaced record.
 */
export function onReplicateTimer(tx: Tx): void {
  const s = tx.s;
  tx.due('replicate', s.cfg.replicateInterval);
  const lower = servedLower(s, tx.now);
  if (s.phase.name !== 'member' || lower === null) return;
  const served = s.pred === null ? [] : s.records.between(s.pred, s.self).filter((rec) => within(rec.key, lower, s.self));
  for (const p of replicaTargets(s)) sendDigest(tx, p, served, lower);
  startSweep(tx);
}

/**
 * A peer that has become a replica holder of this one hears its range at once, not at the next
 * round: until it does, it takes store copies only from its predecessor (trust.ts), and a put
 * just after a joiner began to serve its range, or a replica died, would be refused by the
 * farther replicas. (A peer started in a known ring has its first round at once: see join.ts.)
 */
export function announceToNewReplicas(tx: Tx): void {
  const s = tx.s;
  const base = tx.base;
  if (s.phase.name !== 'member' || (base.phase.name !== 'member' && base.phase.name !== 'joining')) return;
  if (base.phase.name === 'member' && s.succs === base.succs && s.pred === base.pred && s.held === base.held) return;
  const lower = servedLower(s, tx.now);
  if (lower === null) return;
  const before = base.phase.name === 'member' && servedLower(base, tx.now) !== null ? replicaTargets(base) : [];
  for (const p of replicaTargets(s)) if (!listed(before, p)) tx.send(p, { t: 'digest', entries: [], from: lower });
}

/** Digests of `records`, in batches; the last announces (from, self] when `from` is given. */
function sendDigest(tx: Tx, to: Peer, records: readonly Rec[], from: Point | null): void {
  for (let i = 0; i === 0 || i < records.length; i += BATCH_ENTRIES) {
    const entries: DigestEntry[] = records.slice(i, i + BATCH_ENTRIES).map((r) => ({ key: r.key, version: r.version, writer: r.writer }));
    const last = i + BATCH_ENTRIES >= records.length;
    if (entries.length > 0 || (last && from !== null)) tx.send(to, { t: 'digest', entries, from: last ? from : null });
  }
}

/**
 * A record this peer holds without being its primary may be a replica that is ahead of its
 * primary, or a copy stranded off its replica set (written on the far side of a healed
 * partition, or left by a stale lookup). One lookup a round, for the next such record round the
 * ring, finds its primary (see sweepFound).
 */
function startSweep(tx: Tx): void {
  const s = tx.s;
  for (const op of s.ops.values()) if (op.purpose === 'sweep') return;
  const target = s.records.nextOutside(s.sweptAfter, s.pred === null ? null : [s.pred, s.self]);
  if (target === undefined) return;
  tx.set({ sweptAfter: target.key });
  startOp(tx, { purpose: 'sweep' }, target.key);
}

/**
 * The keys in (answerer, holders[0]] belong on the first r holders, the head being their
 * primary. Whether this peer is one of the replicas or a stranded holder, it offers its copies
 * of those keys to the primary as a digest: the primary asks for what it lacks or holds older,
 * and its own rounds spread the result to its replicas. That reconciles writes the primary
 * missed (made on the far side of a healed partition) as well as stranded copies.
 */
export function sweepFound(tx: Tx, answerer: Peer, holders: readonly Peer[]): void {
  const primary = holders[0];
  if (same(primary, tx.s.self)) return;
  const held = tx.s.records.between(answerer, primary);
  if (held.length > 0) sendDigest(tx, primary, held, null);
}

/**
 * A primary's digest: ask for what is missing or older here, and remember the range it
 * announces, which this peer holds as its replica (see coverage.ts).
 */
export function onDigest(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'digest' }>): void {
  if (msg.from !== null) announce(tx, from, msg.from);
  const keys: Key[] = [];
  for (const e of msg.entries) {
    const have = tx.s.records.get(e.key);
    if (!have || newer({ ...have, version: e.version, writer: e.writer }, have)) keys.push(e.key);
  }
  if (keys.length === 0) return;
  wantFrom(tx, from, keys);
  tx.send(from, { t: 'want', keys });
}

/**
 * Remembers whom `keys` were asked of, for as long as an announced range counts: the answer may
 * carry large values, and a key still missing is asked again (and the wait renewed) each round.
 */
function wantFrom(tx: Tx, from: Peer, keys: readonly Key[]): void {
  const wanted = new Map<string, Wanted>();
  for (const [name, w] of tx.s.wanted) if (w.until >= tx.now) wanted.set(name, w);
  const until = tx.now + rangeTtl(tx.s);
  for (const key of keys) wanted.set(key.name, { peer: from.id, until });
  tx.set({ wanted });
}

export function onWant(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'want' }>): void {
  const records: Rec[] = [];
  for (const key of msg.keys) {
    const rec = tx.s.records.get(key);
    if (rec) records.push(rec);
  }
  sendRecords(tx, from, records);
  if (records.length > 0) tx.log({ ev: 'records-moved', to: from, count: records.length, why: 'replica' });
}

const replicate = (batch: Rec[]): Msg => ({ t: 'replicate', rid: 0, records: batch });

/**
 * Sends `records` in batches small enough for one message each. A `transfer` (a hand-off, a
 * leave) builds every batch itself, `more` on all but the last, which goes even if empty: a
 * marker that arrives after everything before it on the stream. Its batches say what they are
 * part of, so that the receiver takes them from whom it takes the transfer (trust.ts).
 */
export function sendRecords(tx: Tx, to: Peer, records: readonly Rec[], transfer?: (batch: Rec[], more: boolean) => Msg): void {
  const part = transfer ?? replicate;
  let batch: Rec[] = [];
  let bytes = 0;
  for (const rec of records) {
    if (batch.length > 0 && (batch.length >= BATCH_ENTRIES || bytes + rec.value.length > BATCH_BYTES)) {
      tx.send(to, part(batch, true));
      batch = [];
      bytes = 0;
    }
    batch.push(rec);
    bytes += rec.value.length;
  }
  if (transfer) tx.send(to, transfer(batch, false));
  else if (batch.length > 0) tx.send(to, replicate(batch));
}

/** Remembers that `from` serves (lower, from]; announcements past their time are dropped. */
function announce(tx: Tx, from: Peer, lower: Point): void {
  const ranges = new Map([...tx.s.ranges].filter(([, a]) => tx.now - a.at <= rangeTtl(tx.s)));
  ranges.set(from.id, { from: lower, at: tx.now });
  tx.set({ ranges });
}

/** Records outside (to, self], that is in (self, to]: what a new predecessor `to` holds from now on, as primary or replica. */
function recordsFor(s: PeerState, to: Peer): Rec[] {
  return same(to, s.self) ? [] : s.records.between(s.self, to);
}

/**
 * Hands a new predecessor every record it should hold, its own range and the ranges it is a
 * replica of (so that it can take over a predecessor that dies before the first replication
 * round reaches it), vouching for what this peer holds of its range: (from, to], where `start`
 * is where that range begins as far as this peer knows. The last batch goes in the marker,
 * after everything before it on the stream. What it vouched for is no longer its own to answer.
 */
export function handOff(tx: Tx, to: Peer, start: Point | null): void {
  const s = tx.s;
  const records = recordsFor(s, to);
  const from = handOffVouch(s, to, start, tx.now);
  sendRecords(tx, to, records, (batch, more) => ({ t: 'handoff', records: batch, from: more ? null : from, more }));
  if (from !== null) tx.set({ held: to, vouched: { to, from } });
  if (records.length > 0) tx.log({ ev: 'records-moved', to, count: records.length, why: 'join' });
}

/**
 * What a hand-off vouches for: as much as this peer holds of `to`'s range (see vouchFor). Asked
 * again by its predecessor, it vouches as far as it did before. Never for more than it holds:
 * taking the asker's word for where its range begins let a successor vouch for keys a false
 * alarm had put on another peer (found by the fuzzer: properties/regressions/
 * vouched-for-asker-range-it-never-held.json); a restarted predecessor it vouched nothing for
 * becomes ready once its own predecessor has stood a settle time (stabilize.ts, claimRange).
 */
function handOffVouch(s: PeerState, to: Peer, start: Point | null, now: number): Point | null {
  if (start !== null) return vouchFor(s, to, start, now);
  if (s.vouched !== null && same(s.vouched.to, to)) return s.vouched.from;
  return vouchFor(s, to, null, now);
}

/**
 * The hand-off marker: the stream before it carried every record the sender had for us. It
 * accepts a joining peer into the ring, and widens what this peer holds by what it vouches for.
 */
export function onHandoff(tx: Tx, from: Peer, msg: Extract<Msg, { t: 'handoff' }>): void {
  const s = tx.s;
  if (s.phase.name !== 'member' && s.phase.name !== 'joining') return;
  if (!takesHandoff(s, from)) return tx.log({ ev: 'records-refused', from, count: msg.records.length, what: 'handoff' });
  mergeRecords(tx, msg.records);
  if (msg.more) return;
  tx.set({ held: farther(s.self, s.held, msg.from) });
  if (s.phase.name === 'joining') {
    tx.set({ phase: MEMBER });
    tx.log({ ev: 'joined', succ: s.succs[0] });
  }
}

/** What a leaver vouches for when it hands its records to `heir`: (from, self]. */
export function leaveVouch(s: PeerState, heir: Peer, now: number): Point | null {
  const lower = coverLower(s, now);
  return lower !== null && same(lower, s.self) ? heir : lower;
}
