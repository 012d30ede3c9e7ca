/**
 * A picture of a run, as one self-contained HTML page (`chord replay --html FILE`): a time-space
 * diagram around the first failure (one column per peer, time downwards, every message an arrow
 * from its send to its delivery, lost ones ending in a cross, failed ones dashed back to their
 * sender; kills, joins, leaves and partitions as bands; the violation highlighted; hover on
 * anything for its contents), and the ring as it stood at the violation, peers at their ring
 * positions. Built from the trace as data (TraceEvent), so it shows exactly what the run did.
 */
import type { Scenario } from './scenario';
import type { RunReport, Violation } from './report';
import type { TraceEvent } from './trace';
import { signatureOf } from './checks';
import { judge } from './verdict';

export interface PictureOptions {
  /** Virtual ms shown before and after the moment pictured. */
  readonly before: number;
  readonly after: number;
  /** Most peer columns drawn (the busiest ones in the window). */
  readonly maxColumns: number;
}

export const DEFAULT_PICTURE: PictureOptions = { before: 2_000, after: 500, maxColumns: 48 };

const COL = 70;
const LEFT = 90;
const TOP = 60;
const RING = 420;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function num(x: number): string {
  return x.toFixed(1);
}

/**
 * Short peer names: the shortest prefix of their (equal-width) hex IDs that tells them all apart,
 * at least `min` digits. Also the labels of `chord ring`'s pictures at wide IDs.
 */
export function shortNames(ids: readonly string[], min = 2): Map<string, string> {
  const width = ids[0]?.length ?? min;
  for (let n = Math.min(min, width); n <= width; n++) {
    const seen = new Set(ids.map((id) => id.slice(0, n)));
    if (seen.size === ids.length) return new Map(ids.map((id) => [id, id.slice(0, n)]));
  }
  return new Map(ids.map((id) => [id, id]));
}

interface RingPeer {
  alive: boolean;
  succ: string | null;
  pred: string | null;
}

/** Each peer's liveness, successor and predecessor just after time `t`, replayed from the trace. */
function ringAt(events: readonly TraceEvent[], t: number): Map<string, RingPeer> {
  const ring = new Map<string, RingPeer>();
  const get = (id: string): RingPeer => {
    let p = ring.get(id);
    if (p === undefined) {
      p = { alive: false, succ: null, pred: null };
      ring.set(id, p);
    }
    return p;
  };
  for (const e of events) {
    if (e.t > t) break;
    if (e.kind === 'op') {
      if (e.what === 'init' || e.what === 'join' || e.what === 'restart') Object.assign(get(e.peer), { alive: true, succ: null, pred: null });
      else if (e.what === 'kill' || e.what === 'stopped') get(e.peer).alive = false;
    } else if (e.kind === 'log') {
      if (e.ev === 'successor') get(e.peer).succ = e.about === '-' ? null : e.about;
      else if (e.ev === 'predecessor') get(e.peer).pred = e.about === '-' ? null : e.about;
    }
  }
  return ring;
}

/** The moment to picture: the first failure, else the first violation seen outside the model, else the end. */
function focusOf(report: RunReport): { at: number; violation: Violation | null } {
  const vs = [...report.invariants.violations].sort((a, b) => Number(b.inModel) - Number(a.inModel) || a.at - b.at);
  const v = vs[0] ?? null;
  return { at: v?.at ?? report.virtualMs, violation: v };
}

