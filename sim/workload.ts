/**
 * The clients' side of the run: request ids, outstanding requests, lookup statistics, and what
 * every record should read back as.
 *
 * A put that is acknowledged sets the record's last acknowledged value. A put that fails, or
 * whose peer dies before answering, has an unknown outcome: it may have been stored anyway, at
 * any later time, as in Jepsen's "info" operations. Such values are remembered as possible, and
 * a read of one counts as readable only if its version is not older than the acknowledged one
 * (a newer write may legitimately supersede the acknowledged value; an older one may not).
 *
 * After a partition that outlasted failure detection (split brain), both sides may have
 * accepted writes to one key before the rings merged, and the merge keeps one of them: the last
 * acknowledged value can then be superseded by an earlier one. What still holds, and is checked,
 * is that nothing acknowledged is lost and nothing is invented: the value read is one that some
 * put of that key wrote.
 */
import type { Key, Reply } from '../core/types';
import { keyOf } from '../edge/key-id';
import type { Acked, Finding } from './invariants';
import type { Route } from './routing';

export interface Request {
  readonly kind: 'put' | 'get' | 'leave' | 'check' | 'probe-put' | 'probe-get';
  readonly peer: string;
  readonly name: string;
  readonly value: Uint8Array | null;
  /** For a get: the last acknowledged write when it was asked, which it must not read behind. */
  readonly floor: { readonly version: number; readonly value: Uint8Array } | null;
  /** Virtual ms it was issued. */
  readonly at: number;
}

/** A finding about one answer, stamped with when it came (and when its request was issued). */
export interface Observed extends Finding {
  readonly at: number;
  readonly issued: number;
}

interface RecordFate {
  readonly key: Key;
  acked: Uint8Array | null;
  ackedVersion: number;
  /** Values of puts with an unknown outcome. */
  readonly possible: Uint8Array[];
  /** Every acknowledged value, for the split-brain check. */
  readonly everAcked: Uint8Array[];
  writing: boolean;
  /** What the final data check read, when it was acceptable. */
  readBack: Uint8Array | null;
}

export interface Issued {
  readonly rid: number;
  readonly key: Key;
}

/** A final read to send: `peer` asks for `key`. */
export interface CheckRead extends Issued {
  readonly peer: string;
}

