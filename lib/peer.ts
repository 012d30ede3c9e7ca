/**
 * `startPeer`: one real peer (runtime-node/peer-driver.ts) behind the package's public API, which
 * speaks only the public form (types.ts) and resolves once the peer is a ring member.
 */
import { EventEmitter } from 'node:events';
import { validateConfig } from '../core/config';
import { describeError } from '../core/errors';
import { checkBits, decimalOf } from '../core/id';
import type { LogEvent, OpError } from '../core/types';
import { keyOf } from '../edge/key-id';
import { startPeer as startDriver, type PeerHandle } from '../runtime-node/peer-driver';
import { MIN_KEY_BYTES, RingKey } from '../runtime-node/ring-key';
import { DEFAULT_PING_MS, runtimeConfig } from '../runtime-node/timing';
import { errorCode, peerRef, peerStatus, publicEvent } from './public-form';
import { ChordError, type ChordPeer, type PeerEvents, type PeerOptions, type PeerStatus, type PutResult, type StopInfo, type StoredRecord } from './types';

/** Real Chord: SHA-1 identifiers. */
const DEFAULT_BITS = 160;

/**
 * Starts a peer: a ring of its own, or a member of the ring of `options.join`. Resolves once it
 * is a ring member (for a join: once its successor has handed it its records); rejects with a
 * ChordError `join-failed` if the join fails (bootstrap unreachable, ID already taken), or with
 * an Error if it cannot listen (port in use) or open its `dataDir`.
 */
export function startPeer(options: PeerOptions = {}): Promise<ChordPeer> {
  return startMember(options, new Promise<never>(() => undefined));
}

/**
 * startPeer, given up on (the peer closed, the promise rejected with the reason) if `giveUp`
 * rejects before the peer is a member.
 */
export async function startMember(options: PeerOptions, giveUp: Promise<never>): Promise<ChordPeer> {
  const bits = options.bits ?? DEFAULT_BITS;
  const badBits = checkBits(bits);
  if (badBits !== undefined) throw new ChordError('bad-options', badBits);
  const emitter = new EventEmitter();
  let member = false;
  let joined: () => void = () => undefined;
  const isMember = new Promise<void>((resolve) => (joined = resolve));
  const onLog = (e: LogEvent) => {
    if (e.ev === 'created' || e.ev === 'initialized' || e.ev === 'joined') {
      member = true;
      joined();
    }
    emitter.emit('event', publicEvent(e));
  };
  const id = idOf(options.id, bits);
  const configErrors = validateConfig(runtimeConfig(bits, options.replicas ?? 3, options.pingInterval ?? DEFAULT_PING_MS));
  if (configErrors.length > 0) throw new ChordError('bad-options', configErrors.join('; '));
  const handle = await startDriver({
    bits, id, host: options.host, port: options.port, replicas: options.replicas, pingInterval: options.pingInterval,
    ringKey: ringKeyOf(options.ringKey), dataDir: options.dataDir, start: options.join === undefined ? { kind: 'create' } : { kind: 'join', via: options.join }, onLog,
  });
  const peer = new Peer(handle, emitter);
  if (!member) {
    try {
      const stop = await Promise.race([isMember.then(() => null), handle.stopped, giveUp]);
      if (stop !== null) throw new ChordError('join-failed', stop.reason);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }
  return peer;
}

function idOf(id: string | bigint | undefined, bits: number): bigint | undefined {
  if (id === undefined) return undefined;
  if (typeof id === 'string' && !/^(0|[1-9][0-9]*)$/.test(id)) throw new ChordError('bad-options', `a peer ID is a non-negative decimal integer, not "${id}"`);
  const n = BigInt(id);
  if (n < 0n || n >= 1n << BigInt(bits)) throw new ChordError('bad-options', `peer ID ${n} is outside the ${bits}-bit identifier space`);
  return n;
}

function ringKeyOf(bytes: Uint8Array | undefined): RingKey | null {
  if (bytes === undefined) return null;
  if (bytes.length < MIN_KEY_BYTES) throw new ChordError('bad-options', `a ring key has at least ${MIN_KEY_BYTES} bytes, not ${bytes.length}`);
  return new RingKey(Buffer.from(bytes));
}

class Peer implements ChordPeer {
  readonly id: string;
  readonly address: string;
  readonly bits: number;
  readonly stopped: Promise<StopInfo>;

  constructor(private readonly handle: PeerHandle, private readonly emitter: EventEmitter) {
    this.id = decimalOf(handle.self);
    this.address = handle.self.addr;
    this.bits = handle.config.bits;
    this.stopped = handle.stopped.then((info) => {
      emitter.emit('stopped', info);
      return info;
    });
  }

  async put(key: string, value: Uint8Array | string): Promise<PutResult> {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    const reply = await this.handle.put(key, bytes);
    if (!reply.ok) throw failure('put', reply.error);
    if (reply.op !== 'put') throw new Error(`a put answered as a ${reply.op}`);
    return { key, id: this.keyId(key), version: reply.version, holders: reply.holders.map(peerRef), hops: reply.hops };
  }

  async get(key: string): Promise<StoredRecord | null> {
    const reply = await this.handle.get(key);
    if (!reply.ok) {
      if (reply.error === 'not-found') return null;
      throw failure('get', reply.error);
    }
    if (reply.op !== 'get') throw new Error(`a get answered as a ${reply.op}`);
    return { key, id: this.keyId(key), value: reply.rec.value, version: reply.rec.version, holder: peerRef(reply.holder), hops: reply.hops };
  }

  leave(): Promise<StopInfo> {
    return this.handle.leave();
  }

  close(): Promise<StopInfo> {
    return this.handle.close();
  }

  state(): PeerStatus {
    return peerStatus(this.handle.state());
  }

  on<E extends keyof PeerEvents>(event: E, listener: (value: PeerEvents[E]) => void): this {
    this.emitter.on(event, listener);
    return this;
  }

  once<E extends keyof PeerEvents>(event: E, listener: (value: PeerEvents[E]) => void): this {
    this.emitter.once(event, listener);
    return this;
  }

  off<E extends keyof PeerEvents>(event: E, listener: (value: PeerEvents[E]) => void): this {
    this.emitter.off(event, listener);
    return this;
  }

  private keyId(key: string): string {
    return decimalOf(keyOf(key, this.bits));
  }
}

function failure(op: string, error: OpError): ChordError {
  return new ChordError(errorCode(error), `${op} failed: ${describeError(error)}`);
}