function ringSvg(ring: Map<string, RingPeer>, names: Map<string, string>): string {
  const c = RING / 2;
  const r = RING / 2 - 50;
  const frac = (id: string): number => parseInt(id.slice(0, 13), 16) / 16 ** Math.min(13, id.length) || 0;
  const at = (id: string): { x: number; y: number } => {
    const a = frac(id) * 2 * Math.PI - Math.PI / 2;
    return { x: c + r * Math.cos(a), y: c + r * Math.sin(a) };
  };
  const parts: string[] = [`<circle cx="${c}" cy="${c}" r="${r}" fill="none" stroke="#ccc"/>`, `<text x="${c}" y="18" text-anchor="middle" class="small">0 (top), IDs clockwise</text>`];
  for (const [id, p] of ring) {
    if (!p.alive) continue;
    const from = at(id);
    if (p.succ !== null && p.succ !== id) {
      const to = at(p.succ);
      parts.push(`<line class="succ" x1="${num(from.x)}" y1="${num(from.y)}" x2="${num(to.x)}" y2="${num(to.y)}" marker-end="url(#ringhead)"><title>${esc(`${names.get(id)} successor ${names.get(p.succ) ?? p.succ}`)}</title></line>`);
    }
    if (p.pred !== null && p.pred !== id) {
      const to = at(p.pred);
      parts.push(`<line class="pred" x1="${num(from.x)}" y1="${num(from.y)}" x2="${num(to.x)}" y2="${num(to.y)}"><title>${esc(`${names.get(id)} predecessor ${names.get(p.pred) ?? p.pred}`)}</title></line>`);
    }
  }
  for (const [id, p] of ring) {
    const { x, y } = at(id);
    const label = `${id}: ${p.alive ? 'alive' : 'dead'}, successor ${p.succ ?? 'none'}, predecessor ${p.pred ?? 'none'}`;
    parts.push(`<g class="${p.alive ? 'node' : 'node dead'}"><circle cx="${num(x)}" cy="${num(y)}" r="13"/><text x="${num(x)}" y="${num(y)}">${esc(names.get(id) ?? id)}</text><title>${esc(label)}</title></g>`);
  }
  return `<svg id="ring" width="${RING}" height="${RING}" viewBox="0 0 ${RING} ${RING}"><defs><marker id="ringhead" viewBox="0 0 10 10" refX="22" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>${parts.join('')}</svg>`;
}

