/**
 * The ring as an SVG picture (`chord ring --svg`), written from its layout (layout.ts): a title
 * (ring size, bits, when and from where it was walked), the peers at their ring positions with
 * radial labels (ID and records held), successors along the ring, predecessors dashed outside
 * it, whatever points past a peer in orange across it, fingers if asked, record bars, and a
 * legend naming only what is drawn. Each peer carries a tooltip with its state; the HTML page
 * (html.ts) embeds this same SVG and hooks its `data-peer` and `data-from` attributes.
 */
import type { RingWalk } from '../../runtime-node/client';
import type { PeerInfo } from '../../runtime-node/client-protocol';
import { CHAR, COUNT_GAP, COUNT_SIZE, layoutRing, nameOf, TABLE_HEADINGS, tableRow, type Link, type Path, type PeerMark, type RingLayout, type XY } from './layout';

export interface PictureOptions {
  /** Draw every peer's fingers. */
  readonly fingers: boolean;
  /** When the ring was walked. */
  readonly at: Date;
}

/** How fingers go into the SVG: not at all, drawn, or present but hidden until asked for (the HTML page). */
export type FingerStyle = 'none' | 'shown' | 'hidden';

const COLOURS = {
  member: '#1f5f99', other: '#d99a00', successor: '#1f5f99', predecessor: '#8c8c8c', off: '#e06c00',
  finger: '#7b4fb3', bar: '#2e9e6a', noPred: '#d0312d', ring: '#e6e6e6', leader: '#b8b8b8',
} as const;

export function ringSvg(walk: RingWalk, o: PictureOptions): string {
  return svgOf(walk, layoutRing(walk), { at: o.at, fingers: o.fingers ? 'shown' : 'none' });
}

