/**
 * A peer's network: one UDP socket and one TCP listener on the same host and port.
 *
 * - Datagrams carry one encoded message each, unframed.
 * - Outbound streams: one long-lived connection per destination address, opened on first use
 *   and dropped when it fails or the remote closes it; the next message opens a new one. Every
 *   message whose bytes did not reach the kernel before the connection failed (refused, reset,
 *   timed out while connecting) is reported through `undelivered`, once.
 * - Inbound streams start with a preamble naming the protocol: each peer stream gets a sink of
 *   its own from `peerStream` (so that the driver can tell one stream's sender from another's),
 *   client streams are handed whole to `client`. Anything else is logged and
 *   the connection closed, and so is a connection that has not said what it is in time.
 * - With a ring key (ring-key.ts), datagrams are sealed and opened here, and every connection
 *   starts with the handshake; whatever comes without the key is dropped.
 * - Every connection is held to the peer's limits (limits.ts): incoming ones over the caps are
 *   closed at once, and all share one buffer budget. An outgoing connection closes itself when
 *   idle for half the idle timeout, so that it is the opener, about to send, that decides, and
 *   the listener's timeout rarely races a message on its way.
 * Whatever the transport refuses from the outside is reported as a drop (rate-limited by the
 * driver), never as a line of its own.
 * This module knows bytes and addresses only; what the bytes mean is the driver's business.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, isIPv6, type Server, type Socket } from 'node:net';
import { formatAddr, parseAddr } from './address';
import { BufferBudget, OverBudgetError } from './budget';
import { Connection, type Bounds, type ConnectionOptions, type Deferred } from './connection';
import { ConnectionGate } from './connection-gate';
import type { DropKind } from './drop-log';
import { CLIENT_PREAMBLE, KEYED_CLIENT_PREAMBLE, KEYED_PEER_PREAMBLE, PEER_PREAMBLE, PREAMBLE_BYTES } from './framing';
import type { Limits } from './limits';
import { NONCE_BYTES, type DatagramOpener, type DatagramRefusal, type DatagramSealer, type Opening, type RingKey } from './ring-key';

export interface TransportEvents<T> {
  datagram(bytes: Buffer, from: string): void;
  /** An inbound peer stream from `from`; `close` ends it with a reason. */
  peerStream(from: string, close: (reason: string) => void): PeerStreamSink;
  /**
   * An outside client connected; the callee serves it on a connection with `options` (the
   * handshake to finish on a keyed ring, the peer's bounds), `close` closes it with the rest.
   */
  client(socket: Socket, early: Buffer, options: ConnectionOptions): void;
  /** A client without the ring key connected to a keyed peer: tell it so; the transport closes it. */
  refuseClient(socket: Socket): void;
  /** A stream message that could not be sent; `token` is what the caller gave `send`. */
  undelivered(token: T, reason: string): void;
  /** Faults of this end's own sockets. */
  problem(reason: string): void;
  /** Whatever was refused or cut off from the outside. */
  drop(kind: DropKind, detail: string): void;
}

export interface PeerStreamSink {
  /** Returning an error string closes the connection. */
  message(bytes: Buffer): string | null;
  /** Once, however the connection ended. */
  closed(): void;
}

export interface TransportOptions {
  /** What to bind. */
  readonly host: string;
  /**
   * The IP address others reach this peer at, when it is not `host` (a wildcard bind): its
   * `addr`, and the destination its sealed datagrams name. Null: `host` itself.
   */
  readonly advertise: string | null;
  /** 0 lets the system choose a port free for both UDP and TCP. */
  readonly port: number;
  /**
   * How long an outbound connection may take to open (handshake included) before its messages
   * count as failed, and an inbound one to say what it is and prove the key.
   */
  readonly connectTimeout: number;
  /** Null: an open ring, where anyone who can reach the port is let in. */
  readonly key: RingKey | null;
  readonly limits: Limits;
}

/** For tests and the exhaustion bench: what the limits are holding. */
export interface TransportStats {
  /** Incoming connections open. */
  readonly connections: number;
  /** Budget in use: bytes of messages being received or waiting to be sent. */
  readonly buffered: number;
  readonly peakBuffered: number;
  /** Of the budget in use, what large messages from others take (at most half the budget). */
  readonly large: number;
}

