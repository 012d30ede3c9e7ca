/**
 * Who sent a message, on an open ring. Every message names its sender (an ID and the address it
 * listens on), and anyone can write any name: a claim is believed only once the claimed address
 * has proved it, by a round trip as dht-rpc's tokens do.
 *
 * - A stream (an inbound TCP connection) is bound to the one claim its first message makes. Its
 *   messages are held, not delivered, while this peer sends a challenge datagram to the claimed
 *   address: a fresh random nonce and the claimed ID, no larger than the message that made the
 *   claim (a forger's stream can make this peer send no more to a third address than it sent). The peer listening there, if it has that
 *   ID, echoes the nonce on its own open connection to us; the echo arriving on the very stream
 *   that made the claim proves that the stream's opener receives at the claimed address, and the
 *   held messages go on. A forger's stream never sees the nonce: it is closed once the proof is
 *   overdue, its messages undelivered; a lost challenge is sent again with the stream's next
 *   message, as the sender's own retries come. Proven for the stream's life; the source port is no
 *   evidence (on one host every connection comes from 127.0.0.1 and an ephemeral port).
 * - A datagram is believed when it comes from the address it claims, and that address has
 *   proved the claimed ID (by an echo on a stream, or by a datagram echo to a challenge sent for
 *   a datagram claim). Such proofs are cached for a while, a bounded number of them. A datagram
 *   too small to pay for a challenge (a pong) is challenged by the ping this peer sent first.
 * - A challenge is answered with an echo no larger than itself, on the answerer's connection to
 *   the challenger if it has one open, else by datagram to the challenge's source: answering
 *   never opens a connection, nor sends to an address a message names.
 *
 * With a ring key none of this runs: members are trusted, and the key authenticates the stream.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { isLarge, type BufferBudget } from './budget';
import { HEADER_BYTES } from './framing';

export interface Claim {
  readonly id: string;
  readonly addr: string;
}

/** How the identity layer reaches the network. */
export interface IdentityWire {
  datagram(to: string, bytes: Uint8Array): void;
  /** Sends on an outbound connection already open to `to`; false when there is none. */
  onOpenStream(to: string, bytes: Uint8Array): boolean;
}

export interface IdentityOptions {
  readonly self: Claim;
  readonly wire: IdentityWire;
  /** How long a stream may hold messages before its claim is proven; then it is closed. */
  readonly proofTimeoutMs: number;
  /**
   * How soon a challenge to one claim may go again: well within the peer's missed-ping limit, or
   * a first challenge lost (sent before the other peer was listening) would hold its pongs past
   * it, and a live neighbour be declared gone.
   */
  readonly rechallengeMs: number;
  /** Bytes of held messages one unproven stream may hold. */
  readonly holdBytes: number;
  /**
   * What held messages take their bytes from, all streams together (the peer's buffer budget,
   * a large message from its half for others' large messages): without it, a thousand
   * strangers' streams each holding a 64 MiB message for a proof timeout would hold 64 GB. A
   * message it has no room for ends its stream.
   */
  readonly account?: Pick<BufferBudget, 'take' | 'give' | 'takeLarge' | 'giveLarge'>;
  readonly now?: () => number;
}

/** Control messages start with it; the codec's start with its wire version, a small number. */
const MAGIC = Buffer.from('CHID', 'ascii');
const CHALLENGE = 1;
const ECHO = 2;
/** 96 bits: a challenge lives for one proof timeout. */
const NONCE_BYTES = 12;
const ECHO_BYTES = MAGIC.length + 1 + NONCE_BYTES;
/** Challenges are padded to this, so that an echo, even framed on a stream, is never larger. */
const SHORTEST_CHALLENGE = ECHO_BYTES + HEADER_BYTES;
/** 160-bit IDs are 40 hex digits. */
const LONGEST_ID = 64;

/** Proven claims kept for datagrams, and how long. */
const MAX_PROVEN = 4096;
const PROVEN_MS = 10 * 60_000;
/** Challenges outstanding at once; the oldest is forgotten first. */
const MAX_PENDING = 1024;
/** Datagrams held per unproven claim (pings come every round: the latest few are enough). */
const HELD_DATAGRAMS = 4;
const HELD_MESSAGES = 64;

export type Control =
  | { readonly kind: 'challenge'; readonly nonce: string; readonly id: string }
  | { readonly kind: 'echo'; readonly nonce: string };

export function isControl(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.equals(bytes.subarray(0, MAGIC.length));
}

export function challengeBytes(id: string): number {
  return Math.max(SHORTEST_CHALLENGE, ECHO_BYTES + 1 + id.length);
}

