/**
 * The ring as one self-contained HTML page (`chord ring --html`): the SVG of svg.ts, a panel
 * with the state of the peer under the mouse (click to keep it; Escape lets go), that peer's
 * links highlighted and its successors, predecessor and fingers marked, a switch for every
 * finger, and the list of all peers. Nothing is fetched: the data is in the page as JSON and
 * the script is inline; what the peers said goes in as text, never as markup.
 */
import type { RingWalk } from '../../runtime-node/client';
import type { PeerInfo } from '../../runtime-node/client-protocol';
import { layoutRing, type RingLayout } from './layout';
import { svgOf, type PictureOptions } from './svg';

/** What the page's script knows of each peer; other peers by their index in `peers`. */
interface PagePeer {
  readonly id: string;
  readonly hex: string | null;
  readonly name: string;
  readonly addr: string;
  readonly phase: string | null;
  readonly missing: string | null;
  readonly records: number | null;
  readonly succs: readonly number[];
  readonly pred: number | null;
  readonly fingers: readonly number[];
}

export function ringHtml(walk: RingWalk, o: PictureOptions): string {
  const l = layoutRing(walk);
  const svg = svgOf(walk, l, { at: o.at, fingers: o.fingers ? 'shown' : 'hidden' });
  const heading = `Chord ring: ${walk.peers.length} peer(s), ${l.bits}-bit IDs`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(heading)}</title>