/** Largest UDP payload over IPv4. */
const MAX_DATAGRAM = 65_507;
const FREE_PORT_TRIES = 20;
const CLOSE_FLUSH_MS = 1000;
const DATAGRAM_REFUSALS: Record<DatagramRefusal, { kind: DropKind; what: string }> = {
  unkeyed: { kind: 'datagrams without a valid ring-key MAC', what: 'no ring-key MAC' },
  forged: { kind: 'datagrams without a valid ring-key MAC', what: 'a wrong ring-key MAC (another key, or meant for another address)' },
  replayed: { kind: 'replayed datagrams', what: 'replayed (counter seen before, or behind the window)' },
};

interface Outbound<T> {
  readonly conn: Connection;
  /** Messages handed to the socket whose write has not completed yet. */
  readonly pending: Set<T>;
  /** Closed by `dropOutbound`, not by the other end or the network. */
  dropped: boolean;
}

export class PortInUseError extends Error {}

type HostPortLike = Pick<TransportOptions, 'host' | 'port'>;

export class Transport<T> {
  /** The address this peer is known by. */
  readonly addr: string;
  /** The address its sockets are bound to (a wildcard, or `addr`). */
  readonly listening: string;
  private readonly out = new Map<string, Outbound<T>>();
  private readonly inbound = new Set<Socket>();
  private closing = false;
  private readonly sealer: DatagramSealer | null;
  private readonly opener: DatagramOpener | null;
  /** The peer's one buffer budget (limits.ts), shared by its connections and what they hold. */
  readonly budget: BufferBudget;
  private readonly gate: ConnectionGate<Socket>;

  private constructor(
    private readonly udp: UdpSocket,
    private readonly tcp: Server,
    readonly port: number,
    private readonly opts: TransportOptions,
    private readonly events: TransportEvents<T>,
  ) {
    this.addr = formatAddr(opts.advertise ?? opts.host, port);
    this.listening = formatAddr(opts.host, port);
    this.sealer = opts.key?.datagramSealer() ?? null;
    this.opener = opts.key?.datagramOpener(this.addr) ?? null;
    this.budget = new BufferBudget(opts.limits.bufferBudget);
    this.gate = new ConnectionGate(opts.limits.maxConnections, opts.limits.maxConnectionsPerIp);
    udp.on('message', (bytes, rinfo) => this.receiveDatagram(bytes, formatAddr(rinfo.address, rinfo.port)));
    udp.on('error', (e) => events.problem(`UDP: ${e.message}`));
    tcp.on('connection', (socket) => this.accept(socket));
    tcp.on('error', (e) => events.problem(`TCP listener: ${e.message}`));
  }

  /** Binds UDP and TCP on one port; rejects with PortInUseError when it is taken. */
  static async listen<T>(opts: TransportOptions, events: TransportEvents<T>): Promise<Transport<T>> {
    for (let attempt = 0; ; attempt++) {
      const tcp = createServer();
      const tcpPort = await bind('TCP', opts, (cb) => tcp.listen({ host: opts.host, port: opts.port, exclusive: true }, cb), tcp, () => (tcp.address() as { port: number }).port);
      const udp = createSocket({ type: isIPv6(opts.host) ? 'udp6' : 'udp4' });
      try {
        await bind('UDP', { ...opts, port: tcpPort }, (cb) => udp.bind({ address: opts.host, port: tcpPort, exclusive: true }, cb), udp, () => tcpPort);
        return new Transport(udp, tcp, tcpPort, opts, events);
      } catch (e) {
        tcp.close();
        udp.close();
        // With a system-chosen port, the TCP port may be taken for UDP: pick another one.
        if (!(e instanceof PortInUseError) || opts.port !== 0 || attempt >= FREE_PORT_TRIES) throw e;
      }
    }
  }

  stats(): TransportStats {
    return { connections: this.gate.open, buffered: this.budget.inUse, peakBuffered: this.budget.peak, large: this.budget.largeInUse };
  }

  private bounds(idleMs: number): Bounds {
    return { budget: this.budget, idleMs, pace: this.opts.limits };
  }

  sendDatagram(to: string, bytes: Uint8Array): string | null {
    const hp = parseAddr(to);
    if (hp === null) return `bad address ${JSON.stringify(to)}`;
    if (bytes.length > MAX_DATAGRAM) return `a datagram of ${bytes.length} bytes is too large`;
    // Datagrams may be lost anyway: a failed send is one more lost datagram, nothing to report.
    this.udp.send(this.sealer?.seal(bytes, to) ?? bytes, hp.port, hp.host, () => undefined);
    return null;
  }

