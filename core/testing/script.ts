/**
 * Data-driven rule scripts (as etcd raft's interaction tests): one peer is driven through input
 * lines, and every effect of each input is written as a line and compared with the lines the
 * script expects, in order. Request ids and nonces the peer picks are bound by name where they
 * first appear in an expected line (`rid=$stab`) and used by later inputs (`"rid": "$stab"`),
 * so no test has to replay its inputs just to learn them.
 *
 *   case <title>                      starts a case; the peer is 05 of an 8-bit ring, r = 3
 *   peer <hex> [<setting> <n> ...]    another peer, or settings (replicas 1, opAttempts 1, ...)
 *   > init succs=08,09,0e pred=04     inputs: init (pred=- for none), create, join via=p4,
 *   > deliver 08 state {...}            deliver / send-failed with the message as JSON (peers as
 *   > fire stabilize                    hex IDs, keys as numbers, values as strings), fire a
 *   > @1000 fire ping                   periodic round, leave, op $r or store $r (@ms: the time),
 *   > command put 7 v7 rid=1            tick, command put|get|leave
 *   ? succs pred                      the state: succs, pred, phase, lost, held, watch, and a
 *                                     leave's heirs and deadline, the lookups under way (ops),
 *                                     the distinct fingers
 *   send 08 get-state rid=$stab       expected effects: send, log, reply, stopped
 *   # a comment
 *
 * CHORD_REWRITE_RULES=1 npx ava core/rules.test.ts writes each failing case back as it ran.
 */
import { describeLog, describeMessage } from '../describe';
import { pointOfBigInt } from '../id';
import { leaveOf } from '../phase';
import { initState, step } from '../step';
import type { Config, Effect, Input, Key, Msg, Peer, PeerState, Reply } from '../types';
import { cfg as defaultCfg, dueNow, enc, type Fire } from './drive';

export interface ScriptLine {
  readonly text: string;
  readonly line: number;
}

export interface ScriptCase {
  readonly title: string;
  readonly line: number;
  /** The case's lines after its `case` line, comments and blank lines included. */
  readonly lines: readonly ScriptLine[];
}

export interface Script {
  /** What comes before the first case. */
  readonly head: readonly string[];
  readonly cases: readonly ScriptCase[];
}

export function parseScript(text: string): Script {
  const head: string[] = [];
  const cases: { title: string; line: number; lines: ScriptLine[] }[] = [];
  text.replace(/\n+$/, '').split('\n').forEach((raw, i) => {
    const text = raw.trim();
    if (text.startsWith('case ')) return void cases.push({ title: text.slice(5), line: i + 1, lines: [] });
    if (cases.length === 0) {
      if (text !== '' && !text.startsWith('#')) throw new Error(`line ${i + 1}: "${text}" before the first case`);
      return void head.push(raw);
    }
    cases[cases.length - 1].lines.push({ text, line: i + 1 });
  });
  return { head, cases };
}

function isNote(text: string): boolean {
  return text === '' || text.startsWith('#');
}

const BITS = 8;

function peerOf(hex: string): Peer {
  if (!/^[0-9a-f]{2}$/.test(hex)) throw new Error(`"${hex}" is not a peer (two hex digits)`);
  const n = parseInt(hex, 16);
  return { ...pointOfBigInt(BigInt(n), BITS), addr: `p${n}` };
}

function keyOf(n: number): Key {
  return { ...pointOfBigInt(BigInt(n), BITS), name: String(n) };
}

const PEER_FIELDS = new Set(['pred', 'succs', 'peers', 'holders', 'from', 'target', 'holder', 'to', 'peer']);

/** A message or reply written in a script, with its peers, keys, values and records made real. */
function materialize(value: unknown, field: string, vars: ReadonlyMap<string, number>): unknown {
  if (typeof value === 'string' && value.startsWith('$')) {
    const bound = vars.get(value.slice(1));
    if (bound === undefined) throw new Error(`${value} is not bound yet`);
    return bound;
  }
  if (Array.isArray(value)) return value.map((v) => materialize(v, field, vars));
  if (PEER_FIELDS.has(field) && typeof value === 'string') return peerOf(value);
  if ((field === 'key' || field === 'keys') && typeof value === 'number') return keyOf(value);
  if (field === 'value' && typeof value === 'string') return enc(value);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = materialize(v, k, vars);
    if (field === 'records' && typeof out.writer === 'string') out.writer = peerOf(out.writer).id;
    if (field === 'entries' && typeof out.writer === 'string') out.writer = peerOf(out.writer).id;
    return out;
  }
  return value;
}

