/**
 * The run trace: one line per event, and a hash over the same fields that proves two runs took
 * the same course. The hash mixes the fields themselves (kind, time, ids, numbers), not the
 * formatted lines, so it is identical whether or not a sink is attached, and a run without a
 * sink builds no strings.
 *
 * The hash is two 32-bit lanes (FNV-1a and a multiply-xorshift mix) printed as 16 hex digits:
 * cheaper than 64-bit FNV in JavaScript, which needs BigInt or four 16-bit limbs, and ample for
 * telling runs apart. A string enters as a 52-bit digest of its characters, computed once per
 * distinct string: the same few ids recur in every event, and a 160-bit id is 40 characters.
 */
import type { LogEvent, Msg } from '../core/types';

export type TraceSink = (line: string) => void;

/** Distinguishes records whose other fields could coincide. */
enum Kind {
  Deliver = 1,
  Timer,
  SendFailed,
  Drop,
  Command,
  Reply,
  Log,
  Op,
  Skip,
}

const TWO_20 = 0x100000;

/** 32 bits of FNV-1a and 20 bits of a second mix, both over the characters and the length. */
function digestOf(s: string): number {
  let a = 0x811c9dc5;
  let b = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 13;
  }
  return (a >>> 0) * TWO_20 + ((b >>> 0) & (TWO_20 - 1));
}

class Hash {
  private a = 0x811c9dc5;
  private b = 0x9747b28c;
  private readonly f64 = new Float64Array(1);
  private readonly u32 = new Uint32Array(this.f64.buffer);
  private readonly digests = new Map<string, number>();

  word(x: number): void {
    this.a = Math.imul(this.a ^ x, 0x01000193);
    const b = Math.imul(this.b ^ x, 0x5bd1e995);
    this.b = b ^ (b >>> 15);
  }

  num(x: number): void {
    if ((x | 0) === x) {
      this.word(x);
    } else {
      this.f64[0] = x;
      this.word(this.u32[0]);
      this.word(this.u32[1]);
    }
  }

  str(s: string): void {
    let d = this.digests.get(s);
    if (d === undefined) {
      d = digestOf(s);
      this.digests.set(s, d);
    }
    this.word(Math.floor(d / TWO_20));
    this.word(d % TWO_20);
  }

  hex(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0');
  }
}

/** The request id a message carries, -1 for those without one. */
export function ridOf(msg: Msg): number {
  return 'rid' in msg ? msg.rid : -1;
}

/** The peer a log event is about and one more detail, for the trace. */
function logFields(e: LogEvent): [string, string] {
  switch (e.ev) {
    case 'created':
      return ['-', ''];
    case 'left':
      return ['-', e.kept === 0 ? '' : `kept=${e.kept}`];
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
  }
}

export class Trace {
  private readonly hash = new Hash();

  constructor(private readonly sink?: TraceSink) {}

  get digest(): string {
    return this.hash.hex();
  }

  deliver(t: number, peer: string, msg: Msg, from: string): void {
    const rid = ridOf(msg);
    this.head(Kind.Deliver, t, peer, msg.t);
    this.hash.str(from);
    this.hash.num(rid);
    if (this.sink) this.sink(`${line(t, peer)} deliver ${msg.t} from=${from}${ridText(rid)}`);
  }

  timer(t: number, peer: string, name: string, arg: number): void {
    this.head(Kind.Timer, t, peer, name);
    this.hash.num(arg);
    if (this.sink) this.sink(`${line(t, peer)} timer ${name} ${arg}`);
  }

  sendFailed(t: number, peer: string, msg: Msg, to: string): void {
    const rid = ridOf(msg);
    this.head(Kind.SendFailed, t, peer, msg.t);
    this.hash.str(to);
    this.hash.num(rid);
    if (this.sink) this.sink(`${line(t, peer)} send-failed ${msg.t} to=${to}${ridText(rid)}`);
  }

  /** A message that never reached `peer`, with the reason (lost, cut, dead, orphan, ...). */
  drop(t: number, peer: string, type: string, from: string, reason: string): void {
    this.head(Kind.Drop, t, peer, type);
    this.hash.str(from);
    this.hash.str(reason);
    if (this.sink) this.sink(`${line(t, peer)} drop ${type} from=${from} ${reason}`);
  }

  command(t: number, peer: string, op: string, rid: number, key: string): void {
    this.head(Kind.Command, t, peer, op);
    this.hash.num(rid);
    this.hash.str(key);
    if (this.sink) this.sink(`${line(t, peer)} command ${op} rid=${rid}${key ? ` key=${key}` : ''}`);
  }

  reply(t: number, peer: string, op: string, rid: number, error: string | null): void {
    this.head(Kind.Reply, t, peer, op);
    this.hash.num(rid);
    this.hash.str(error ?? '');
    if (this.sink) this.sink(`${line(t, peer)} reply ${op} rid=${rid} ${error === null ? 'ok' : `error=${error}`}`);
  }

  log(t: number, peer: string, event: LogEvent): void {
    const [about, detail] = logFields(event);
    this.head(Kind.Log, t, peer, event.ev);
    this.hash.str(about);
    this.hash.str(detail);
    if (this.sink) this.sink(`${line(t, peer)} log ${event.ev} ${about}${detail ? ` ${detail}` : ''}`);
  }

  /** A scenario operation or a world action on `peer` (join, kill, stopped, partition, ...). */
  op(t: number, peer: string, what: string, detail: string): void {
    this.head(Kind.Op, t, peer, what);
    this.hash.str(detail);
    if (this.sink) this.sink(`${line(t, peer)} op ${what}${detail ? ` ${detail}` : ''}`);
  }

  skip(t: number, peer: string, what: string, reason: string): void {
    this.head(Kind.Skip, t, peer, what);
    this.hash.str(reason);
    if (this.sink) this.sink(`${line(t, peer)} skip ${what}: ${reason}`);
  }

  private head(kind: Kind, t: number, peer: string, what: string): void {
    this.hash.word(kind);
    this.hash.num(t);
    this.hash.str(peer);
    this.hash.str(what);
  }
}

function line(t: number, peer: string): string {
  return `${t.toFixed(3).padStart(11)} p=${peer}`;
}

function ridText(rid: number): string {
  return rid < 0 ? '' : ` rid=${rid}`;
}
