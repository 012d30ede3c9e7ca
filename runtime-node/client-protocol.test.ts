import test from 'ava';
import fc from 'fast-check';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, type ClientRequest, type ClientResponse } from './client-protocol';

const peerArb = fc.record({ id: fc.bigInt({ min: 0n, max: (1n << 160n) - 1n }).map(String), addr: fc.string({ maxLength: 30 }) });
const requestArb: fc.Arbitrary<ClientRequest> = fc.oneof(
  fc.record({ t: fc.constant('put' as const), rid: fc.nat(), key: fc.string(), value: fc.uint8Array({ maxLength: 50 }) }),
  fc.record({ t: fc.constant('get' as const), rid: fc.nat(), key: fc.string() }),
  fc.record({ t: fc.constant('state' as const), rid: fc.nat() }),
);
const responseArb: fc.Arbitrary<ClientResponse> = fc.oneof(
  fc.record({ t: fc.constant('put-ok' as const), rid: fc.nat(), keyId: fc.string(), version: fc.maxSafeNat(), holders: fc.array(peerArb, { maxLength: 4 }), hops: fc.nat(0xffff) }),
  fc.record({ t: fc.constant('get-ok' as const), rid: fc.nat(), keyId: fc.string(), version: fc.maxSafeNat(), holder: peerArb, hops: fc.nat(0xffff), value: fc.uint8Array({ maxLength: 50 }) }),
  fc.record({
    t: fc.constant('state' as const), rid: fc.nat(), self: peerArb, bits: fc.integer({ min: 8, max: 160 }), replicas: fc.integer({ min: 1, max: 16 }),
    phase: fc.constantFrom('idle', 'joining', 'member'), pred: fc.option(peerArb, { nil: null }), succs: fc.array(peerArb, { maxLength: 4 }),
    fingers: fc.array(peerArb, { maxLength: 4 }), records: fc.nat(),
  }),
  fc.record({ t: fc.constant('error' as const), rid: fc.nat(), code: fc.constantFrom('not-found' as const, 'failed' as const, 'bad-request' as const), error: fc.string(), keyId: fc.string(), hops: fc.nat(0xffff) }),
);

/** Byte arrays as plain arrays, so that deepEqual compares contents, not Buffer against Uint8Array. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return [...v];
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

test('client requests and responses round-trip', (t) => {
  fc.assert(fc.property(requestArb, (r) => {
    const d = decodeRequest(encodeRequest(r));
    t.true(d.ok);
    if (d.ok) t.deepEqual(plain(d.value), plain(r));
  }));
  fc.assert(fc.property(responseArb, (r) => {
    const d = decodeResponse(encodeResponse(r));
    t.true(d.ok);
    if (d.ok) t.deepEqual(plain(d.value), plain(r));
  }));
});

test('client protocol decoding never throws on garbage, truncation or a wrong version', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    t.notThrows(() => decodeRequest(Buffer.from(bytes)));
    t.notThrows(() => decodeResponse(Buffer.from(bytes)));
  }));
  fc.assert(fc.property(responseArb, fc.nat(), (r, cut) => {
    const bytes = encodeResponse(r);
    const d = decodeResponse(bytes.subarray(0, cut % bytes.length));
    t.false(d.ok);
  }));
  const wrong = encodeRequest({ t: 'state', rid: 1 });
  wrong[0] = 9;
  t.deepEqual(decodeRequest(wrong), { ok: false, error: 'unsupported client protocol version 9' });
});
