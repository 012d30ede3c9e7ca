/**
 * What a peer refuses to take in, whoever sends it: versions it could not go on from, and more
 * records, entries or keys in one message than any honest batch carries (storage.ts sends at
 * most BATCH_ENTRIES). A primary increments a key's version one write at a time, so no honest
 * version comes near MAX_VERSION (2^48: nine thousand years of a million writes a second to one
 * key); one above it, taken in, would leave its key unwritable (the next version would not
 * encode) and so unreadable too, ring-wide once replicated.
 */
import { BATCH_ENTRIES } from './storage';
import type { Msg } from './types';

export const MAX_VERSION = 2 ** 48;
export const MAX_ITEMS = 4 * BATCH_ENTRIES;

/** Why `msg` is refused, or null when it is taken in. */
export function refusal(msg: Msg): string | null {
  switch (msg.t) {
    case 'replicate':
    case 'handoff':
    case 'leave':
      return tooMany(msg.records.length, 'records') ?? tooNew(msg.records);
    case 'digest':
      return tooMany(msg.entries.length, 'entries') ?? tooNew(msg.entries);
    case 'want':
      return tooMany(msg.keys.length, 'keys');
    case 'fetched':
      return msg.rec === null ? null : tooNew([msg.rec]);
    case 'stored':
      return tooNew([msg]);
    default:
      return null;
  }
}

function tooMany(n: number, what: string): string | null {
  return n > MAX_ITEMS ? `${n} ${what} in one message, more than ${MAX_ITEMS}` : null;
}

function tooNew(items: readonly { readonly version: number }[]): string | null {
  for (const item of items) if (item.version > MAX_VERSION) return `version ${item.version} is past ${MAX_VERSION}`;
  return null;
}