<style>
body{font-family:system-ui,"DejaVu Sans",sans-serif;margin:12px;color:#222}
.wrap{display:flex;gap:16px;align-items:flex-start}
#picture{flex:1 1 auto;min-width:0}
#picture svg{width:100%;height:auto;max-height:calc(100vh - 24px)}
aside{flex:0 0 340px;position:sticky;top:12px;font-size:13px}
#details{background:#fffbe6;border:1px solid #d9c46a;padding:8px 10px;min-height:15em}
#details dl{margin:0;display:grid;grid-template-columns:auto 1fr;gap:2px 10px}
#details dt{color:#666}#details dd{margin:0;font-family:"DejaVu Sans Mono",monospace;word-break:break-all}
#details .id{font-family:"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all;margin:0 0 6px}
#details button{font:inherit;font-family:"DejaVu Sans Mono",monospace;border:0;background:none;color:#1f5f99;padding:0 4px 0 0;cursor:pointer;text-decoration:underline}
#peers{max-height:40vh;overflow:auto;margin:6px 0 0;padding-left:2.6em;font-family:"DejaVu Sans Mono",monospace;font-size:12px}
#peers li{cursor:pointer}#peers li.hl{background:#fde9a8}
h2{font-size:14px;margin:12px 0 0}.hint{color:#666;font-size:12px;margin:6px 0}
svg.focus .link:not(.hl),svg.focus .leaders,svg.focus .bars line:not(.hl){opacity:.12}
svg .link.hl{stroke-width:2.2;opacity:1}
svg .peer.hl .dot{stroke:#222;stroke-width:2}svg .peer.rel .dot{stroke:#e06c00;stroke-width:2}
#picture svg{touch-action:none;cursor:grab}
#picture svg .dot{r:calc(${l.dot}px / var(--zoom, 1))}#picture svg .no-pred{r:calc(${l.dot + 3.5}px / var(--zoom, 1))}
#picture svg .label{font-size:calc(${l.fontSize}px / var(--zoom, 1))}#picture svg .ticks text{font-size:calc(10px / var(--zoom, 1))}
#picture svg .link,#picture svg .leaders polyline,#picture svg .ring,#picture svg .bars line,#picture svg .ticks line,#picture svg .dot,#picture svg .no-pred{vector-effect:non-scaling-stroke}
svg .label.hl{font-weight:bold}svg .label.rel{fill:#e06c00}svg .peer,svg .label{cursor:pointer}
</style></head><body>
<div class="wrap">
<div id="picture">
${svg}</div>
<aside>
<label><input type="checkbox" id="show-fingers"${o.fingers ? ' checked' : ''}> every peer's fingers</label>
<p class="hint">Wheel to zoom (peers and labels keep their size, so crowds come apart), drag to move, double-click for the whole ring.</p>
<h2>Peer</h2>
<div id="details">Hover over a peer (or its label) for its state; click to keep it.</div>
<h2>All ${l.peers.length} peers, by ID</h2>
<ol id="peers">${l.peers.map((p, k) => `<li data-peer="${k}">${esc(p.name)}${p.state === null ? ' (no answer)' : ` · ${p.state.records}`}</li>`).join('')}</ol>
</aside>
</div>
<script type="application/json" id="ring-data">${scriptJson({ peers: pagePeers(l) })}</script>
<script>
${SCRIPT}
</script>
</body></html>
`;
}

function pagePeers(l: RingLayout): PagePeer[] {
  const at = (q: PeerInfo): number => l.index.get(q.addr) as number;
  return l.peers.map((p) => ({
    id: p.info.id, hex: l.naming.kind === 'hex' ? p.hex : null, name: p.name, addr: p.info.addr,
    phase: p.state?.phase ?? null, missing: p.missing, records: p.state?.records ?? null,
    succs: p.state?.succs.map(at) ?? [], pred: p.state?.pred ? at(p.state.pred) : null, fingers: p.state?.fingers.map(at) ?? [],
  }));
}

/** JSON that cannot end its script element, whatever the peers named themselves. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The page's behaviour; plain DOM, text set with textContent only. */
const SCRIPT = String.raw`
const peers = JSON.parse(document.getElementById('ring-data').textContent).peers;
const svg = document.querySelector('#picture svg');
const details = document.getElementById('details');
const list = document.getElementById('peers');
let pinned = null;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function refs(ks) {
  const dd = el('dd');
  if (ks.length === 0) dd.textContent = 'none';
  for (const k of ks) {
    const b = el('button', peers[k].name);
    b.title = 'peer ' + peers[k].id;
    b.addEventListener('click', (e) => { e.stopPropagation(); pin(k); });
    dd.append(b);
  }
  return dd;
}

function render(k) {
  details.replaceChildren();
  if (k === null) {
    details.textContent = 'Hover over a peer (or its label) for its state; click to keep it.';
    return;
  }
  const p = peers[k];
  details.append(el('p', 'peer ' + p.id, 'id'));
  const dl = el('dl');
  const row = (name, dd) => { dl.append(el('dt', name), typeof dd === 'string' ? el('dd', dd) : dd); };
  if (p.hex !== null) row('hex', p.hex);
  row('address', p.addr);
  if (p.missing !== null) {
    row('state', p.missing === 'not-answering' ? 'listed by a peer, did not answer' : 'listed by a peer, not reached by the walk');
  } else {
    row('phase', p.phase);
    row('records', String(p.records));
    row('successors', refs(p.succs));
    row('predecessor', refs(p.pred === null ? [] : [p.pred]));
    row('fingers', refs(p.fingers));
  }
  details.append(dl);
  if (pinned === k) details.append(el('p', 'kept (click it again, or Escape, to let go)'));
}

function mark(k) {
  for (const e of document.querySelectorAll('.hl, .rel')) e.classList.remove('hl', 'rel');
  svg.classList.toggle('focus', k !== null);
  if (k === null) return;
  const p = peers[k];
  for (const e of document.querySelectorAll('[data-peer="' + k + '"], .link[data-from="' + k + '"]')) e.classList.add('hl');
  for (const j of [...p.succs, ...p.fingers, ...(p.pred === null ? [] : [p.pred])]) {
    if (j !== k) for (const e of svg.querySelectorAll('.peer[data-peer="' + j + '"], .label[data-peer="' + j + '"]')) e.classList.add('rel');
  }
}

function show(k) {
  mark(k);
  render(k);
}

function pin(k) {
  pinned = pinned === k ? null : k;
  show(k);
}

function peerOf(target) {
  const e = target.closest('[data-peer]');
  return e === null ? null : Number(e.getAttribute('data-peer'));
}

for (const area of [svg, list]) {
  area.addEventListener('mouseover', (e) => {
    const k = peerOf(e.target);
    if (k !== null && pinned === null) show(k);
  });
  area.addEventListener('mouseleave', () => { if (pinned === null) show(null); });
  area.addEventListener('click', (e) => {
    const k = peerOf(e.target);
    if (k !== null) pin(k);
  });
}
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') { pinned = null; show(null); }
});
document.getElementById('show-fingers').addEventListener('change', (e) => svg.classList.toggle('show-fingers', e.target.checked));

// Zoom about the pointer; dots, labels and lines keep their size on screen (the style divides
// them by --zoom), so peers that crowd at the ring's scale come apart.
const full = { x: svg.viewBox.baseVal.x, y: svg.viewBox.baseVal.y, w: svg.viewBox.baseVal.width, h: svg.viewBox.baseVal.height };
let view = full;
function setView(v) {
  view = v;
  svg.setAttribute('viewBox', v.x + ' ' + v.y + ' ' + v.w + ' ' + v.h);
  svg.style.setProperty('--zoom', String(full.w / v.w));
}
svg.addEventListener('wheel', (e) => {
  e.preventDefault();
  const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(svg.getScreenCTM().inverse());
  const w = Math.min(full.w, Math.max(full.w / 40, view.w * Math.exp(e.deltaY / 400)));
  const k = w / view.w;
  setView({ x: p.x - (p.x - view.x) * k, y: p.y - (p.y - view.y) * k, w, h: view.h * k });
}, { passive: false });
let drag = null;
svg.addEventListener('pointerdown', (e) => {
  if (peerOf(e.target) !== null) return;
  drag = { x: e.clientX, y: e.clientY, from: view, scale: view.w / svg.getBoundingClientRect().width };
  svg.setPointerCapture(e.pointerId);
});
svg.addEventListener('pointermove', (e) => {
  if (drag !== null) setView({ ...drag.from, x: drag.from.x - (e.clientX - drag.x) * drag.scale, y: drag.from.y - (e.clientY - drag.y) * drag.scale });
});
svg.addEventListener('pointerup', () => { drag = null; });
svg.addEventListener('dblclick', () => setView(full));
`;
