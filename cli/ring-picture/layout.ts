/**
 * Where everything of a ring picture goes, as numbers (svg.ts writes them out): each peer at its
 * true ring position (its ID over 2^bits of a full turn, clockwise from the top), its label
 * outside the ring and radial, pushed apart where peers crowd, links along the ring between
 * neighbours and across it for anything else. Peers that answered are drawn from their state;
 * peers they list that did not answer (or that the walk never reached) are drawn too, hollow,
 * since their IDs say where they are.
 */
import { checkBits } from '../../core/id';
import type { RingWalk } from '../../runtime-node/client';
import type { PeerInfo, PeerStateInfo } from '../../runtime-node/client-protocol';
import { hexOf, nameIds, positionName, type Naming } from './names';

export interface XY {
  readonly x: number;
  readonly y: number;
}

export interface Label {
  readonly name: string;
  /** Records held, written after the name; null for a peer without state. */
  readonly records: number | null;
  /** The label's end nearer the ring, its rotation (degrees) and which end of the text is there. */
  readonly at: XY;
  readonly rotate: number;
  readonly anchor: 'start' | 'end';
  /** From the peer's dot out to the label. */
  readonly leader: readonly XY[];
}

export interface PeerMark {
  readonly info: PeerInfo;
  readonly id: bigint;
  readonly hex: string;
  readonly name: string;
  /** Radians clockwise from the top. */
  readonly angle: number;
  readonly at: XY;
  /** What the peer answered; null for a peer only listed by others. */
  readonly state: PeerStateInfo | null;
  readonly missing: 'not-answering' | 'not-walked' | null;
  /** Null when there are too many peers to label them all (the rest are named on hover). */
  readonly label: Label | null;
  /** Its records as a bar inwards from the ring; null with none. */
  readonly bar: { readonly from: XY; readonly to: XY } | null;
}

export type LinkKind = 'successor' | 'predecessor' | 'finger';

export type Path =
  | { readonly t: 'arc'; readonly from: XY; readonly to: XY; readonly r: number; readonly large: boolean; readonly clockwise: boolean }
  | { readonly t: 'curve'; readonly from: XY; readonly via: XY; readonly to: XY };

export interface Link {
  readonly kind: LinkKind;
  /** Indices into RingLayout.peers. */
  readonly from: number;
  readonly to: number;
  /** No answering peer lies between the two on the link's way round: a right successor or predecessor. */
  readonly adjacent: boolean;
  readonly path: Path;
}

export interface Tick {
  readonly name: string;
  readonly inner: XY;
  readonly outer: XY;
  readonly text: XY;
}

export interface RingLayout {
  readonly bits: number;
  readonly width: number;
  readonly height: number;
  readonly centre: XY;
  readonly radius: number;
  readonly dot: number;
  readonly fontSize: number;
  readonly naming: Naming;
  /** In ring order (by ID). */
  readonly peers: readonly PeerMark[];
  /** Each peer's index in `peers`, by address. */
  readonly index: ReadonlyMap<string, number>;
  readonly links: readonly Link[];
  readonly ticks: readonly Tick[];
  readonly maxRecords: number;
  readonly labelled: number;
  /** Where the title's first baseline starts; the legend's top left corner and width. */
  readonly title: XY;
  readonly legend: XY;
  readonly legendWidth: number;
  /** A table of every answering peer's state under the legend, for small rings: its font and column offsets. */
  readonly table: { readonly fontSize: number; readonly columns: readonly number[] } | null;
}

const TURN = 2 * Math.PI;
const HEADER = 70;
const LEGEND_WIDTH = 300;
/** Rings of up to this many answering peers get a table of their state beside the picture. */
const TABLE_MAX_PEERS = 16;
const TABLE_FONT = 11;
export const TABLE_HEADINGS = ['peer', 'successors', 'predecessor', 'records'] as const;
const MARGIN = 16;
const DOT = 4;
/** Predecessor arcs run this far outside the ring, successor arcs on it. */
const PRED_OFFSET = 8;
/** The leader leaves a dot radially for this long before it bends towards its label. */
const KNEE = 15;
const LABEL_GAP = 28;
const BAR_INSET = 7;
const BAR_MAX = 26;
/** Label sizes tried, largest first, before labelling only some of the peers. */
const FONTS = [13, 12, 11, 10, 9, 8, 7];
/** A label's height with room between labels, and a monospace digit's width, in font sizes. */
const LINE = 1.3;
export const CHAR = 0.62;
/** The records after a label's name: the gap before them (in digits' widths) and their size (in the name's). */
export const COUNT_GAP = 0.5;
export const COUNT_SIZE = 0.85;
/** The share of the label circle that labels may take when sizing it: room to stay near their peers. */
const FILL = 0.6;
const MIN_LABEL_RADIUS = 250;
const MAX_LABEL_RADIUS = 420;
/** Where a link across the ring bends (its control point's radius, in ring radii): for neighbours, and half round. */
const BOW_NEAR = 0.85;
const BOW_HALF = 0.4;

