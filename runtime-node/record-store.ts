/**
 * A peer's records on disk (`--data-dir`): an LMDB environment holding every record the core's
 * state holds, written before the step that changed them has any effect (peer-driver.ts), so that
 * nothing this peer acknowledges, as a primary or as a replica, is only in memory.
 *
 * Durable means flushed: each write is one LMDB transaction committed with fsync (LMDB's own
 * copy-on-write commit, overlapping sync off), so when `persist` returns the records are on the
 * disk, and a crash at any moment leaves either the transaction before or the one after, never
 * part of a value. The directory belongs to one peer: its ID and width are written at the first
 * start and checked at every later one.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import { decimalOf, isCanonicalHex, pointOfHex } from '../core/id';
import { Records } from '../core/records';
import type { Point } from '../core/id';
import type { Rec } from '../core/types';

/** What is kept per record: its key's name and position, and the record itself. */
interface Stored {
  readonly name: string;
  readonly id: string;
  readonly version: number;
  readonly writer: string;
  readonly value: Uint8Array;
}

interface Owner {
  readonly bits: number;
  readonly id: string;
}

const OWNER = Buffer.from([0]);

/** A record's key in the database: its name hashed, so that any name fits LMDB's key limit. */
function keyOf(name: string): Buffer {
  return Buffer.concat([Buffer.from([1]), createHash('sha256').update(name, 'utf8').digest()]);
}

export class RecordStore {
  private constructor(
    private readonly dir: string,
    private readonly root: RootDatabase<Stored | Owner, Buffer>,
  ) {}

  /**
   * Opens (creating it if need be) the store in `dir` for the peer `self` of a `bits`-bit ring.
   * Throws with a message naming the directory when it cannot be opened or belongs to another peer.
   */
  static open(dir: string, self: Point, bits: number): RecordStore {
    let root: RootDatabase<Stored | Owner, Buffer>;
    try {
      mkdirSync(dir, { recursive: true });
      root = open<Stored | Owner, Buffer>({ path: dir, keyEncoding: 'binary', compression: false, overlappingSync: false, noSync: false });
    } catch (err) {
      throw new Error(`cannot open the data directory ${dir}: ${(err as Error).message}`);
    }
    const store = new RecordStore(dir, root);
    const owner = root.get(OWNER) as Owner | undefined;
    if (owner === undefined) {
      root.transactionSync(() => root.putSync(OWNER, { bits, id: self.id }));
    } else if (owner.bits !== bits || owner.id !== self.id) {
      root.close();
      throw new Error(`the data directory ${dir} holds the records of peer ${decimalOf(pointOfHex(owner.id))} of a ${owner.bits}-bit ring, not of this peer (${decimalOf(self)}, ${bits} bits)`);
    }
    return store;
  }

  /** Every record kept, as the core's set; throws naming the directory on an entry that is not a record. */
  load(bits: number): Records {
    const recs: Rec[] = [];
    for (const { key, value } of this.root.getRange({ start: Buffer.from([1]) })) {
      const s = value as Stored;
      if (!isStored(s, bits)) throw new Error(`the data directory ${this.dir} holds an entry that is not a record (key ${key.toString('hex')})`);
      const p = pointOfHex(s.id);
      recs.push({ key: { id: p.id, k: p.k, name: s.name }, value: s.value, version: s.version, writer: s.writer });
    }
    return Records.empty.merge(recs, () => true).records;
  }

  /** Writes `recs` (new or newer versions) in one transaction, flushed to disk before it returns. */
  persist(recs: readonly Rec[]): void {
    if (recs.length === 0) return;
    const db: Database<Stored | Owner, Buffer> = this.root;
    db.transactionSync(() => {
      for (const r of recs) db.put(keyOf(r.key.name), { name: r.key.name, id: r.key.id, version: r.version, writer: r.writer, value: r.value });
    });
  }

  close(): Promise<void> {
    return this.root.close();
  }
}

function isStored(s: unknown, bits: number): s is Stored {
  if (typeof s !== 'object' || s === null) return false;
  const r = s as Record<string, unknown>;
  return typeof r.name === 'string' && typeof r.id === 'string' && isCanonicalHex(r.id, bits) && Number.isSafeInteger(r.version) && typeof r.writer === 'string' && r.value instanceof Uint8Array;
}
