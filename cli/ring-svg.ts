/**
 * The ring as a picture, like the seed's Dht.svg: the peers on a circle in ID order, an arrow
 * to each one's first successor (solid) and one to its second (dashed).
 */
import type { RingWalk } from '../runtime-node/client';

const SIZE = 600;
const CENTER = SIZE / 2;
const RADIUS = 230;
const NODE = 18;

export function ringSvg(w: RingWalk): string {
  // Evenly spaced in ID order, clockwise from the top, as in the seed's picture: true positions
  // would pile small rings such as the seed's (IDs 2 to 19 of 256) into one corner.
  const order = [...w.peers].sort((a, b) => (BigInt(a.self.id) < BigInt(b.self.id) ? -1 : 1));
  const where = new Map<string, { x: number; y: number }>();
  order.forEach((p, i) => {
    const angle = (i / order.length) * 2 * Math.PI - Math.PI / 2;
    where.set(p.self.addr, { x: CENTER + RADIUS * Math.cos(angle), y: CENTER + RADIUS * Math.sin(angle) });
  });
  const arrows: string[] = [];
  for (const p of w.peers) {
    const from = where.get(p.self.addr);
    p.succs.slice(0, 2).forEach((s, i) => {
      const to = where.get(s.addr);
      if (from && to && s.addr !== p.self.addr) arrows.push(arrow(from, to, i === 0 ? '' : ' stroke-dasharray="6 4" opacity="0.6"'));
    });
  }
  const nodes = w.peers.map((p) => {
    const at = where.get(p.self.addr) as { x: number; y: number };
    return `<circle cx="${f(at.x)}" cy="${f(at.y)}" r="${NODE}" fill="#fff" stroke="#222" stroke-width="2"/>`
      + `<text x="${f(at.x)}" y="${f(at.y)}" text-anchor="middle" dominant-baseline="central" font-family="sans-serif" font-size="14">${escape(p.self.id)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 ${SIZE} ${SIZE}">`,
    '<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
    `<circle cx="${CENTER}" cy="${CENTER}" r="${RADIUS}" fill="none" stroke="#ddd" stroke-width="1"/>`,
    ...arrows,
    ...nodes,
    '</svg>',
    '',
  ].join('\n');
}

function arrow(a: { x: number; y: number }, b: { x: number; y: number }, style: string): string {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy) || 1;
  // Start and end on the node circles, bending outwards so that opposite arrows do not overlap.
  const ux = dx / len;
  const uy = dy / len;
  const sx = a.x + ux * NODE;
  const sy = a.y + uy * NODE;
  const ex = b.x - ux * NODE;
  const ey = b.y - uy * NODE;
  const mx = (sx + ex) / 2 - uy * len * 0.15;
  const my = (sy + ey) / 2 + ux * len * 0.15;
  return `<path d="M${f(sx)},${f(sy)} Q${f(mx)},${f(my)} ${f(ex)},${f(ey)}" fill="none" stroke="#444" stroke-width="1.5" marker-end="url(#head)"${style}/>`;
}

function f(n: number): string {
  return n.toFixed(1);
}

function escape(s: string): string {
  return s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