export function describeRequest(req: Request): string {
  switch (req.kind) {
    case 'leave':
      return 'leave';
    case 'check':
      return `final read ${req.name}`;
    default:
      return `${req.kind} ${req.name}`;
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Nearest-rank percentile of an ascending list; 0 for an empty one. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

export class Workload {
  issued = 0;
  succeeded = 0;
  /** Gets correctly answered "not found": nothing was acknowledged for the key before they asked. */
  notFound = 0;
  failed = 0;
  readable = 0;
  lost = 0;
  /** Data-check reads not answered yet. */
  checking = 0;
  /** Records with an acknowledged value when the data check began (liveness probes come later). */
  acknowledged = 0;
  /** A partition outlasted failure detection: conflicting writes may have been merged. */
  splitBrain = false;
  /**
   * Reads that went behind a write acknowledged before they were asked ("not found", or an
   * older value), while the run was in the failure model.
   */
  readonly badReads: Observed[] = [];
  /** Workload requests that failed, but for those whose peer was leaving or stopped (not the ring's doing). */
  readonly failures: Observed[] = [];
  /** Liveness probes not answered yet, and the ones that failed. */
  probing = 0;
  readonly stuck: string[] = [];
  /** The liveness probes' lookups, made on the ideal ring, for the routing check. */
  readonly routes: Route[] = [];
  /** Lost records, for the report's violations: name and why. */
  readonly losses: { readonly name: string; readonly why: string }[] = [];
  private readonly hops: number[] = [];
  private nextRid = 1;
  private readonly pending = new Map<number, Request>();
  private readonly records = new Map<string, RecordFate>();

  constructor(
    private readonly bits: number,
    /** Whether reads are checked now (see FaultLog.readsChecked). */
    private readonly readsChecked: () => boolean = () => true,
  ) {}

  /** Registers a put; a string says why it is skipped. */
  put(peer: string, name: string, value: Uint8Array, now = 0): Issued | string {
    const fate = this.fate(name);
    if (fate.writing) return 'a put to this key is still outstanding';
    fate.writing = true;
    this.issued++;
    return { rid: this.request('put', peer, name, value, null, now), key: fate.key };
  }

  get(peer: string, name: string, now = 0): Issued {
    this.issued++;
    const fate = this.fate(name);
    const floor = fate.acked === null ? null : { version: fate.ackedVersion, value: fate.acked };
    return { rid: this.request('get', peer, name, null, floor, now), key: fate.key };
  }

  leave(peer: string): number {
    return this.request('leave', peer, '', null);
  }

  /**
   * Settles the request `rid`; a reply to one already abandoned (its peer died) is ignored.
   * `departing`: the answering peer was leaving or had stopped, so a failure is its own doing.
   */
  reply(rid: number, reply: Reply, now: number, departing = false): Request | undefined {
    const req = this.pending.get(rid);
    if (req === undefined) return undefined;
    this.pending.delete(rid);
    if (req.kind === 'check') this.checked(req.name, reply);
    else if (req.kind === 'probe-put' || req.kind === 'probe-get') this.probed(req, reply);
    else if (req.kind !== 'leave') this.answered(req, reply, now, departing);
    return req;
  }

  /**
   * Liveness at quiescence: once the ring is calm, a put of a fresh value to every key ever
   * written, through the live peers in turn, must succeed (it becomes the acknowledged value),
   * and then a read of each through the next peer must return it. Failures are kept in
   * `stuck`. Probes are not counted in the workload's lookup statistics.
   */
  beginProbePuts(peers: readonly string[]): { peer: string; rid: number; key: Key; value: Uint8Array }[] {
    return [...this.records.keys()].map((name, i) => {
      const peer = peers[i % peers.length];
      const value = new TextEncoder().encode(`probe of ${name}`);
      this.probing++;
      return { peer, rid: this.request('probe-put', peer, name, value), key: this.fate(name).key, value };
    });
  }

  beginProbeGets(peers: readonly string[]): CheckRead[] {
    return [...this.records.keys()].map((name, i) => {
      const peer = peers[(i + 1) % peers.length];
      this.probing++;
      return { peer, rid: this.request('probe-get', peer, name, null), key: this.fate(name).key };
    });
  }

  private probed(req: Request, reply: Reply | null): void {
    this.probing--;
    const fate = this.fate(req.name);
    const what = `${req.kind === 'probe-put' ? 'put' : 'get'} of "${req.name}" through ${req.peer} at rest`;
    if (reply === null || !reply.ok) {
      this.stuck.push(`${what} failed: ${reply === null ? 'no answer' : reply.error}`);
      return;
    }
    if (reply.op === 'put' || reply.op === 'get') this.routes.push({ op: reply.op, peer: req.peer, key: fate.key, hops: reply.hops });
    if (reply.op === 'put') {
      fate.readBack = null;
      fate.acked = req.value;
      fate.ackedVersion = reply.version;
      fate.everAcked.push(req.value as Uint8Array);
    } else if (reply.op === 'get' && !(fate.acked !== null && sameBytes(reply.rec.value, fate.acked))) {
      this.stuck.push(`${what} read version ${reply.rec.version}, not the value just written`);
    }
  }

  /** Requests waiting at a peer that died will never be answered. */
  abandon(peer: string): void {
    this.dropWhere((req) => req.peer === peer);
  }

  /**
   * Begins the final data check: one read per record with an acknowledged value, in the order
   * the records were first written, spread round-robin over `readers`. Puts still outstanding may
   * yet land, so their values become possible. Without readers every record counts as lost.
   */
  beginCheck(readers: readonly string[]): CheckRead[] {
    for (const req of this.pending.values()) {
      if (req.kind === 'put') this.fate(req.name).possible.push(req.value as Uint8Array);
    }
    const reads: CheckRead[] = [];
    for (const [name, fate] of this.records) {
      if (fate.acked === null) continue;
      this.acknowledged++;
      this.checking++;
      if (readers.length === 0) {
        this.checked(name, null);
        continue;
      }
      const peer = readers[reads.length % readers.length];
      reads.push({ peer, rid: this.request('check', peer, name, null), key: fate.key });
    }
    return reads;
  }

  /** Ends the run: what is still outstanding will never be answered. */
  finish(): void {
    this.dropWhere(() => true);
  }

  /** Acknowledged records with the value their holders should have, for the replica check. */
  ackedRecords(): Map<string, Acked> {
    const out = new Map<string, Acked>();
    for (const [name, fate] of this.records) {
      if (fate.acked !== null) out.set(name, { key: fate.key, value: fate.readBack ?? fate.acked, version: fate.ackedVersion });
    }
    return out;
  }

  hopStats(): { mean: number; p99: number } {
    const sorted = [...this.hops].sort((a, b) => a - b);
    const mean = sorted.length === 0 ? 0 : sorted.reduce((a, b) => a + b, 0) / sorted.length;
    return { mean, p99: percentile(sorted, 0.99) };
  }

  private request(kind: Request['kind'], peer: string, name: string, value: Uint8Array | null, floor: Request['floor'] = null, at = 0): number {
    const rid = this.nextRid++;
    this.pending.set(rid, { kind, peer, name, value, floor, at });
    return rid;
  }

  private dropWhere(doomed: (req: Request) => boolean): void {
    for (const [rid, req] of this.pending) {
      if (!doomed(req)) continue;
      this.pending.delete(rid);
      if (req.kind === 'check') this.checked(req.name, null);
      else if (req.kind === 'probe-put' || req.kind === 'probe-get') this.probed(req, null);
      else if (req.kind !== 'leave') this.unanswered(req);
    }
  }

  private fate(name: string): RecordFate {
    let fate = this.records.get(name);
    if (fate === undefined) {
      fate = { key: keyOf(name, this.bits), acked: null, ackedVersion: 0, possible: [], everAcked: [], writing: false, readBack: null };
      this.records.set(name, fate);
    }
    return fate;
  }

  private answered(req: Request, reply: Reply, now: number, departing: boolean): void {
    const what = `${req.kind} of "${req.name}" through ${req.peer}`;
    if (!reply.ok) {
      // "Not found" is a claim, not a timeout: after an acknowledged write it is false (a peer
      // served a key range whose records it did not hold).
      if (req.kind === 'get' && reply.error === 'not-found') {
        if (req.floor === null) {
          this.notFound++;
          return;
        }
        this.badRead(now, req.at, 'false-miss', `${what} answered "not found" although version ${req.floor.version} was acknowledged before it was asked`);
      } else if (!departing) {
        this.failures.push({ invariant: 'Lookup', kind: 'failed', detail: `${what} failed: ${reply.error}`, at: now, issued: req.at });
      }
      this.unanswered(req);
      return;
    }
    if (reply.op === 'get' && req.floor !== null) {
      const { version, value } = reply.rec;
      const possible = this.fate(req.name).possible;
      if (version < req.floor.version) {
        this.badRead(now, req.at, 'stale-read', `${what} read version ${version}, older than version ${req.floor.version} acknowledged before it was asked`);
      } else if (version === req.floor.version && !sameBytes(value, req.floor.value) && !possible.some((v) => sameBytes(v, value))) {
        this.badRead(now, req.at, 'stale-read', `${what} read another value under version ${version} than the one acknowledged before it was asked`);
      }
    }
    this.succeeded++;
    if (reply.op === 'put' || reply.op === 'get') this.hops.push(reply.hops);
    if (reply.op === 'put') {
      const fate = this.fate(req.name);
      fate.writing = false;
      fate.acked = req.value;
      fate.ackedVersion = reply.version;
      fate.everAcked.push(req.value as Uint8Array);
    }
  }

  private badRead(at: number, issued: number, kind: string, detail: string): void {
    if (this.readsChecked()) this.badReads.push({ invariant: 'Data', kind, detail, at, issued });
  }

  private unanswered(req: Request): void {
    this.failed++;
    if (req.kind !== 'put') return;
    const fate = this.fate(req.name);
    fate.writing = false;
    fate.possible.push(req.value as Uint8Array);
  }

  private checked(name: string, reply: Reply | null): void {
    this.checking--;
    const fate = this.fate(name);
    const why = this.readProblem(fate, reply);
    if (why === null) {
      this.readable++;
      if (reply !== null && reply.ok && reply.op === 'get') fate.readBack = reply.rec.value;
    } else {
      this.lost++;
      this.losses.push({ name, why });
    }
  }

  /** Why a final read does not show the record, null when it does. */
  private readProblem(fate: RecordFate, reply: Reply | null): string | null {
    if (reply === null) return 'no answer';
    if (!reply.ok) return `read failed: ${reply.error}`;
    if (reply.op !== 'get') return `unexpected ${reply.op} reply`;
    const { value, version } = reply.rec;
    if (fate.acked !== null && sameBytes(value, fate.acked)) return null;
    if (version >= fate.ackedVersion && fate.possible.some((v) => sameBytes(v, value))) return null;
    if (this.splitBrain && [...fate.everAcked, ...fate.possible].some((v) => sameBytes(v, value))) return null;
    return `read version ${version}, acknowledged version ${fate.ackedVersion}`;
  }
}