function messageOf(t: string, json: string, vars: ReadonlyMap<string, number>): Msg {
  const body = json === '' ? {} : (JSON.parse(json) as Record<string, unknown>);
  return { t, ...(materialize(body, '', vars) as object) } as Msg;
}

function list(ps: readonly (Peer | null)[]): string {
  return ps.map((p) => p?.id ?? '-').join(',');
}

function describeReply(rid: number, r: Reply): string {
  const head = `reply ${rid} ${r.op}`;
  if (!r.ok) return `${head} error=${r.error} hops=${r.hops}`;
  switch (r.op) {
    case 'put': return `${head} ok version=${r.version} holders=[${list(r.holders)}] hops=${r.hops}`;
    case 'get': return `${head} ok ${r.rec.key.name}@v${r.rec.version} holder=${r.holder.id} hops=${r.hops}`;
    case 'leave': return `${head} ok kept=${r.kept} told=${r.told}`;
  }
}

/** A peer by its ID, and its address too when that is not the one its ID stands for (a bootstrap peer). */
function whom(p: Peer): string {
  return p.addr === `p${parseInt(p.id, 16)}` ? p.id : `${p.id}@${p.addr}`;
}

/** An effect as a script line. */
export function describeEffect(e: Effect): string {
  switch (e.kind) {
    case 'send': return `send ${whom(e.to)} ${e.msg.t} ${describeMessage(e.msg)}${e.channel === 'dgram' ? ' (dgram)' : ''}`.trimEnd();
    case 'log': {
      const [about, detail] = describeLog(e.event);
      return `log ${e.event.ev} ${about}${detail ? ` ${detail}` : ''}`;
    }
    case 'reply': return describeReply(e.rid, e.reply);
    case 'stopped': return `stopped ${e.reason}`;
  }
}

function describeState(s: PeerState, what: string): string {
  switch (what) {
    case 'succs': return `succs=[${list(s.succs)}]`;
    case 'pred': return `pred=${s.pred?.id ?? '-'}`;
    case 'phase': return `phase=${s.phase.name}`;
    case 'lost': return `lost=[${list(s.lost.map((l) => l.peer))}]`;
    case 'held': return `held=${s.held?.id ?? '-'}`;
    case 'watch': return `watch=[${[...s.watch.values()].map((w) => `${w.peer.id}:${w.misses}`).join(',')}]`;
    case 'heirs': return `heirs=[${list(leaveOf(s)?.heirs ?? [])}]`;
    case 'deadline': return `deadline=${leaveOf(s)?.deadline ?? '-'}`;
    case 'fingers': return `fingers=[${list(s.fingers.distinct)}]`;
    case 'ops': return `ops=[${[...s.ops.values()].map((op) => `${op.purpose}:${op.stage}@${op.deadline}`).join(',')}]`;
    default: throw new Error(`? ${what}: not a part of the state the scripts show`);
  }
}