  private receiveDatagram(bytes: Buffer, from: string): void {
    if (this.opener === null) return this.events.datagram(bytes, from);
    const opened = this.opener.open(bytes);
    if (opened.ok) return this.events.datagram(opened.payload, from);
    const refusal = DATAGRAM_REFUSALS[opened.why];
    this.events.drop(refusal.kind, `UDP from ${from}: ${refusal.what}; dropped`);
  }

  sendStream(to: string, message: Deferred, token: T): void {
    const out = this.closing ? undefined : this.outbound(to);
    if (out === undefined) {
      setImmediate(() => this.events.undelivered(token, this.closing ? 'peer is closing' : `bad address ${JSON.stringify(to)}`));
      return;
    }
    out.pending.add(token);
    out.conn.sendDeferred(message, (e) => {
      if (!out.pending.delete(token)) return;
      if (e instanceof OverBudgetError) this.events.drop('over the buffer budget', `TCP to ${to}: ${e.message}; not sent`);
      if (e) this.events.undelivered(token, e.message);
    });
  }

  /** Sends on the outbound connection to `to` if one is open, never opening one; false if none. */
  sendOnOpenStream(to: string, bytes: Uint8Array): boolean {
    const out = this.out.get(to);
    if (this.closing || out === undefined || out.conn.isClosed) return false;
    out.conn.send(bytes);
    return true;
  }

  /**
   * Closes the outbound connection to `to`, if one is open: its messages count as undelivered,
   * and the next message opens a fresh one. For a peer declared gone, whose connection may hold
   * what was sent during a partition in TCP's retransmissions, backed off (peer-driver.ts).
   */
  dropOutbound(to: string, reason: string): void {
    const out = this.out.get(to);
    if (out === undefined) return;
    this.out.delete(to);
    out.dropped = true;
    out.conn.fail(reason);
  }

  /** Stops listening and closes every connection; `flush` lets outbound data drain first. */
  async close(flush: boolean): Promise<void> {
    this.closing = true;
    this.tcp.close();
    this.udp.close();
    for (const socket of this.inbound) socket.destroy();
    const outs = [...this.out.values()];
    this.out.clear();
    await Promise.all(outs.map((o) => (flush ? o.conn.end(CLOSE_FLUSH_MS) : Promise.resolve(o.conn.fail('peer closed')))));
  }

  private outbound(to: string): Outbound<T> | undefined {
    const existing = this.out.get(to);
    if (existing && !existing.conn.isClosed) return existing;
    const hp = parseAddr(to);
    if (hp === null) return undefined;
    const socket = connect({ host: hp.host, port: hp.port });
    const opening = this.opts.key?.initiate(KEYED_PEER_PREAMBLE);
    socket.write(opening?.hello ?? PEER_PREAMBLE);
    socket.setTimeout(this.opts.connectTimeout, () => socket.destroy(new Error(`no connection to ${to} within ${this.opts.connectTimeout} ms`)));
    const pending = new Set<T>();
    let connected = false;
    let ready = false;
    socket.once('connect', () => (connected = true));
    const conn = new Connection(socket, {
      message: () => conn.fail('a peer stream is one-way', 'malformed frames'),
      ready: () => (ready = true),
      close: (error) => {
        if (this.out.get(to)?.conn === conn) this.out.delete(to);
        // Reached, but not through the handshake: whoever listens there is not of this ring.
        if (opening && connected && !ready && !this.closing && !out.dropped) this.events.drop('connections without the ring key', `TCP to ${to}: ${error ?? 'closed during the ring-key handshake (it holds another key, or none)'}; closed`);
        const lost = [...pending];
        pending.clear();
        for (const token of lost) this.events.undelivered(token, error ?? 'connection closed');
      },
    }, { opening, bounds: this.bounds(this.opts.limits.idleTimeoutMs / 2) });
    const out: Outbound<T> = { conn, pending, dropped: false };
    this.out.set(to, out);
    return out;
  }