export function encodeChallenge(nonce: string, id: string): Buffer {
  if (id.length > LONGEST_ID) throw new RangeError(`an ID of ${id.length} characters does not fit a challenge`);
  const out = Buffer.alloc(challengeBytes(id));
  MAGIC.copy(out);
  out[MAGIC.length] = CHALLENGE;
  out.write(nonce, MAGIC.length + 1, 'hex');
  out[ECHO_BYTES] = id.length;
  out.write(id, ECHO_BYTES + 1, 'latin1');
  return out;
}

export function encodeEcho(nonce: string): Buffer {
  const out = Buffer.alloc(ECHO_BYTES);
  MAGIC.copy(out);
  out[MAGIC.length] = ECHO;
  out.write(nonce, MAGIC.length + 1, 'hex');
  return out;
}

/** Null for anything but a well-formed control message. */
export function decodeControl(bytes: Uint8Array): Control | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (!isControl(b) || b.length < ECHO_BYTES) return null;
  const nonce = b.toString('hex', MAGIC.length + 1, ECHO_BYTES);
  if (b[MAGIC.length] === ECHO) return b.length === ECHO_BYTES ? { kind: 'echo', nonce } : null;
  if (b[MAGIC.length] !== CHALLENGE || b.length <= ECHO_BYTES) return null;
  const id = b.toString('latin1', ECHO_BYTES + 1, ECHO_BYTES + 1 + b[ECHO_BYTES]);
  return id.length <= LONGEST_ID && b.length === challengeBytes(id) ? { kind: 'challenge', nonce, id } : null;
}

function sameClaim(a: Claim, b: Claim): boolean {
  return a.id === b.id && a.addr === b.addr;
}

function claimKey(c: Claim): string {
  return `${c.id}@${c.addr}`;
}

interface Pending {
  readonly claim: Claim;
  readonly nonce: string;
  readonly at: number;
  /** Datagrams waiting for this claim's proof. */
  readonly held: (() => void)[];
}

export type DatagramVerdict = 'believed' | 'held' | 'not from its address' | 'unproven';

export class Identities {
  /** By address: the ID proven there, until when. Insertion order is age order. */
  private readonly proven = new Map<string, { readonly id: string; readonly until: number }>();
  private readonly pendingByClaim = new Map<string, Pending>();
  private readonly pendingByNonce = new Map<string, Pending>();
  private readonly now: () => number;

  constructor(private readonly o: IdentityOptions) {
    this.now = o.now ?? (() => performance.now());
  }

  /**
   * A datagram's claim, `bytes` long: `deliver` runs now if believed, or once proven (if not
   * forgotten first). Unproven, it is challenged if it paid for that; else held only if a
   * challenge is out already, else dropped.
   */
  datagram(claim: Claim, source: string, bytes: number, deliver: () => void): DatagramVerdict {
    if (claim.addr !== source) return 'not from its address';
    if (this.isProven(claim)) {
      deliver();
      return 'believed';
    }
    const pending = this.challengeFor(claim, bytes) ?? this.pendingByClaim.get(claimKey(claim));
    if (pending === undefined) return 'unproven';
    pending.held.push(deliver);
    if (pending.held.length > HELD_DATAGRAMS) pending.held.shift();
    return 'held';
  }

  /** A new inbound stream; `close` ends it (with a reason) when its claim is not proven in time. */
  stream(close: (reason: string) => void): StreamGate {
    return new StreamGate(this, close, this.o.proofTimeoutMs, this.o.holdBytes, this.o.account);
  }

  /** A control message that came by datagram from `source`. */
  controlDatagram(c: Control, source: string): void {
    if (c.kind === 'challenge') return this.answer(c, source);
    const pending = this.pendingByNonce.get(c.nonce);
    if (pending && pending.claim.addr === source) this.proved(pending.claim);
  }

  private answer(c: Extract<Control, { kind: 'challenge' }>, source: string): void {
    // Not ours to answer: a forger named us with another ID.
    if (c.id !== this.o.self.id) return;
    const echo = encodeEcho(c.nonce);
    if (!this.o.wire.onOpenStream(source, echo)) this.o.wire.datagram(source, echo);
  }

  /** This peer is about to send a datagram to `to`: its answer will be believed once `to` proves it. */
  sending(to: Claim): void {
    if (!this.isProven(to)) this.challenge(to);
  }

  /** A challenge in answer to `bytes` from the claimant, if they pay for one. */
  challengeFor(claim: Claim, bytes: number): Pending | undefined {
    return bytes >= challengeBytes(claim.id) ? this.challenge(claim) : undefined;
  }