export function layoutRing(walk: RingWalk): RingLayout {
  const bits = walk.peers[0].bits;
  const badBits = checkBits(bits);
  if (badBits !== undefined) throw new Error(`peer ${walk.peers[0].self.addr} answered with ${badBits}`);
  const listed = listedPeers(walk);
  const ids = listed.map(({ info }) => idOf(info, bits));
  const order = listed.map((_, i) => i).sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : listed[a].info.addr < listed[b].info.addr ? -1 : 1));
  const { names, naming } = nameIds(ids, bits);
  const angles = order.map((i) => turnOf(ids[i], bits) * TURN);
  const records = order.map((i) => listed[i].state?.records ?? null);
  const chars = order.map((i, k) => labelChars(names.get(ids[i]) as string, records[k]));
  const placed = placeLabels(angles);
  const widest = Math.max(...chars) * CHAR * placed.fontSize;
  const side = 2 * Math.ceil(placed.radius + widest + MARGIN);
  const radius = placed.radius - LABEL_GAP;
  const centre = { x: side / 2, y: HEADER + side / 2 };
  const polar = (r: number, a: number): XY => ({ x: centre.x + r * Math.sin(a), y: centre.y - r * Math.cos(a) });
  const maxRecords = Math.max(1, ...records.map((n) => n ?? 0));
  const unreachable = new Set(walk.unreachable);

  const peers = order.map((i, k): PeerMark => {
    const { info, state } = listed[i];
    const angle = angles[k];
    const spread = placed.angles[k];
    const n = records[k] ?? 0;
    return {
      info, id: ids[i], hex: hexOf(ids[i], bits), name: names.get(ids[i]) as string, angle, at: polar(radius, angle), state,
      missing: state !== null ? null : unreachable.has(info.addr) ? 'not-answering' : 'not-walked',
      label: spread === null ? null : {
        name: names.get(ids[i]) as string, records: records[k], at: polar(placed.radius, spread),
        // Radial, reading outwards on the right half and, turned half round, on the left half.
        rotate: degrees(spread) - (spread <= Math.PI ? 90 : 270), anchor: spread <= Math.PI ? 'start' : 'end',
        leader: [polar(radius + DOT + 1, angle), polar(radius + KNEE, angle), polar(placed.radius - 3, spread)],
      },
      bar: n === 0 ? null : { from: polar(radius - BAR_INSET, angle), to: polar(radius - BAR_INSET - Math.max(2, (BAR_MAX * n) / maxRecords), angle) },
    };
  });

  const index = new Map(peers.map((p, k) => [p.info.addr, k]));
  const answering = peers.map((p) => p.state !== null);
  /** Whether an answering peer lies strictly between peers a and b going clockwise from a. */
  const between = (a: number, b: number): boolean => {
    for (let k = (a + 1) % peers.length; k !== b; k = (k + 1) % peers.length) if (answering[k]) return true;
    return false;
  };
  // Bent towards the way the link goes round (or, past half a turn, the shorter way), so that
  // links half round the ring swirl past the centre instead of all crossing there.
  const across = (a: number, b: number, clockwise: boolean): Path => {
    const span = ((clockwise ? peers[b].angle - peers[a].angle : peers[a].angle - peers[b].angle) + TURN) % TURN;
    const way = (clockwise ? 1 : -1) * (span <= Math.PI ? span : span - TURN);
    const via = polar(radius * (BOW_NEAR - ((BOW_NEAR - BOW_HALF) * Math.abs(way)) / Math.PI), peers[a].angle + way / 2);
    return { t: 'curve', from: polar(radius - BAR_INSET, peers[a].angle), via, to: polar(radius - BAR_INSET, peers[b].angle) };
  };
  const along = (a: number, b: number, r: number, clockwise: boolean): Path => {
    const span = ((clockwise ? peers[b].angle - peers[a].angle : peers[a].angle - peers[b].angle) + TURN) % TURN;
    // Off the dots at both ends, unless they nearly touch.
    const trim = span * r > 4 * (DOT + 2) ? (DOT + 2) / r : 0;
    const dir = clockwise ? 1 : -1;
    return { t: 'arc', from: polar(r, peers[a].angle + dir * trim), to: polar(r, peers[b].angle - dir * trim), r, large: span - 2 * trim > Math.PI, clockwise };
  };
  const links: Link[] = [];
  peers.forEach((p, a) => {
    if (p.state === null) return;
    const link = (kind: LinkKind, to: PeerInfo): void => {
      const b = index.get(to.addr) as number;
      if (b === a) return;
      const clockwise = kind !== 'predecessor';
      const adjacent = kind !== 'finger' && !(clockwise ? between(a, b) : between(b, a));
      const path = adjacent ? along(a, b, kind === 'successor' ? radius : radius + PRED_OFFSET, clockwise) : across(a, b, clockwise);
      links.push({ kind, from: a, to: b, adjacent, path });
    };
    const succ = p.state.succs[0];
    if (succ !== undefined) link('successor', succ);
    if (p.state.pred !== null) link('predecessor', p.state.pred);
    // The first finger is the successor, already drawn; the rest as the peer lists them.
    for (const f of p.state.fingers) if (f.addr !== succ?.addr) link('finger', f);
  });

  const ticks = [0, 1, 2, 3].map((q): Tick => {
    const a = (q / 4) * TURN;
    return {
      name: positionName((BigInt(q) << BigInt(bits)) / 4n, bits, naming),
      inner: polar(radius - 3, a), outer: polar(radius + 3, a), text: polar(radius - BAR_INSET - BAR_MAX - 12, a),
    };
  });

  const table = walk.peers.length <= TABLE_MAX_PEERS ? tableColumns({ peers, index }) : null;
  const legendWidth = Math.ceil(Math.max(LEGEND_WIDTH, (table?.columns[table.columns.length - 1] ?? 0) + MARGIN));
  return {
    bits, width: side + legendWidth, height: HEADER + side, centre, radius, dot: DOT,
    fontSize: placed.fontSize, naming, peers, index, links, ticks, maxRecords, labelled: placed.angles.filter((a) => a !== null).length,
    title: { x: MARGIN, y: 26 }, legend: { x: side, y: HEADER }, legendWidth, table,
  };
}