  private accept(socket: Socket): void {
    const ip = socket.remoteAddress ?? '?';
    const from = formatAddr(ip, socket.remotePort ?? 0);
    const admission = this.gate.admit(ip, socket);
    if (!admission.admitted) {
      this.events.drop('connections over the cap', `TCP from ${from}: ${admission.why}; closed`);
      return void socket.destroy();
    }
    if (admission.evicted !== null) {
      this.events.drop('connections over the cap', `TCP from ${admission.evicted.remoteAddress ?? '?'}: its oldest closed for one from ${ip}, an address holding fewer`);
      admission.evicted.destroy();
    }
    this.inbound.add(socket);
    socket.on('close', () => {
      this.inbound.delete(socket);
      this.gate.leave(ip, socket);
    });
    let sniffing = true;
    socket.on('error', (e) => {
      if (sniffing) this.refuse(from, e.message);
      socket.destroy();
    });
    // Cleared by the connection once it is ready (connection.ts): a stranger cannot hold it open.
    socket.setTimeout(this.opts.connectTimeout, () => socket.destroy(new Error(`nothing valid within ${this.opts.connectTimeout} ms`)));
    let head = Buffer.alloc(0);
    const sniff = (data: Buffer) => {
      head = Buffer.concat([head, data]);
      const preamble = head.subarray(0, PREAMBLE_BYTES);
      const keyed = preamble.equals(KEYED_PEER_PREAMBLE) || preamble.equals(KEYED_CLIENT_PREAMBLE);
      if (head.length < PREAMBLE_BYTES + (keyed && this.opts.key ? NONCE_BYTES : 0)) return;
      socket.off('data', sniff);
      sniffing = false;
      this.route(socket, from, Buffer.from(preamble), head.subarray(PREAMBLE_BYTES), keyed);
    };
    socket.on('data', sniff);
  }

  private route(socket: Socket, from: string, preamble: Buffer, rest: Buffer, keyed: boolean): void {
    const client = preamble.equals(CLIENT_PREAMBLE) || preamble.equals(KEYED_CLIENT_PREAMBLE);
    if (!client && !preamble.equals(PEER_PREAMBLE) && !preamble.equals(KEYED_PEER_PREAMBLE)) {
      this.refuse(from, `not a chord connection (starts with ${JSON.stringify(preamble.toString('latin1'))})`);
      return void socket.destroy();
    }
    const key = this.opts.key;
    if (key === null) {
      if (!keyed) return client ? this.events.client(socket, rest, this.inboundOptions(undefined)) : this.servePeer(socket, from, rest, undefined);
      this.events.drop('connections not speaking chord', `TCP from ${from}: a connection with a ring key, but this peer has none (its ring is open); closed`);
      return void socket.destroy();
    }
    if (!keyed) {
      this.refuse(from, `a ${client ? 'client' : 'peer'} connection without the ring key`);
      if (!client) return void socket.destroy();
      // Told why, so that the client can say so; the connection timeout ends it if it lingers.
      return this.events.refuseClient(socket);
    }
    const opening = key.respond(preamble, rest.subarray(0, NONCE_BYTES));
    socket.write(opening.hello);
    const early = rest.subarray(NONCE_BYTES);
    if (client) return this.events.client(socket, early, this.inboundOptions(opening));
    this.servePeer(socket, from, early, opening);
  }

  private inboundOptions(opening: Opening | undefined): ConnectionOptions {
    return { opening, bounds: this.bounds(this.opts.limits.idleTimeoutMs) };
  }

  /** Refused before the handshake: a stranger to a keyed peer, or no chord speaker at all. */
  private refuse(from: string, what: string): void {
    this.events.drop(this.opts.key ? 'connections without the ring key' : 'connections not speaking chord', `TCP from ${from}: ${what}; closed`);
  }

  private servePeer(socket: Socket, from: string, early: Buffer, opening: Opening | undefined): void {
    let ready = false;
    const sink = this.events.peerStream(from, (reason) => conn.fail(reason, 'streams whose sender did not prove its address'));
    const conn = new Connection(socket, {
      message: (bytes) => {
        const error = sink.message(bytes);
        if (error !== null) conn.fail(error, 'malformed frames');
      },
      ready: () => (ready = true),
      close: (error, kind) => {
        sink.closed();
        if (this.closing) return;
        if (opening && !ready) this.refuse(from, error ?? 'closed during the ring-key handshake');
        else if (kind !== null) this.events.drop(kind, `TCP from ${from}: ${error}; closed`);
      },
    }, this.inboundOptions(opening));
    conn.receive(early);
  }
}

interface ErrorEmitter {
  once(ev: 'error', f: (e: NodeJS.ErrnoException) => void): unknown;
  off(ev: 'error', f: (e: NodeJS.ErrnoException) => void): unknown;
}

function bind(proto: string, at: HostPortLike, start: (cb: () => void) => void, emitter: ErrorEmitter, port: () => number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE'
      ? new PortInUseError(`${proto} port ${at.port} on ${at.host} is already in use`)
      : new Error(`cannot listen on ${proto} ${formatAddr(at.host, at.port)}: ${e.message}`));
    emitter.once('error', onError);
    start(() => {
      emitter.off('error', onError);
      resolve(port());
    });
  });
}