export function runPicture(scenario: Scenario, report: RunReport, events: readonly TraceEvent[], o: PictureOptions = DEFAULT_PICTURE): string {
  const focus = focusOf(report);
  const from = Math.max(0, focus.at - o.before);
  const to = focus.at + o.after;
  const inWindow = events.filter((e) => e.t >= from && e.t <= to);
  const allIds = [...new Set(events.map((e) => e.peer).filter((p) => p !== '-'))].sort();
  const names = shortNames(allIds);
  // The busiest columns when there are too many, kept in ring order.
  const activity = new Map<string, number>();
  for (const e of inWindow) if (e.peer !== '-') activity.set(e.peer, (activity.get(e.peer) ?? 0) + 1);
  const columns = [...activity.keys()].sort((a, b) => (activity.get(b) ?? 0) - (activity.get(a) ?? 0)).slice(0, o.maxColumns).sort();
  const x = new Map(columns.map((id, i) => [id, LEFT + i * COL]));
  const scale = Math.min(2, 2_400 / Math.max(1, to - from));
  const y = (t: number): number => TOP + (t - from) * scale;
  const height = Math.ceil(y(to) + 40);
  const width = LEFT + columns.length * COL + 40;
  const shapes: string[] = [];

  // Partitions: shaded over the cut group's columns.
  for (const op of scenario.ops) {
    if (op.op !== 'partition' || op.until < from || op.at > to) continue;
    for (const id of op.group) {
      const cx = x.get(id);
      if (cx === undefined) continue;
      shapes.push(`<rect class="band partition" x="${cx - COL / 2 + 4}" y="${num(y(Math.max(op.at, from)))}" width="${COL - 8}" height="${num((Math.min(op.until, to) - Math.max(op.at, from)) * scale)}"><title>${esc(`partition: ${op.group.join(',')} cut off from ${op.at} to ${op.until} ms`)}</title></rect>`);
    }
  }
  // Lifelines: solid while the peer is alive, from its start or the window's.
  const ring0 = ringAt(events, from);
  for (const id of columns) {
    const cx = x.get(id) as number;
    let alive = ring0.get(id)?.alive ?? false;
    let since = from;
    const segments: [number, number][] = [];
    for (const e of inWindow) {
      if (e.peer !== id || e.kind !== 'op') continue;
      if ((e.what === 'init' || e.what === 'join' || e.what === 'restart') && !alive) {
        alive = true;
        since = e.t;
      } else if ((e.what === 'kill' || e.what === 'stopped') && alive) {
        segments.push([since, e.t]);
        alive = false;
      }
    }
    if (alive) segments.push([since, to]);
    for (const [a, b] of segments) shapes.push(`<line class="life" x1="${cx}" y1="${num(y(a))}" x2="${cx}" y2="${num(y(b))}"/>`);
    // Column names at the top and again every screenful, so a long window stays readable.
    for (let ty = TOP - 14; ty < height; ty += 700) shapes.push(`<text class="col" x="${cx}" y="${ty}">${esc(names.get(id) ?? id)}<title>${esc(id)}</title></text>`);
  }
  // Messages: sends matched with what became of them.
  const ends = new Map<number, TraceEvent[]>();
  for (const e of events) {
    if ((e.kind === 'deliver' || e.kind === 'drop' || e.kind === 'send-failed') && e.id > 0) {
      const list = ends.get(e.id) ?? [];
      list.push(e);
      ends.set(e.id, list);
    }
  }
  let arrows = 0;
  for (const s of inWindow) {
    if (s.kind !== 'send') continue;
    const x1 = x.get(s.peer);
    const x2 = x.get(s.to);
    if (x1 === undefined || x2 === undefined) continue;
    const what = `${s.msg} ${names.get(s.peer)} -> ${names.get(s.to)} #${s.id} (${s.channel}) at ${s.t.toFixed(3)} ms: ${s.contents}`;
    const kind = s.msg === 'ping' || s.msg === 'pong' ? 'msg ping' : 'msg';
    for (const end of ends.get(s.id) ?? []) {
      arrows++;
      if (end.kind === 'deliver') {
        shapes.push(`<line class="${kind}" data-info="${esc(`${what}; delivered at ${end.t.toFixed(3)} ms`)}" x1="${x1}" y1="${num(y(s.t))}" x2="${x2}" y2="${num(y(end.t))}" marker-end="url(#head)"/>`);
      } else if (end.kind === 'drop') {
        const xm = x1 + (x2 - x1) * 0.6;
        const ym = y(s.t) + (y(end.t) - y(s.t)) * 0.6 + 4;
        shapes.push(`<line class="${kind} lost" data-info="${esc(`${what}; lost (${end.reason}) at ${end.t.toFixed(3)} ms`)}" x1="${x1}" y1="${num(y(s.t))}" x2="${num(xm)}" y2="${num(ym)}"/>`);
        shapes.push(`<text class="cross" x="${num(xm)}" y="${num(ym)}">x</text>`);
      } else {
        shapes.push(`<line class="${kind} failed" data-info="${esc(`${what}; send failed at ${end.t.toFixed(3)} ms`)}" x1="${x1}" y1="${num(y(s.t))}" x2="${x1 + (x2 > x1 ? 14 : -14)}" y2="${num(y(end.t))}"/>`);
      }
    }
  }
  // Peer events: scenario operations as bands, protocol log events and replies as dots.
  for (const e of inWindow) {
    const cx = x.get(e.peer);
    if (cx === undefined) continue;
    if (e.kind === 'op') {
      const cls = e.what === 'kill' ? 'kill' : e.what === 'stopped' ? 'leave' : 'join';
      shapes.push(`<rect class="band ${cls}" data-info="${esc(`${e.what} ${names.get(e.peer)} at ${e.t.toFixed(3)} ms ${e.detail}`)}" x="${cx - COL / 2 + 2}" y="${num(y(e.t) - 3)}" width="${COL - 4}" height="6"/>`);
      shapes.push(`<text class="small" x="${cx + 6}" y="${num(y(e.t) - 5)}">${esc(e.what)}</text>`);
    } else if (e.kind === 'log' || e.kind === 'command' || e.kind === 'reply') {
      const info = e.kind === 'log' ? `${e.ev} ${e.about} ${e.detail}` : e.kind === 'command' ? `command ${e.op} ${e.key}` : `reply ${e.op} ${e.error ?? 'ok'}`;
      const cls = e.kind === 'log' ? 'ev' : e.kind === 'reply' && e.error !== null ? 'ev bad' : 'ev client';
      shapes.push(`<circle class="${cls}" data-info="${esc(`${names.get(e.peer)} at ${e.t.toFixed(3)} ms: ${info}`)}" cx="${cx}" cy="${num(y(e.t))}" r="3.5"/>`);
    }
  }
  // The violation.
  const v = focus.violation;
  const vy = y(focus.at);
  const label = v === null ? `end of the run at ${focus.at} ms` : `${v.inModel ? 'FAILURE' : 'outside the failure model'} ${signatureOf(v)} at ${v.at} ms`;
  shapes.push(`<g id="violation" data-info="${esc(v === null ? label : `${label}: ${v.detail}`)}"><rect class="violation" x="0" y="${num(vy - 4)}" width="${width}" height="8"/><text class="vlabel" x="6" y="${num(vy - 8)}">${esc(label)}</text></g>`);
  for (let t = Math.ceil(from / 100) * 100; t <= to; t += 100) shapes.push(`<text class="small" x="4" y="${num(y(t) + 3)}">${t} ms</text>`);

  const verdict = judge(report).pass ? 'PASS' : 'FAIL';
  const ring = ringSvg(ringAt(events, focus.at), names);
  const legend = `<p class="legend"><span class="k msgk"></span>message, send to delivery <span class="k lostk"></span>lost (x) <span class="k failk"></span>send failed <span class="k pingk"></span>ping/pong <span class="k killk"></span>kill <span class="k joink"></span>join/restart/init <span class="k leavek"></span>stopped <span class="k partk"></span>cut off by a partition <span class="k evk"></span>protocol event <span class="k clik"></span>client request/reply</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>chord run ${esc(scenario.seed)}: ${verdict}</title>
<style>
body{font-family:system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:18px;margin:0 0 4px} p{margin:4px 0}
#details{position:fixed;right:12px;bottom:12px;max-width:560px;background:#fffbe6;border:1px solid #d9c46a;padding:8px;font:12px monospace;white-space:pre-wrap;min-height:1em}
.wrap{display:flex;gap:24px;align-items:flex-start}
.side{position:sticky;top:8px}
svg text{font-size:11px;font-family:monospace}
.col{text-anchor:middle;font-weight:bold}
.small{font-size:9px;fill:#666}
.life{stroke:#999;stroke-width:1.5}
.msg{stroke:#2f6fb3;stroke-width:1.2}
.msg.ping{stroke:#b9c9dc;stroke-width:1}
.msg.lost{stroke:#c0392b;stroke-dasharray:3 2}
.msg.failed{stroke:#c0392b;stroke-dasharray:6 3}
.msg:hover{stroke:#f39c12;stroke-width:3}
.cross{fill:#c0392b;font-weight:bold;text-anchor:middle}
.band.kill{fill:#c0392b}.band.join{fill:#27ae60}.band.leave{fill:#e67e22}
.band.partition{fill:#8e44ad;opacity:.12}
.ev{fill:#555}.ev.client{fill:#16a085}.ev.bad{fill:#c0392b}
.violation{fill:#e74c3c;opacity:.55}.vlabel{fill:#c0392b;font-weight:bold;font-size:12px}
.node circle{fill:#fff;stroke:#222;stroke-width:2}.node text{text-anchor:middle;dominant-baseline:central}
.node.dead circle{stroke:#bbb;stroke-dasharray:3 2}.node.dead text{fill:#aaa}
.succ{stroke:#333;stroke-width:1.5}.pred{stroke:#999;stroke-dasharray:4 3}
.legend .k{display:inline-block;width:18px;height:4px;margin:0 4px 2px 10px;vertical-align:middle}
.msgk{background:#2f6fb3}.lostk{background:#c0392b}.failk{background:repeating-linear-gradient(90deg,#c0392b 0 6px,transparent 6px 9px)}.pingk{background:#b9c9dc}
.killk{background:#c0392b;height:8px!important}.joink{background:#27ae60;height:8px!important}.leavek{background:#e67e22;height:8px!important}.partk{background:#8e44ad;opacity:.3;height:10px!important}
.evk{background:#555;width:8px!important;height:8px!important;border-radius:4px}.clik{background:#16a085;width:8px!important;height:8px!important;border-radius:4px}
</style></head><body>
<h1>${esc(verdict)}: seed ${esc(scenario.seed)}, ${scenario.initial.length} initial peers, ${scenario.bits}-bit IDs, r=${scenario.replicas}; trace hash ${esc(report.traceHash)}</h1>
<p>${esc(v === null ? 'No violation: the picture shows the end of the run.' : `${signatureOf(v)} at ${v.at} ms: ${v.detail}`)}</p>
<p class="small">Showing ${from.toFixed(0)} to ${to.toFixed(0)} virtual ms: ${arrows} messages over ${columns.length} of ${allIds.length} peers. Hover over anything for its contents.</p>
${legend}
<div class="wrap">
<svg id="timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#2f6fb3"/></marker></defs>${shapes.join('\n')}</svg>
<div class="side"><h1>The ring at ${focus.at} ms</h1><p class="small">solid: successor, dashed: predecessor; hollow: dead</p>${ring}</div>
</div>
<div id="details">hover over a message, an event or the violation</div>
<script>
const details = document.getElementById('details');
document.addEventListener('mouseover', (e) => {
  const el = e.target.closest('[data-info]');
  if (el) details.textContent = el.getAttribute('data-info');
});
</script>
</body></html>
`;
}
