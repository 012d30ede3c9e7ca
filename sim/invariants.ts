/**
 * Pamela Zave's Chord invariants ("Reasoning about identifier spaces: How to make Chord
 * correct", IEEE TSE 2017), checked over a snapshot of the simulated world. The safety checks
 * run after every simulated event in the property tests, so they stay O(N * r): one index by id,
 * one pass over the best-successor graph with visit marks, and no recursion.
 */
import { cmp, decimalOf, fingerStart, inOpen, same, type Point } from '../core/id';
import type { Key, Peer, PeerState } from '../core/types';

/** One peer as the world knows it, alive or dead. */
export interface PeerView {
  readonly state: PeerState;
  readonly alive: boolean;
}

/** A violation before the caller stamps it with the virtual time (`Violation.at`). */
export interface Finding {
  readonly invariant: string;
  /** Which way the invariant broke: with the invariant, the failure's signature (one bug, one name). */
  readonly kind: string;
  readonly detail: string;
}

export interface Acked {
  readonly key: Key;
  readonly value: Uint8Array;
  /** The version the last acknowledged write got: a holder must have this one or a later one. */
  readonly version: number;
}

/** A broken run tends to break everywhere at once; the first few findings say enough. */
export const MAX_FINDINGS = 10;

export class Findings {
  readonly list: Finding[] = [];

  get full(): boolean {
    return this.list.length >= MAX_FINDINGS;
  }

  add(invariant: string, kind: string, detail: string): void {
    if (!this.full) this.list.push({ invariant, kind, detail });
  }
}

const dec = decimalOf;

function decs(ps: readonly Point[]): string {
  return `[${ps.map(dec).join(',')}]`;
}

/**
 * Live, joined and not yet gone: the peers whose pointers Zave's invariants constrain. A joiner
 * has joined, in her sense, once it has a successor (its join lookup found one), whether or not
 * that successor has accepted it yet: others may already point at it.
 */
export function participates(v: PeerView): boolean {
  const phase = v.state.phase.name;
  return v.alive && (phase === 'member' || phase === 'leaving' || phase === 'joining') && v.state.succs.length > 0;
}

/**
 * A live participating peer with no live member left in its successor list, as a departure can
 * leave one; with `listing`, only one whose list has that peer (the departed one) in it.
 */
export function firstStranded<V extends PeerView>(peers: readonly V[], memberAt: (addr: string) => boolean, listing?: Point): V | undefined {
  return peers.find((v) => participates(v) && !v.state.succs.some((p) => memberAt(p.addr)) && (listing === undefined || v.state.succs.some((p) => same(p, listing))));
}

/** Participating peers by id; of two live peers under one id (a NoDuplicates violation) the first wins. */
function participantIndex(peers: readonly PeerView[]): Map<string, PeerView> {
  const index = new Map<string, PeerView>();
  for (const v of peers) {
    if (participates(v) && !index.has(v.state.self.id)) index.set(v.state.self.id, v);
  }
  return index;
}

/** The participating peers sorted by id: the ring as it should be. */
export function participants(peers: readonly PeerView[]): PeerView[] {
  return [...participantIndex(peers).values()].sort((a, b) => cmp(a.state.self, b.state.self));
}

/** Index in `sorted` (non-empty, ascending) of the first point at or after `p`, wrapping to 0. */
export function successorIndex(sorted: readonly Point[], p: Point): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(sorted[mid], p) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo === sorted.length ? 0 : lo;
}