/** A peer's row of the table: name, successors, predecessor, records. */
export function tableRow(l: Named, p: PeerMark): string[] | null {
  const s = p.state;
  if (s === null) return null;
  const named = (q: PeerInfo): string => nameOf(l, q);
  return [p.name, s.succs.map(named).join(',') || 'none', s.pred === null ? 'none' : named(s.pred), String(s.records)];
}

type Named = Pick<RingLayout, 'peers' | 'index'>;

/** How the picture names a peer another one lists. */
export function nameOf(l: Named, q: PeerInfo): string {
  const k = l.index.get(q.addr);
  return k === undefined ? q.id : l.peers[k].name;
}

/** Where the table's columns start (the last entry: where it ends), from its widest entries. */
function tableColumns(l: Named): { fontSize: number; columns: number[] } {
  const rows = l.peers.flatMap((p) => {
    const row = tableRow(l, p);
    return row === null ? [] : [row];
  });
  const columns = [0];
  TABLE_HEADINGS.forEach((h, c) => {
    const chars = Math.max(h.length, ...rows.map((r) => r[c].length));
    columns.push(columns[c] + chars * CHAR * TABLE_FONT + 12);
  });
  return { fontSize: TABLE_FONT, columns };
}

/** The peers that answered, in walk order, then those they list that did not, once each (by address). */
function listedPeers(walk: RingWalk): { info: PeerInfo; state: PeerStateInfo | null }[] {
  const byAddr = new Map<string, { info: PeerInfo; state: PeerStateInfo | null }>();
  for (const p of walk.peers) byAddr.set(p.self.addr, { info: p.self, state: p });
  for (const p of walk.peers) {
    for (const q of [...p.succs, ...(p.pred === null ? [] : [p.pred]), ...p.fingers]) {
      if (!byAddr.has(q.addr)) byAddr.set(q.addr, { info: q, state: null });
    }
  }
  return [...byAddr.values()];
}