export function svgOf(walk: RingWalk, l: RingLayout, o: { readonly at: Date; readonly fingers: FingerStyle }): string {
  const links = l.links.filter((k) => k.kind !== 'finger' || o.fingers !== 'none');
  // Fingers under everything, then predecessors, then successors.
  const rank = { finger: 0, predecessor: 1, successor: 2 } as const;
  const ordered = [...links].sort((a, b) => rank[a.kind] - rank[b.kind]);
  const side = sidePanel(l, links);
  const height = Math.max(l.height, Math.ceil(l.legend.y + side.height + 16));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="ring-picture${o.fingers === 'shown' ? ' show-fingers' : ''}" width="${l.width}" height="${height}" viewBox="0 0 ${l.width} ${height}">`,
    style(l),
    markers(),
    `<rect width="${l.width}" height="${height}" fill="#fff"/>`,
    title(walk, l, o.at),
    `<circle class="ring" cx="${f(l.centre.x)}" cy="${f(l.centre.y)}" r="${f(l.radius)}"/>`,
    `<g class="ticks">${l.ticks.map((t) => `<line x1="${f(t.inner.x)}" y1="${f(t.inner.y)}" x2="${f(t.outer.x)}" y2="${f(t.outer.y)}"/><text x="${f(t.text.x)}" y="${f(t.text.y)}">${esc(t.name)}</text>`).join('')}</g>`,
    `<g class="bars">${l.peers.map((p, k) => (p.bar === null ? '' : `<line data-peer="${k}" x1="${f(p.bar.from.x)}" y1="${f(p.bar.from.y)}" x2="${f(p.bar.to.x)}" y2="${f(p.bar.to.y)}"/>`)).join('')}</g>`,
    `<g class="links">\n${ordered.map((k) => linkSvg(k)).join('\n')}\n</g>`,
    `<g class="leaders">${l.peers.map((p) => (p.label === null ? '' : `<polyline points="${p.label.leader.map((q) => `${f(q.x)},${f(q.y)}`).join(' ')}"/>`)).join('')}</g>`,
    `<g class="peers">\n${l.peers.map((p, k) => peerSvg(l, p, k)).join('\n')}\n</g>`,
    `<g class="labels">\n${l.peers.map((p, k) => labelSvg(p, k)).join('\n')}\n</g>`,
    side.svg,
    '</svg>',
    '',
  ].join('\n');
}

function style(l: RingLayout): string {
  const c = COLOURS;
  return `<style>
.ring-picture{font-family:system-ui,"DejaVu Sans",sans-serif}
.ring-picture .h1{font-size:17px;font-weight:600;fill:#222}.ring-picture .sub{font-size:12px;fill:#555}.ring-picture .warn{font-size:12px;fill:${c.noPred}}
.ring{fill:none;stroke:${c.ring};stroke-width:6}
.ticks line{stroke:#999;stroke-width:1}.ticks text{font:10px "DejaVu Sans Mono",monospace;fill:#999;text-anchor:middle;dominant-baseline:central}
.bars line{stroke:${c.bar};stroke-width:3;stroke-linecap:butt}
.link{fill:none}
.link.successor{stroke:${c.successor};stroke-width:1.6}
.link.predecessor{stroke:${c.predecessor};stroke-width:1;stroke-dasharray:3 2}
.link.off{stroke:${c.off};stroke-width:1.6}
.link.finger{stroke:${c.finger};stroke-width:.7;opacity:.35;display:none}
.show-fingers .link.finger,.link.finger.hl{display:inline}
.leaders polyline{fill:none;stroke:${c.leader};stroke-width:.7}
.dot{fill:${c.member};stroke:#fff;stroke-width:1.2}
.other .dot{fill:${c.other}}
.missing .dot{fill:#fff;stroke:#888;stroke-dasharray:2 1.5}
.no-pred{fill:none;stroke:${c.noPred};stroke-width:1.5}
.label{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:${l.fontSize}px;fill:#222;dominant-baseline:central}
.label.missing{fill:#888}
.label .count{fill:#2e7d57;font-size:${COUNT_SIZE * 100}%}
.legend text{font-size:12px;fill:#333;dominant-baseline:central}.legend .head{font-weight:600;font-size:13px}
.legend .th,.legend .td{font-family:"DejaVu Sans Mono",monospace;font-size:${l.table?.fontSize ?? 11}px}.legend .th{fill:#666}.legend .td.missing{fill:#888}
</style>`;
}

/** Arrowheads sized in stroke widths, so that they keep their size on screen where strokes do (a zoomed HTML page). */
function markers(): string {
  const head = (id: string, colour: string, size: number): string =>
    `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="strokeWidth" markerWidth="${size}" markerHeight="${size}" orient="auto"><path d="M0,1 L10,5 L0,9 z" fill="${colour}"/></marker>`;
  return `<defs>${head('succ-head', COLOURS.successor, 5)}${head('pred-head', COLOURS.predecessor, 6)}${head('off-head', COLOURS.off, 5)}</defs>`;
}

function title(walk: RingWalk, l: RingLayout, at: Date): string {
  const answered = walk.peers.length;
  const listed = l.peers.length - answered;
  const r = walk.peers[0].replicas;
  const when = at.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const lines = [
    `<text class="h1" x="${l.title.x}" y="${l.title.y}">Chord ring: ${answered} peer${answered === 1 ? '' : 's'}${listed > 0 ? ` (and ${listed} more they list)` : ''}, ${l.bits}-bit IDs, r = ${r}</text>`,
    `<text class="sub" x="${l.title.x}" y="${l.title.y + 20}">walked from ${esc(walk.peers[0].self.addr)} on ${when}, ${walk.closed ? 'back to the start' : 'NOT back to the start'}</text>`,
  ];
  if (walk.unreachable.length > 0) {
    const shown = walk.unreachable.slice(0, 4).join(', ');
    const more = walk.unreachable.length > 4 ? ` and ${walk.unreachable.length - 4} more` : '';
    lines.push(`<text class="warn" x="${l.title.x}" y="${l.title.y + 37}">listed but not answering: ${esc(shown + more)}</text>`);
  }
  return `<g class="title">${lines.join('')}</g>`;
}

function linkSvg(k: Link): string {
  const cls = `link ${k.kind}${k.adjacent || k.kind === 'finger' ? '' : ' off'}`;
  const head = k.kind === 'finger' ? '' : ` marker-end="url(#${k.adjacent ? (k.kind === 'successor' ? 'succ' : 'pred') : 'off'}-head)"`;
  return `<path class="${cls}" data-from="${k.from}" data-to="${k.to}" d="${pathData(k.path)}"${head}/>`;
}

function pathData(p: Path): string {
  if (p.t === 'curve') return `M${xy(p.from)} Q${xy(p.via)} ${xy(p.to)}`;
  return `M${xy(p.from)} A${f(p.r)},${f(p.r)} 0 ${p.large ? 1 : 0} ${p.clockwise ? 1 : 0} ${xy(p.to)}`;
}

function peerSvg(l: RingLayout, p: PeerMark, k: number): string {
  const s = p.state;
  const cls = s === null ? 'missing' : s.phase === 'member' ? 'member' : 'other';
  const halo = s !== null && s.pred === null ? `<circle class="no-pred" cx="${f(p.at.x)}" cy="${f(p.at.y)}" r="${l.dot + 3.5}"/>` : '';
  return `<g class="peer ${cls}" data-peer="${k}"><title>${esc(tooltip(l, p))}</title>${halo}<circle class="dot" cx="${f(p.at.x)}" cy="${f(p.at.y)}" r="${l.dot}"/></g>`;
}

/** A peer's state in a few lines, as a browser shows an SVG title on hover. */
function tooltip(l: RingLayout, p: PeerMark): string {
  const named = (q: PeerInfo): string => nameOf(l, q);
  const lines = [`peer ${p.info.id}`];
  if (l.naming.kind === 'hex') lines.push(`hex ${p.hex}`);
  const s = p.state;
  if (s === null) {
    lines.push(`${p.info.addr}: ${p.missing === 'not-answering' ? 'listed, did not answer' : 'listed, not reached by the walk'}`);
    return lines.join('\n');
  }
  lines.push(
    `${p.info.addr}, ${s.phase}`,
    `successors ${s.succs.map(named).join(', ') || 'none'}`,
    `predecessor ${s.pred === null ? 'none' : named(s.pred)}`,
    `fingers ${s.fingers.map(named).join(', ') || 'none'}`,
    `${s.records} record(s)`,
  );
  return lines.join('\n');
}

function labelSvg(p: PeerMark, k: number): string {
  const a = p.label;
  if (a === null) return '';
  const count = a.records === null ? '' : `<tspan class="count" dx="${COUNT_GAP * CHAR}em">${a.records}</tspan>`;
  return `<text class="label${p.state === null ? ' missing' : ''}" data-peer="${k}" x="${f(a.at.x)}" y="${f(a.at.y)}" text-anchor="${a.anchor}" transform="rotate(${f(a.rotate)} ${f(a.at.x)} ${f(a.at.y)})">${esc(a.name)}${count}</text>`;
}

/** The legend, and under it the table of small rings; the SVG and its height. */
function sidePanel(l: RingLayout, links: readonly Link[]): { svg: string; height: number } {
  const { out, height } = legend(l, links);
  const done = (bottom: number) => ({ svg: `<g class="legend" transform="translate(${l.legend.x} ${l.legend.y})">${out.join('')}</g>`, height: bottom });
  if (l.table === null) return done(height);
  const { fontSize, columns } = l.table;
  const row = fontSize + 5;
  let y = height + 18;
  out.push(`<text class="head" x="0" y="${y}">Each peer's state</text>`);
  y += 22;
  const line = (cells: readonly string[], cls: string): string =>
    `<text class="${cls}" y="${y}">${cells.map((c, i) => `<tspan x="${f(columns[i])}">${esc(c)}</tspan>`).join('')}</text>`;
  out.push(line(TABLE_HEADINGS, 'th'));
  for (const p of l.peers) {
    const cells = tableRow(l, p);
    y += row;
    out.push(line(cells ?? [p.name, p.missing === 'not-answering' ? 'did not answer' : 'not reached', '', ''], cells === null ? 'td missing' : 'td'));
  }
  return done(y + row);
}

/** The legend: one row per kind of mark the picture holds, then how to read positions and labels. */
function legend(l: RingLayout, links: readonly Link[]): { out: string[]; height: number } {
  const c = COLOURS;
  const rows: { mark: string; text: string[] }[] = [];
  // Drawn with the peers' own classes, so that they look the same.
  const dot = (kind: 'member' | 'other' | 'missing', halo = ''): string => `<g class="key ${kind}">${halo}<circle class="dot" cx="20" cy="0" r="${l.dot}"/></g>`;
  const line = (colour: string, w: number, dash: string, marker: string): string =>
    `<line x1="4" y1="0" x2="34" y2="0" stroke="${colour}" stroke-width="${w}"${dash ? ` stroke-dasharray="${dash}"` : ''}${marker ? ` marker-end="url(#${marker})"` : ''}/>`;
  rows.push({ mark: dot('member'), text: ['peer, at the angle of its ID'] });
  const phases = [...new Set(l.peers.flatMap((p) => (p.state !== null && p.state.phase !== 'member' ? [p.state.phase] : [])))];
  if (phases.length > 0) rows.push({ mark: dot('other'), text: [`peer that is ${phases.join(' or ')}, not a member`] });
  if (l.peers.some((p) => p.missing === 'not-answering')) rows.push({ mark: dot('missing'), text: ['listed by a peer, did not answer'] });
  if (l.peers.some((p) => p.missing === 'not-walked')) rows.push({ mark: dot('missing'), text: ['listed by a peer, not reached by', 'the walk along successors'] });
  if (l.peers.some((p) => p.state !== null && p.state.pred === null)) rows.push({ mark: dot('member', `<circle class="no-pred" cx="20" cy="0" r="${l.dot + 3.5}"/>`), text: ['peer without a predecessor'] });
  rows.push({ mark: line(c.successor, 1.6, '', 'succ-head'), text: ['successor: clockwise, on the ring'] });
  rows.push({ mark: line(c.predecessor, 1, '3 2', 'pred-head'), text: ['predecessor: anticlockwise, outside'] });
  if (links.some((k) => k.kind !== 'finger' && !k.adjacent)) rows.push({ mark: line(c.off, 1.6, '', 'off-head'), text: ['successor or predecessor that', 'skips a peer that answered'] });
  if (links.some((k) => k.kind === 'finger')) rows.push({ mark: line(c.finger, 1, '', ''), text: ['finger (other than the successor)'] });
  rows.push({ mark: `<line x1="6" y1="0" x2="32" y2="0" stroke="${c.bar}" stroke-width="3"/>`, text: [`records held: bar inwards (longest ${l.maxRecords})`] });
  const naming = l.naming.kind === 'decimal' ? 'the peer ID (decimal)' : `the ID's first ${l.naming.digits} of ${l.naming.of} hex digits`;
  rows.push({ mark: `<text x="4" y="0" font-family="DejaVu Sans Mono,monospace" font-size="11">${l.naming.kind === 'decimal' ? '19' : 'a3f0'}<tspan fill="#2e7d57" dx="${COUNT_GAP * CHAR}em" font-size="${COUNT_SIZE * 100}%">3</tspan></text>`, text: [`label: ${naming}`, 'then (green) the records it holds'] });
  const notes = ['0 at the top; IDs grow clockwise.', 'Hover a peer for its state.'];
  if (l.labelled < l.peers.length) notes.unshift(`Labels on ${l.labelled} of ${l.peers.length} peers (no room for all).`);
  let y = 12;
  const out = [`<text class="head" x="0" y="${y}">Legend</text>`];
  y += 26;
  for (const row of rows) {
    out.push(`<g transform="translate(0 ${y})">${row.mark}${row.text.map((t, i) => `<text x="46" y="${i * 15}">${esc(t)}</text>`).join('')}</g>`);
    y += 15 * row.text.length + 9;
  }
  y += 6;
  for (const note of notes) {
    out.push(`<text x="0" y="${y}">${esc(note)}</text>`);
    y += 16;
  }
  return { out, height: y };
}

function xy(p: XY): string {
  return `${f(p.x)},${f(p.y)}`;
}

function f(n: number): string {
  return n.toFixed(1);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