/** The `count` peers of the sorted ring that follow index `i` clockwise, wrapping. */
function following(ring: readonly Peer[], i: number, count: number): Peer[] {
  const out: Peer[] = [];
  for (let j = 1; j <= count; j++) out.push(ring[(i + j) % ring.length]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Safety

const UNSEEN = -2;
const NO_RING = -1;

/** The best-successor graph: each participant points at its first live participating successor. */
interface Graph {
  readonly views: readonly PeerView[];
  /** Index of bestSucc, or -1 when every entry is dead, absent or not participating. */
  readonly next: Int32Array;
  /** Each cycle of the graph, as indices in walking order. */
  readonly cycles: readonly (readonly number[])[];
  /** The cycle each peer reaches, or NO_RING. */
  readonly reach: Int32Array;
  /** For a peer that reaches no cycle: where its walk stops. */
  readonly deadEnd: Int32Array;
}

function bestSuccGraph(index: ReadonlyMap<string, PeerView>): Graph {
  const views = [...index.values()];
  const pos = new Map<string, number>();
  views.forEach((v, i) => pos.set(v.state.self.id, i));
  const n = views.length;
  const next = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    for (const e of views[i].state.succs) {
      const j = pos.get(e.id);
      if (j !== undefined) {
        next[i] = j;
        break;
      }
    }
  }
  const reach = new Int32Array(n).fill(UNSEEN);
  const deadEnd = new Int32Array(n).fill(-1);
  // mark[i] = walk number + 1 while i is on the current, not yet resolved walk.
  const mark = new Int32Array(n);
  const cycles: number[][] = [];
  for (let s = 0; s < n; s++) {
    if (reach[s] !== UNSEEN) continue;
    const path: number[] = [];
    let i = s;
    while (i >= 0 && reach[i] === UNSEEN && mark[i] !== s + 1) {
      mark[i] = s + 1;
      path.push(i);
      i = next[i];
    }
    let ring: number;
    let end = -1;
    if (i < 0) {
      ring = NO_RING;
      end = path[path.length - 1];
    } else if (reach[i] === UNSEEN) {
      ring = cycles.length;
      cycles.push(path.slice(path.indexOf(i)));
    } else {
      ring = reach[i];
      end = deadEnd[i];
    }
    for (const p of path) {
      reach[p] = ring;
      deadEnd[p] = end;
    }
  }
  return { views, next, cycles, reach, deadEnd };
}

function checkNoDuplicatePeers(peers: readonly PeerView[], out: Findings): void {
  const seen = new Set<string>();
  for (const v of peers) {
    if (!v.alive) continue;
    if (seen.has(v.state.self.id)) out.add('NoDuplicates', 'peer-id', `two live peers have id ${dec(v.state.self)}`);
    seen.add(v.state.self.id);
  }
}

function checkRings(g: Graph, out: Findings): void {
  const self = (i: number): Peer => g.views[i].state.self;
  if (g.cycles.length === 0) {
    out.add('AtLeastOneRing', 'no-ring', `none of the ${g.views.length} participating peers reaches itself by best successors`);
    return;
  }
  if (g.cycles.length > 1) {
    const rings = g.cycles.map((c) => `through ${dec(self(c[0]))} (${c.length} members)`);
    out.add('AtMostOneRing', 'several-rings', `${g.cycles.length} rings: ${rings.join(', ')}`);
  }
  for (const cycle of g.cycles) {
    // An ordered cycle crosses zero exactly once; only a disordered one pays for the sort that
    // names the member it skips.
    let wraps = 0;
    for (const u of cycle) if (cmp(self(g.next[u]), self(u)) <= 0) wraps++;
    if (wraps === 1) continue;
    const sorted = [...cycle].sort((a, b) => cmp(self(a), self(b)));
    for (let j = 0; j < sorted.length; j++) {
      const u = sorted[j];
      const expected = sorted[(j + 1) % sorted.length];
      if (g.next[u] !== expected) {
        out.add('OrderedRing', 'skips-member', `ring step ${dec(self(u))} -> ${dec(self(g.next[u]))} skips ring member ${dec(self(expected))}`);
        break;
      }
    }
  }
  for (let i = 0; i < g.views.length && !out.full; i++) {
    if (g.reach[i] !== NO_RING) continue;
    const end = g.deadEnd[i];
    out.add(
      'ConnectedAppendages',
      end === i ? 'no-live-successor' : 'unreachable-ring',
      end === i
        ? `peer ${dec(self(i))} has no live successor`
        : `peer ${dec(self(i))} does not reach the ring: its best successors stop at ${dec(self(end))}, which has no live successor`,
    );
  }
}

/** Strictly increasing clockwise distance from the owner, the owner itself counting as the full circle. */
function checkSuccessorList(s: PeerState, out: Findings): void {
  const list = s.succs;
  const seen = new Set<string>();
  for (const e of list) {
    if (seen.has(e.id)) {
      out.add('NoDuplicates', 'successor-list', `peer ${dec(s.self)}: successors ${decs(list)} repeat ${dec(e)}`);
      break;
    }
    seen.add(e.id);
  }
  for (let j = 0; j + 1 < list.length; j++) {
    const a = list[j];
    const b = list[j + 1];
    // (self, self) is the whole ring but self, so before a trailing self any other entry is in order.
    if (same(a, s.self) || !inOpen(a, s.self, b)) {
      out.add('OrderedSuccessorLists', 'out-of-order', `peer ${dec(s.self)}: successors ${decs(list)} out of order at ${dec(b)}`);
      return;
    }
  }
}

/** OneOrderedRing, ConnectedAppendages, OrderedSuccessorLists and NoDuplicates. */
export function safetyViolations(peers: readonly PeerView[]): Finding[] {
  const out = new Findings();
  checkNoDuplicatePeers(peers, out);
  const index = participantIndex(peers);
  if (index.size === 0) return out.list;
  const g = bestSuccGraph(index);
  checkRings(g, out);
  for (const v of g.views) {
    if (out.full) break;
    checkSuccessorList(v.state, out);
  }
  return out.list;
}

// ---------------------------------------------------------------------------------------------
// Quiescence

/** The ideal ring: exact successor lists, predecessors and fingers over the live participants. */
export function idealRingViolations(peers: readonly PeerView[]): Finding[] {
  const out = new Findings();
  for (const v of peers) {
    if (v.alive && !participates(v)) {
      out.add('IdealRing', 'not-joined', `peer ${dec(v.state.self)} has not joined (phase ${v.state.phase.name}, ${v.state.succs.length} successors)`);
    }
  }
  const ring = participants(peers).map((v) => v.state);
  const selves = ring.map((s) => s.self);
  ring.forEach((s, i) => {
    if (out.full) return;
    const who = `peer ${dec(s.self)}`;
    const succs = following(selves, i, Math.min(s.cfg.replicas, selves.length));
    if (s.succs.length !== succs.length || s.succs.some((e, j) => !same(e, succs[j]))) {
      out.add('IdealRing', 'successors', `${who}: successors ${decs(s.succs)} expected ${decs(succs)}`);
    }
    const pred = selves[(i - 1 + selves.length) % selves.length];
    if (s.pred === null || !same(s.pred, pred)) {
      out.add('IdealRing', 'predecessor', `${who}: predecessor ${s.pred === null ? 'none' : dec(s.pred)} expected ${dec(pred)}`);
    }
    for (let k = 0; k < s.cfg.bits; k++) {
      const finger = selves[successorIndex(selves, fingerStart(s.self, k, s.cfg.bits))];
      const got = s.fingers.slots[k] ?? null;
      if (got === null || !same(got, finger)) {
        out.add('IdealRing', 'fingers', `${who}: finger ${k} is ${got === null ? 'unknown' : dec(got)} expected ${dec(finger)}`);
        break;
      }
    }
  });
  return out.list;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Every acknowledged record, with its last acknowledged value, on the `replicas` peers from its successor on. */
export function replicaViolations(peers: readonly PeerView[], acked: ReadonlyMap<string, Acked>, replicas: number): Finding[] {
  return holderFindings(peers, acked, replicas, (what, name, holders, out) => {
    const { key, value } = acked.get(name) as Acked;
    for (const holder of holders) {
      const rec = holder.records.get(key);
      if (rec === undefined) out.add('Data', 'missing-replica', `${what}: missing on peer ${dec(holder.self)}`);
      else if (!sameBytes(rec.value, value)) out.add('Data', 'stale-replica', `${what}: peer ${dec(holder.self)} holds a stale value`);
    }
  });
}

/**
 * Whether replication has come to rest: each record's holders all have it, in one version.
 * Settling waits for this as well as the ideal ring before the data is read back.
 */
export function replicaUnrest(peers: readonly PeerView[], keys: ReadonlyMap<string, { readonly key: Key }>, replicas: number): Finding[] {
  // A record no live peer holds any more is lost, not unsettled: the data check reports it.
  const anywhere = new Set<string>();
  for (const v of peers) if (v.alive) for (const rec of v.state.records.values()) anywhere.add(rec.key.name);
  return holderFindings(peers, keys, replicas, (what, name, holders, out) => {
    if (!anywhere.has(name)) return;
    const { key } = keys.get(name) as { readonly key: Key };
    const copies = holders.map((h) => h.records.get(key));
    const first = copies[0];
    if (copies.some((c) => c === undefined || first === undefined || c.version !== first.version || c.writer !== first.writer)) {
      out.add('Data', 'replicas-disagree', `${what}: its holders ${holders.map((h) => dec(h.self)).join(',')} do not all hold one version yet`);
    }
  });
}

/** Visits each record's r holders (the live participants from its key's successor on). */
function holderFindings(
  peers: readonly PeerView[],
  records: ReadonlyMap<string, { readonly key: Key }>,
  replicas: number,
  visit: (what: string, name: string, holders: PeerState[], out: Findings) => void,
): Finding[] {
  const out = new Findings();
  const ring = participants(peers).map((v) => v.state);
  const selves = ring.map((s) => s.self);
  for (const [name, { key }] of records) {
    if (out.full) break;
    const what = `record "${name}" (key ${dec(key)})`;
    if (ring.length === 0) {
      out.add('Data', 'no-holder', `${what}: no live peer to hold it`);
      continue;
    }
    const first = successorIndex(selves, key);
    const holders = Array.from({ length: Math.min(replicas, ring.length) }, (_, j) => ring[(first + j) % ring.length]);
    visit(what, name, holders, out);
  }
  return out.list;
}