function idOf(p: PeerInfo, bits: number): bigint {
  if (!/^\d{1,49}$/.test(p.id) || BigInt(p.id) >> BigInt(bits) !== 0n) {
    throw new Error(`peer ${p.addr} is named with ID ${JSON.stringify(p.id)}, not an integer below 2^${bits}`);
  }
  return BigInt(p.id);
}

/** The share of a full turn at which `id` sits, to double precision. */
export function turnOf(id: bigint, bits: number): number {
  const shift = 53 - bits;
  return (shift >= 0 ? Number(id << BigInt(shift)) : Number(id >> BigInt(-shift))) / 2 ** 53;
}

/** A label's length in digits' widths: the name, then (a small gap and smaller digits) the records held. */
function labelChars(name: string, records: number | null): number {
  return name.length + (records === null ? 0 : COUNT_GAP + COUNT_SIZE * String(records).length);
}

function degrees(a: number): number {
  return (a * 180) / Math.PI;
}

/**
 * The largest label size at which every label fits round its circle, the circle's radius for
 * it, and each label's angle; at the smallest size and still too many, the labels of peers
 * evenly chosen in ring order, as many as fit.
 */
function placeLabels(angles: readonly number[]): { fontSize: number; radius: number; angles: (number | null)[] } {
  const fit = (font: number): { radius: number; gap: number } => {
    const h = font * LINE;
    const radius = Math.min(MAX_LABEL_RADIUS, Math.max(MIN_LABEL_RADIUS, (angles.length * h) / (TURN * FILL)));
    // Two radial labels this far apart just clear each other at their inner ends.
    return { radius, gap: 2 * Math.atan(h / (2 * radius)) };
  };
  for (const font of FONTS) {
    const { radius, gap } = fit(font);
    const spread = spreadAngles(angles, gap);
    if (spread !== null) return { fontSize: font, radius, angles: spread };
  }
  const font = FONTS[FONTS.length - 1];
  const { radius, gap } = fit(font);
  for (let m = Math.floor(TURN / gap); m > 0; m = Math.floor(m * 0.9)) {
    const chosen = Array.from({ length: m }, (_, k) => Math.floor((k * angles.length) / m));
    const spread = spreadAngles(chosen.map((i) => angles[i]), gap);
    if (spread === null) continue;
    const out = new Array<number | null>(angles.length).fill(null);
    chosen.forEach((i, k) => (out[i] = spread[k]));
    return { fontSize: font, radius, angles: out };
  }
  return { fontSize: font, radius, angles: angles.map(() => null) };
}

/**
 * Angles as near `want` (ascending, within one turn) as least squares allows, consecutive ones at
 * least `gap` apart all round the circle; null when they cannot be. The circle is cut open where
 * the wishes leave their widest gap; along the chain, u[k+1] - u[k] >= gap means that
 * v[k] = u[k] - k gap never decreases, an isotonic regression, solved exactly by pooling
 * adjacent violators. Order is kept, so leaders never cross.
 */
export function spreadAngles(want: readonly number[], gap: number): number[] | null {
  const n = want.length;
  if (n * gap > TURN) return null;
  if (n <= 1) return [...want];
  const start = afterWidestGap(want);
  const chain = want.map((_, k) => {
    const i = (start + k) % n;
    return want[i] + (i < start ? TURN : 0) - k * gap;
  });
  const sums: number[] = [];
  const counts: number[] = [];
  for (const v of chain) {
    let sum = v;
    let count = 1;
    while (sums.length > 0 && sums[sums.length - 1] * count > sum * counts[counts.length - 1]) {
      sum += sums.pop() as number;
      count += counts.pop() as number;
    }
    sums.push(sum);
    counts.push(count);
  }
  const spread: number[] = [];
  sums.forEach((sum, b) => {
    for (let j = 0; j < counts[b]; j++) spread.push(sum / counts[b] + spread.length * gap);
  });
  if (spread[n - 1] - spread[0] > TURN - gap) return null;
  const out = new Array<number>(n);
  spread.forEach((a, k) => (out[(start + k) % n] = ((a % TURN) + TURN) % TURN));
  return out;
}

/** Index of the first angle after the widest gap between consecutive ones (round the circle). */
function afterWidestGap(want: readonly number[]): number {
  let start = 0;
  let widest = -1;
  want.forEach((a, i) => {
    const next = i + 1 < want.length ? want[i + 1] : want[0] + TURN;
    if (next - a > widest) {
      widest = next - a;
      start = (i + 1) % want.length;
    }
  });
  return start;
}
