/**
 * A peer's network: one UDP socket and one TCP listener on the same host and port.
 *
 * - Datagrams carry one encoded message each, unframed.
 * - Outbound streams: one long-lived connection per destination address, opened on first use
 *   and dropped when it fails or the remote closes it; the next message opens a new one. Every
 *   message whose bytes did not reach the kernel before the connection failed (refused, reset,
 *   timed out while connecting) is reported through `undelivered`, once.
 * - Inbound streams start with a preamble naming the protocol: peer streams hand each message to
 *   `streamMessage`, client streams are handed whole to `client`. Anything else is logged and
 *   the connection closed.
 * This module knows bytes and addresses only; what the bytes mean is the driver's business.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, isIPv6, type Server, type Socket } from 'node:net';
import { formatAddr, parseAddr } from './address';
import { Connection } from './connection';
import { CLIENT_PREAMBLE, PEER_PREAMBLE, PREAMBLE_BYTES } from './framing';

export interface TransportEvents<T> {
  datagram(bytes: Buffer, from: string): void;
  /** A message from a peer stream; returning an error string closes that connection. */
  streamMessage(bytes: Buffer, from: string): string | null;
  /** An outside client connected; the callee serves it, `close` closes it with the rest. */
  client(socket: Socket, early: Buffer): void;
  /** A stream message that could not be sent; `token` is what the caller gave `send`. */
  undelivered(token: T, reason: string): void;
  /** Bytes the transport itself refused (bad preamble or framing, socket errors). */
  problem(reason: string): void;
}

export interface TransportOptions {
  readonly host: string;
  /** 0 lets the system choose a port free for both UDP and TCP. */
  readonly port: number;
  /** How long an outbound connection may take to open before its messages count as failed. */
  readonly connectTimeout: number;
}

/** Largest UDP payload over IPv4. */
const MAX_DATAGRAM = 65_507;
const FREE_PORT_TRIES = 20;
const CLOSE_FLUSH_MS = 1000;

interface Outbound<T> {
  readonly conn: Connection;
  /** Messages handed to the socket whose write has not completed yet. */
  readonly pending: Set<T>;
}

export class PortInUseError extends Error {}

type HostPortLike = Pick<TransportOptions, 'host' | 'port'>;

export class Transport<T> {
  readonly addr: string;
  private readonly out = new Map<string, Outbound<T>>();
  private readonly inbound = new Set<Socket>();
  private closing = false;

  private constructor(
    private readonly udp: UdpSocket,
    private readonly tcp: Server,
    readonly port: number,
    private readonly opts: TransportOptions,
    private readonly events: TransportEvents<T>,
  ) {
    this.addr = formatAddr(opts.host, port);
    udp.on('message', (bytes, rinfo) => events.datagram(bytes, formatAddr(rinfo.address, rinfo.port)));
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

  sendDatagram(to: string, bytes: Uint8Array): string | null {
    const hp = parseAddr(to);
    if (hp === null) return `bad address ${JSON.stringify(to)}`;
    if (bytes.length > MAX_DATAGRAM) return `a datagram of ${bytes.length} bytes is too large`;
    // Datagrams may be lost anyway: a failed send is one more lost datagram, nothing to report.
    this.udp.send(bytes, hp.port, hp.host, () => undefined);
    return null;
  }

  sendStream(to: string, bytes: Uint8Array, token: T): void {
    const out = this.closing ? undefined : this.outbound(to);
    if (out === undefined) {
      setImmediate(() => this.events.undelivered(token, this.closing ? 'peer is closing' : `bad address ${JSON.stringify(to)}`));
      return;
    }
    out.pending.add(token);
    out.conn.send(bytes, (e) => {
      if (!out.pending.delete(token)) return;
      if (e) this.events.undelivered(token, e.message);
    });
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
    socket.write(PEER_PREAMBLE);
    socket.setTimeout(this.opts.connectTimeout, () => socket.destroy(new Error(`no connection to ${to} within ${this.opts.connectTimeout} ms`)));
    socket.once('connect', () => socket.setTimeout(0));
    const pending = new Set<T>();
    const conn = new Connection(socket, {
      message: () => conn.fail('a peer stream is one-way'),
      close: (error) => {
        if (this.out.get(to)?.conn === conn) this.out.delete(to);
        const lost = [...pending];
        pending.clear();
        for (const token of lost) this.events.undelivered(token, error ?? 'connection closed');
      },
    });
    const out = { conn, pending };
    this.out.set(to, out);
    return out;
  }

  private accept(socket: Socket): void {
    const from = formatAddr(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
    this.inbound.add(socket);
    socket.on('close', () => this.inbound.delete(socket));
    socket.on('error', () => socket.destroy());
    let head = Buffer.alloc(0);
    const sniff = (data: Buffer) => {
      head = Buffer.concat([head, data]);
      if (head.length < PREAMBLE_BYTES) return;
      socket.off('data', sniff);
      const preamble = head.subarray(0, PREAMBLE_BYTES);
      const rest = head.subarray(PREAMBLE_BYTES);
      if (preamble.equals(PEER_PREAMBLE)) return this.servePeer(socket, from, rest);
      if (preamble.equals(CLIENT_PREAMBLE)) return this.events.client(socket, rest);
      this.events.problem(`TCP from ${from}: not a chord connection (starts with ${JSON.stringify(preamble.toString('latin1'))}); closed`);
      socket.destroy();
    };
    socket.on('data', sniff);
  }

  private servePeer(socket: Socket, from: string, early: Buffer): void {
    const conn = new Connection(socket, {
      message: (bytes) => {
        const error = this.events.streamMessage(bytes, from);
        if (error !== null) conn.fail(error);
      },
      close: (error) => {
        if (error !== null && !this.closing) this.events.problem(`TCP from ${from}: ${error}; closed`);
      },
    });
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
