/**
 * fast-check arbitraries for the message vocabulary. Identifiers are canonical for `bits`, so
 * anything generated here is a message a correct peer could send.
 */
import fc from 'fast-check';
import { pointOfBigInt, type Point } from '../core/id';
import type { DigestEntry, FetchStatus, Key, Msg, MsgType, Peer, Rec, StoreStatus } from '../core/types';

const SMALL_LIST = { maxLength: 5 };

/** fc.record makes null-prototype objects by default; peers build plain ones. */
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

export function pointArb(bits: number): fc.Arbitrary<Point> {
  return fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }).map((v) => pointOfBigInt(v, bits));
}

/** ASCII most of the time, like real addresses and names, with any code point sometimes. */
export const textArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
);

/** rids, nonces and versions: small as usual, or anywhere up to 2^53 - 1 after a long run. */
export const counterArb: fc.Arbitrary<number> = fc.oneof(fc.nat(1000), fc.maxSafeNat());

export const valueArb: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 64 });

export function peerArb(bits: number): fc.Arbitrary<Peer> {
  return fc.tuple(pointArb(bits), textArb).map(([p, addr]) => ({ ...p, addr }));
}

export function keyArb(bits: number): fc.Arbitrary<Key> {
  return fc.tuple(pointArb(bits), textArb).map(([p, name]) => ({ ...p, name }));
}

export function recArb(bits: number): fc.Arbitrary<Rec> {
  return record({ key: keyArb(bits), value: valueArb, version: counterArb, writer: textArb });
}

export function digestEntryArb(bits: number): fc.Arbitrary<DigestEntry> {
  return record({ key: keyArb(bits), version: counterArb, writer: textArb });
}

/** A Record so that the compiler demands every member. */
function allOf<T extends string>(members: Record<T, true>): fc.Arbitrary<T> {
  return fc.constantFrom(...(Object.keys(members) as T[]));
}

const storeStatusArb = allOf<StoreStatus>({ ok: true, 'not-responsible': true, 'not-ready': true });
const fetchStatusArb = allOf<FetchStatus>({ found: true, missing: true, 'not-responsible': true, 'not-ready': true });

type MsgOf<T extends MsgType> = Extract<Msg, { readonly t: T }>;

/** One generator per message type; a new `Msg` variant fails to compile until it is added. */
function variants(bits: number): { readonly [T in MsgType]: fc.Arbitrary<MsgOf<T>> } {
  const peer = peerArb(bits);
  const peers = fc.array(peer, SMALL_LIST);
  const pred = fc.option(peer, { nil: null });
  const from = fc.option(pointArb(bits), { nil: null });
  const key = keyArb(bits);
  const records = fc.array(recArb(bits), SMALL_LIST);
  return {
    ping: record({ t: fc.constant('ping'), nonce: counterArb }),
    pong: record({ t: fc.constant('pong'), nonce: counterArb, member: fc.boolean() }),
    find: record({ t: fc.constant('find'), rid: counterArb, target: pointArb(bits) }),
    found: record({ t: fc.constant('found'), rid: counterArb, done: fc.boolean(), peers }),
    'get-state': record({ t: fc.constant('get-state'), rid: counterArb }),
    state: record({ t: fc.constant('state'), rid: counterArb, member: fc.boolean(), joining: fc.boolean(), pred, succs: peers }),
    rectify: record({ t: fc.constant('rectify'), ready: fc.boolean(), link: fc.boolean() }),
    handoff: record({ t: fc.constant('handoff'), records, from, more: fc.boolean() }),
    store: record({ t: fc.constant('store'), rid: counterArb, key, value: valueArb }),
    stored: record({ t: fc.constant('stored'), rid: counterArb, status: storeStatusArb, version: counterArb, holders: peers }),
    fetch: record({ t: fc.constant('fetch'), rid: counterArb, key }),
    fetched: record({
      t: fc.constant('fetched'),
      rid: counterArb,
      status: fetchStatusArb,
      rec: fc.option(recArb(bits), { nil: null }),
    }),
    replicate: record({ t: fc.constant('replicate'), rid: counterArb, records }),
    replicated: record({ t: fc.constant('replicated'), rid: counterArb }),
    digest: record({ t: fc.constant('digest'), entries: fc.array(digestEntryArb(bits), SMALL_LIST), from }),
    want: record({ t: fc.constant('want'), keys: fc.array(key, SMALL_LIST) }),
    leave: record({ t: fc.constant('leave'), rid: counterArb, pred, records, from, more: fc.boolean() }),
    'leave-notice': record({ t: fc.constant('leave-notice'), rid: counterArb, succs: peers }),
    'leave-ack': record({ t: fc.constant('leave-ack'), rid: counterArb }),
    closer: record({ t: fc.constant('closer'), peer }),
  };
}

export function msgArb(bits: number): fc.Arbitrary<Msg> {
  return fc.oneof(...(Object.values(variants(bits)) as fc.Arbitrary<Msg>[]));
}
