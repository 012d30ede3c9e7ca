/**
 * A peer's records, ordered by ring position (then name, for keys that share a position), as a
 * persistent B+ tree (sorted-btree): a put or a get costs O(log n), the records of a range
 * O(log n + k), and a changed set shares every untouched node with the one it came from, so a
 * step that stores one record no longer copies all of them.
 *
 * A `Records` value never changes. The tree inside it is only ever cloned, and a clone marks
 * its nodes shared, which is the one write a tree takes after it is built; that write is made
 * at construction here, so that a value held in a (frozen) state is never written again.
 */
import BTree from 'sorted-btree';
import diffAgainst from 'sorted-btree/extended/diffAgainst';
import { cmp, inOpenClosed, type Point } from './id';
import type { Key, Rec } from './types';

/** A key, or (name null) a point just after every key at that position: a range's edge. */
type Slot = Point & { readonly name: string | null };

function order(a: Slot, b: Slot): number {
  const c = cmp(a, b);
  if (c !== 0) return c;
  if (a.name === null) return b.name === null ? 0 : 1;
  if (b.name === null) return -1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

const after = (p: Point): Slot => ({ id: p.id, k: p.k, name: null });

export class Records {
  static readonly empty = new Records(new BTree<Slot, Rec>(undefined, order));

  private constructor(private readonly tree: BTree<Slot, Rec>) {
    tree.clone();
  }

  get size(): number {
    return this.tree.size;
  }

  get(key: Key): Rec | undefined {
    return this.tree.get(key);
  }

  /**
   * The set with each of `incoming` stored where `wins(rec, have)` holds against the record it
   * would replace (always where there is none); `changed` counts those stored.
   */
  merge(incoming: readonly Rec[], wins: (rec: Rec, have: Rec) => boolean): { readonly records: Records; readonly changed: number } {
    let tree: BTree<Slot, Rec> | null = null;
    let changed = 0;
    for (const rec of incoming) {
      const have = (tree ?? this.tree).get(rec.key);
      if (have !== undefined && !wins(rec, have)) continue;
      tree ??= this.tree.clone();
      tree.set(rec.key, rec);
      changed++;
    }
    return { records: tree === null ? this : new Records(tree), changed };
  }

  /**
   * The records of this set that `older` lacks or holds another version of: what a step changed,
   * for a driver that keeps the records on disk. Subtrees the two share are skipped, so it costs
   * what changed, not the size of the set. Records are never removed, so nothing else differs.
   */
  changedSince(older: Records): Rec[] {
    const out: Rec[] = [];
    if (older === this) return out;
    const take = (_k: Slot, rec: Rec): void => void out.push(rec);
    diffAgainst(this.tree, older.tree, take, undefined, take);
    return out;
  }

  /** Every record, by ring position. */
  values(): IterableIterator<Rec> {
    return this.tree.values();
  }

  /** The records with keys in (a, b] clockwise, in ring order from a; (a, a] is the whole ring. */
  between(a: Point, b: Point): Rec[] {
    const out: Rec[] = [];
    const take = (_k: Slot, rec: Rec): void => {
      out.push(rec);
    };
    const max = this.tree.maxKey();
    if (max === undefined) return out;
    if (cmp(a, b) < 0) {
      this.tree.forRange(after(a), after(b), false, take);
      return out;
    }
    this.tree.forRange(after(a), max, true, take);
    const min = this.tree.minKey() as Slot;
    if (order(min, after(b)) < 0) this.tree.forRange(min, after(b), false, take);
    return out;
  }

  /**
   * The first record clockwise after the one under `cursor` (from the lowest when null) whose key
   * is not in the range (skip[0], skip[1]]; wraps around. Undefined when every record is in that range.
   * A run of skipped records is jumped over, not walked: O(log n).
   */
  nextOutside(cursor: Key | null, skip: readonly [Point, Point] | null): Rec | undefined {
    const next = this.wrapping(cursor === null ? undefined : this.tree.nextHigherPair(cursor));
    if (next === undefined || skip === null || !inOpenClosed(next.key, skip[0], skip[1])) return next;
    const jumped = this.wrapping(this.tree.getPairOrNextHigher(after(skip[1])));
    return jumped === undefined || inOpenClosed(jumped.key, skip[0], skip[1]) ? undefined : jumped;
  }

  /** The record of `pair`, or past the highest key the lowest one. */
  private wrapping(pair: [Slot, Rec] | undefined): Rec | undefined {
    return pair !== undefined ? pair[1] : this.tree.nextHigherPair(undefined)?.[1];
  }
}
