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
 * A peer's id is a `TraceName` that carries its digest: at 10,000 peers a lookup of the digest in
 * a table of every id costs more than all the rest of the hashing (measured), while the peer
 * object is at hand and already in cache.
 */
import type { Channel, LogEvent, Msg } from '../core/types';
import { describeLog, describeMessage } from '../core/describe';

export type TraceSink = (line: string) => void;

/** Distinguishes records whose other fields could coincide. */
enum Kind {
  Deliver = 1,
  Tick,
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

/** A name the trace hashes in most events (a machine's id), with its digest worked out once. */
export class TraceName {
  readonly digest: number;

  constructor(readonly text: string) {
    this.digest = digestOf(text);
  }
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
    this.digest(d);
  }

  /** A string by its digest: the same words as `str` of the string. */
  name(n: TraceName): void {
    this.digest(n.digest);
  }

  private digest(d: number): void {
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


/**
 * One trace event as data, for a picture of the run (`chord replay --html`). Messages carry the
 * number of their send, so a delivery, a drop or a failure can be drawn from the send it ends;
 * `contents` is the message in a line (sends only).
 */
export type TraceEvent =
  | { readonly t: number; readonly kind: 'send'; readonly peer: string; readonly to: string; readonly id: number; readonly msg: string; readonly channel: Channel; readonly contents: string }
  | { readonly t: number; readonly kind: 'deliver'; readonly peer: string; readonly from: string; readonly id: number; readonly msg: string; readonly rid: number }
  | { readonly t: number; readonly kind: 'drop'; readonly peer: string; readonly from: string; readonly id: number; readonly msg: string; readonly reason: string }
  | { readonly t: number; readonly kind: 'send-failed'; readonly peer: string; readonly to: string; readonly id: number; readonly msg: string; readonly rid: number }
  | { readonly t: number; readonly kind: 'tick'; readonly peer: string; readonly due: string }
  | { readonly t: number; readonly kind: 'command'; readonly peer: string; readonly op: string; readonly rid: number; readonly key: string }
  | { readonly t: number; readonly kind: 'reply'; readonly peer: string; readonly op: string; readonly rid: number; readonly error: string | null }
  | { readonly t: number; readonly kind: 'log'; readonly peer: string; readonly ev: string; readonly about: string; readonly detail: string }
  | { readonly t: number; readonly kind: 'op'; readonly peer: string; readonly what: string; readonly detail: string }
  | { readonly t: number; readonly kind: 'skip'; readonly peer: string; readonly what: string; readonly reason: string };

export type TraceEventSink = (e: TraceEvent) => void;

/** The trace line of an event. */
function formatEvent(e: TraceEvent): string {
  const head = line(e.t, e.peer);
  switch (e.kind) {
    case 'send': return `${head} send ${e.msg} to=${e.to} #${e.id} ${e.channel} ${e.contents}`;
    case 'deliver': return `${head} deliver ${e.msg} from=${e.from}${ridText(e.rid)}${sendText(e.id)}`;
    case 'drop': return `${head} drop ${e.msg} from=${e.from} ${e.reason}${sendText(e.id)}`;
    case 'send-failed': return `${head} send-failed ${e.msg} to=${e.to}${ridText(e.rid)}${sendText(e.id)}`;
    case 'tick': return `${head} tick ${e.due}`;
    case 'command': return `${head} command ${e.op} rid=${e.rid}${e.key ? ` key=${e.key}` : ''}`;
    case 'reply': return `${head} reply ${e.op} rid=${e.rid} ${e.error === null ? 'ok' : `error=${e.error}`}`;
    case 'log': return `${head} log ${e.ev} ${e.about}${e.detail ? ` ${e.detail}` : ''}`;
    case 'op': return `${head} op ${e.what}${e.detail ? ` ${e.detail}` : ''}`;
    case 'skip': return `${head} skip ${e.what}: ${e.reason}`;
  }
}

export class Trace {
  private readonly hash = new Hash();
  private readonly out: TraceEventSink | undefined;

  /** `sink` takes lines, `events` the same events as data; without either nothing is built. */
  constructor(sink?: TraceSink, events?: TraceEventSink) {
    this.out = sink === undefined ? events : events === undefined ? (e) => sink(formatEvent(e)) : (e) => { events(e); sink(formatEvent(e)); };
  }

  get digest(): string {
    return this.hash.hex();
  }

  /**
   * A message handed to the network, with its number. Not hashed: what becomes of it (delivery,
   * drop, failure) is, and the send itself follows from the step that made it.
   */
  send(t: number, peer: TraceName, msg: Msg, to: TraceName, channel: Channel, id: number): void {
    if (this.out) this.out({ t, kind: 'send', peer: peer.text, to: to.text, id, msg: msg.t, channel, contents: describeMessage(msg) });
  }

  deliver(t: number, peer: TraceName, msg: Msg, from: TraceName, id = 0): void {
    const rid = ridOf(msg);
    this.head(Kind.Deliver, t, peer, msg.t);
    this.hash.name(from);
    this.hash.num(rid);
    if (this.out) this.out({ t, kind: 'deliver', peer: peer.text, from: from.text, id, msg: msg.t, rid });
  }

  /**
   * A peer's wake-up. What was due is a function of its state, which the events before fixed,
   * so the hash leaves it out and a run without a sink never works it out.
   */
  tick(t: number, peer: TraceName, due: () => string): void {
    this.head(Kind.Tick, t, peer, 'tick');
    if (this.out) this.out({ t, kind: 'tick', peer: peer.text, due: due() });
  }

  sendFailed(t: number, peer: TraceName, msg: Msg, to: TraceName, id = 0): void {
    const rid = ridOf(msg);
    this.head(Kind.SendFailed, t, peer, msg.t);
    this.hash.name(to);
    this.hash.num(rid);
    if (this.out) this.out({ t, kind: 'send-failed', peer: peer.text, to: to.text, id, msg: msg.t, rid });
  }

  /** A message that never reached `peer`, with the reason (lost, cut, dead, orphan, ...). */
  drop(t: number, peer: TraceName, type: string, from: TraceName, reason: string, id = 0): void {
    this.head(Kind.Drop, t, peer, type);
    this.hash.name(from);
    this.hash.str(reason);
    if (this.out) this.out({ t, kind: 'drop', peer: peer.text, from: from.text, id, msg: type, reason });
  }

  command(t: number, peer: TraceName, op: string, rid: number, key: string): void {
    this.head(Kind.Command, t, peer, op);
    this.hash.num(rid);
    this.hash.str(key);
    if (this.out) this.out({ t, kind: 'command', peer: peer.text, op, rid, key });
  }

  reply(t: number, peer: TraceName, op: string, rid: number, error: string | null): void {
    this.head(Kind.Reply, t, peer, op);
    this.hash.num(rid);
    this.hash.str(error ?? '');
    if (this.out) this.out({ t, kind: 'reply', peer: peer.text, op, rid, error });
  }

  log(t: number, peer: TraceName, event: LogEvent): void {
    const [about, detail] = describeLog(event);
    this.head(Kind.Log, t, peer, event.ev);
    this.hash.str(about);
    this.hash.str(detail);
    if (this.out) this.out({ t, kind: 'log', peer: peer.text, ev: event.ev, about, detail });
  }

  /**
   * A scenario operation or a world action on `peer` (join, kill, stopped, partition, ...); a
   * string for what names no machine of the run (a skipped identifier, '-' for the whole network).
   */
  op(t: number, peer: TraceName | string, what: string, detail: string): void {
    this.head(Kind.Op, t, peer, what);
    this.hash.str(detail);
    if (this.out) this.out({ t, kind: 'op', peer: textOf(peer), what, detail });
  }

  skip(t: number, peer: TraceName | string, what: string, reason: string): void {
    this.head(Kind.Skip, t, peer, what);
    this.hash.str(reason);
    if (this.out) this.out({ t, kind: 'skip', peer: textOf(peer), what, reason });
  }

  private head(kind: Kind, t: number, peer: TraceName | string, what: string): void {
    this.hash.word(kind);
    this.hash.num(t);
    if (typeof peer === 'string') this.hash.str(peer);
    else this.hash.name(peer);
    this.hash.str(what);
  }
}

function textOf(peer: TraceName | string): string {
  return typeof peer === 'string' ? peer : peer.text;
}

function line(t: number, peer: string): string {
  return `${t.toFixed(3).padStart(11)} p=${peer}`;
}

/** The number of the send a message came from, when it is known. */
function sendText(id: number): string {
  return id > 0 ? ` #${id}` : '';
}

function ridText(rid: number): string {
  return rid < 0 ? '' : ` rid=${rid}`;
}