/** The expected line as a pattern: `$name` matches a number, or the number it is bound to. */
function matches(expected: string, actual: string, vars: Map<string, number>): boolean {
  const names: string[] = [];
  const pattern = expected.split(/(\$\w+)/).map((part) => {
    if (!part.startsWith('$')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const bound = vars.get(part.slice(1));
    if (bound !== undefined) return String(bound);
    names.push(part.slice(1));
    return '(\\d+)';
  }).join('');
  const m = new RegExp(`^${pattern}$`).exec(actual);
  if (!m) return false;
  names.forEach((name, i) => vars.set(name, Number(m[i + 1])));
  return true;
}

function inputOf(text: string, vars: ReadonlyMap<string, number>): { input: Input | { readonly fire: Fire }; at: number | null } {
  let rest = text.slice(1).trim();
  let at: number | null = null;
  const time = /^@(\d+)\s+/.exec(rest);
  if (time) {
    at = Number(time[1]);
    rest = rest.slice(time[0].length);
  }
  const [word, ...args] = rest.split(/\s+/);
  const named = new Map(args.filter((a) => a.includes('=')).map((a) => a.split('=') as [string, string]));
  const number = (s: string) => (s.startsWith('$') ? (vars.get(s.slice(1)) ?? NaN) : Number(s));
  switch (word) {
    case 'create': return { input: { kind: 'create' }, at };
    case 'tick': return { input: { kind: 'tick' }, at };
    case 'init': {
      const succs = (named.get('succs') ?? '').split(',').filter((x) => x !== '').map(peerOf);
      const pred = named.get('pred') ?? '-';
      return { input: { kind: 'init', succs, pred: pred === '-' ? null : peerOf(pred) }, at };
    }
    case 'join': return { input: { kind: 'join', via: named.get('via') ?? 'p4' }, at };
    case 'deliver':
    case 'send-failed': {
      const m = /^(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(rest);
      if (!m) throw new Error(`${word} needs a peer, a message type and its JSON`);
      const msg = messageOf(m[3], m[4], vars);
      return { input: word === 'deliver' ? { kind: 'deliver', from: peerOf(m[2]), msg, channel: 'stream' } : { kind: 'send-failed', to: peerOf(m[2]), msg }, at };
    }
    case 'fire': {
      const [what, rid] = args;
      const fire: Fire = what === 'op' ? { op: number(rid) } : what === 'store' ? { store: number(rid) } : (what as Fire);
      return { input: { fire }, at };
    }
    case 'command': {
      const rid = number(named.get('rid') ?? '1');
      const [op, k, v] = args;
      if (op === 'leave') return { input: { kind: 'command', cmd: { op: 'leave', rid } }, at };
      if (op === 'put') return { input: { kind: 'command', cmd: { op: 'put', rid, key: keyOf(Number(k)), value: enc(v) } }, at };
      if (op === 'get') return { input: { kind: 'command', cmd: { op: 'get', rid, key: keyOf(Number(k)) } }, at };
      throw new Error(`command ${op}: put, get or leave`);
    }
    default: throw new Error(`unknown input "${word}"`);
  }
}

export interface CaseResult {
  /** Null when every effect was as expected, else the input, what was expected and what came. */
  readonly diff: string | null;
  /** The case as it should read: each input's expected lines replaced by what came, keeping
   *  the expected line (and the names it binds) wherever one matched (CHORD_REWRITE_RULES). */
  readonly rewritten: readonly string[];
}

/** Runs one case to its end, or to its first input that cannot run. */
export function runCase(c: ScriptCase): CaseResult {
  let config: Config = defaultCfg;
  let self = peerOf('05');
  let state: PeerState | null = null;
  let now = 0;
  const vars = new Map<string, number>();
  const rewritten: string[] = [`case ${c.title}`];
  let diff: string | null = null;
  const lines = c.lines;
  let i = 0;
  const stop = (why: string) => ({ diff: diff ?? why, rewritten: [...rewritten, ...lines.slice(i).map((l) => l.text)] });
  while (i < lines.length) {
    const { text, line } = lines[i++];
    if (isNote(text)) {
      rewritten.push(text);
      continue;
    }
    const where = `line ${line}`;
    if (text.startsWith('peer ')) {
      const [, hex, ...settings] = text.split(/\s+/);
      self = peerOf(hex);
      for (let k = 0; k + 1 < settings.length; k += 2) config = { ...config, [settings[k]]: Number(settings[k + 1]) };
      rewritten.push(text);
      continue;
    }
    state ??= initState(config, self);
    if (!text.startsWith('>') && !text.startsWith('?')) return stop(`${where}: "${text}" expected with no input before it`);
    rewritten.push(text);
    let actual: string[];
    if (text.startsWith('?')) {
      actual = text.slice(1).trim().split(/\s+/).map((what) => describeState(state as PeerState, what));
    } else {
      let parsed;
      try {
        parsed = inputOf(text, vars);
      } catch (err) {
        i--;
        rewritten.pop();
        return stop(`${where}: ${(err as Error).message}`);
      }
      if (parsed.at !== null) now = parsed.at;
      let input = parsed.input;
      if ('fire' in input) {
        state = dueNow(state, input.fire, now);
        input = { kind: 'tick' };
      }
      const r = step(state, input, now);
      state = r.state;
      actual = r.effects.map(describeEffect);
    }
    const expected: ScriptLine[] = [];
    while (i < lines.length && !/^[>?]|^peer /.test(lines[i].text) && !isNote(lines[i].text)) expected.push(lines[i++]);
    const ok = expected.length === actual.length && expected.every((e, k) => matches(e.text, actual[k], vars));
    if (!ok && diff === null) {
      diff = [`${where}: ${text}`, 'expected:', ...expected.map((e) => `  ${e.text}`), 'got:', ...actual.map((a) => `  ${a}`)].join('\n');
    }
    // Each line that came keeps the first unused expected line that matches it.
    let from = 0;
    for (const a of actual) {
      const k = expected.findIndex((e, j) => j >= from && matches(e.text, a, vars));
      if (k >= 0) from = k + 1;
      rewritten.push(k >= 0 ? expected[k].text : a);
    }
  }
  return { diff, rewritten };
}