  /** Sends a challenge for `claim` unless one went out recently; the pending challenge either way. */
  private challenge(claim: Claim): Pending {
    const key = claimKey(claim);
    const old = this.pendingByClaim.get(key);
    const now = this.now();
    if (old && now - old.at < this.o.rechallengeMs) return old;
    const pending: Pending = { claim, nonce: randomBytes(NONCE_BYTES).toString('hex'), at: now, held: old?.held ?? [] };
    this.forget(old);
    this.pendingByClaim.set(key, pending);
    this.pendingByNonce.set(pending.nonce, pending);
    if (this.pendingByClaim.size > MAX_PENDING) this.forget(this.pendingByClaim.values().next().value);
    this.o.wire.datagram(claim.addr, encodeChallenge(pending.nonce, claim.id));
    return pending;
  }

  /** True when `nonce` is the outstanding challenge to `claim`, which it then proves. */
  echoed(claim: Claim, nonce: string): boolean {
    const pending = this.pendingByNonce.get(nonce);
    if (!pending || !sameClaim(pending.claim, claim)) return false;
    this.proved(claim);
    return true;
  }

  isProven(claim: Claim): boolean {
    const p = this.proven.get(claim.addr);
    if (p === undefined || p.id !== claim.id) return false;
    if (p.until > this.now()) return true;
    this.proven.delete(claim.addr);
    return false;
  }

  private proved(claim: Claim): void {
    this.proven.delete(claim.addr);
    this.proven.set(claim.addr, { id: claim.id, until: this.now() + PROVEN_MS });
    if (this.proven.size > MAX_PROVEN) this.proven.delete(this.proven.keys().next().value as string);
    const pending = this.pendingByClaim.get(claimKey(claim));
    this.forget(pending);
    for (const deliver of pending?.held ?? []) deliver();
  }

  private forget(p: Pending | undefined): void {
    if (!p) return;
    this.pendingByNonce.delete(p.nonce);
    if (this.pendingByClaim.get(claimKey(p.claim)) === p) this.pendingByClaim.delete(claimKey(p.claim));
  }
}

/**
 * One inbound stream's claim: its messages are held until the claimed address echoes a
 * challenge on this stream, then delivered in order, and every later one at once.
 */
export class StreamGate {
  private claim: Claim | null = null;
  private proven = false;
  private held: (() => void)[] = [];
  /** Bytes of the held messages, and of those the large ones (budget.ts). */
  private heldBytes = 0;
  private heldLarge = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ids: Identities,
    private readonly close: (reason: string) => void,
    private readonly timeoutMs: number,
    private readonly holdBytes: number,
    private readonly account: IdentityOptions['account'],
  ) {}

  /** A message claiming `claim`, that took `bytes` on the stream; an error ends the stream. */
  offer(claim: Claim, bytes: number, deliver: () => void): string | null {
    if (this.claim === null) this.claim = claim;
    else if (!sameClaim(this.claim, claim)) return `one stream claims two senders (${claimKey(this.claim)}, then ${claimKey(claim)})`;
    if (this.proven) {
      deliver();
      return null;
    }
    if (this.held.length >= HELD_MESSAGES || this.heldBytes + bytes > this.holdBytes) return `more than ${HELD_MESSAGES} messages or ${this.holdBytes} bytes before proving it is ${claimKey(claim)}`;
    const large = isLarge(bytes);
    if (this.account && !(large ? this.account.takeLarge(bytes) : this.account.take(bytes))) return `no room in the peer's buffer budget to hold ${bytes} bytes until ${claimKey(claim)} is proven`;
    this.heldBytes += bytes;
    if (large) this.heldLarge += bytes;
    this.held.push(deliver);
    this.ids.challengeFor(claim, bytes);
    this.timer ??= this.deadline(claim);
    return null;
  }

  /** A control message on this stream; an error ends it. */
  control(c: Control): string | null {
    if (c.kind !== 'echo') return 'a challenge on a stream (challenges come by datagram)';
    // Also on a proven stream: the echo may answer a challenge sent for its sender's datagrams.
    if (this.claim === null || !this.ids.echoed(this.claim, c.nonce) || this.proven) return null;
    this.proven = true;
    const held = this.held;
    this.stop();
    for (const deliver of held) deliver();
    return null;
  }

  /** The stream closed, or its claim is proven: nothing more is held, and its bytes go back. */
  stop(): void {
    clearTimeout(this.timer);
    this.held = [];
    this.account?.giveLarge(this.heldLarge);
    this.account?.give(this.heldBytes - this.heldLarge);
    this.heldBytes = 0;
    this.heldLarge = 0;
  }

  private deadline(claim: Claim): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.stop();
      this.close(`did not prove within ${this.timeoutMs} ms that it is ${claimKey(claim)} (no echo of the challenge sent there)`);
    }, this.timeoutMs);
    timer.unref();
    return timer;
  }
}
