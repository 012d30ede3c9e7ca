/**
 * One real peer: the core's `step` driven by sockets, timers and commands. The driver decides
 * nothing about the protocol. It turns datagrams, stream messages, timer fires, failed sends and
 * client commands into inputs, feeds them to `step` one at a time with the monotonic clock as
 * `now`, and carries out the effects: sends on UDP or TCP, (re-)arms timers, answers commands,
 * reports log events, and closes down when the core says it has stopped.
 *
 * What it does decide is whom to believe (identity.ts: on an open ring, a message reaches the
 * core only once its claimed sender has proved its address) and what may come and go by
 * datagram (datagram-policy.ts: no message is answered with more bytes than it carried).
 */
import { performance } from 'node:perf_hooks';
import { validateConfig } from '../core/config';
import { decode, encode, encodedSize } from '../core/codec';
import { pointOfBigInt } from '../core/id';
import { nextDeadline } from '../core/deadlines';
import { describeError } from '../core/errors';
import { initState, step } from '../core/step';
import type { Channel, Command, Config, Effect, Input, LogEvent, Msg, Peer, PeerState, Reply } from '../core/types';
import { keyOf } from '../edge/key-id';
import { listenProblem } from './address';
import { refuseClient, serveClient, type ClientService } from './client-server';
import { DropLog, type DropKind } from './drop-log';
import { mayComeByDatagram, padQuestion, unpad } from './datagram-policy';
import { HEADER_BYTES, MAX_MESSAGE_BYTES } from './framing';
import { decodeControl, Identities, isControl } from './identity';
import { DEFAULT_LIMITS, type Limits } from './limits';
import { RecordStore } from './record-store';
import type { RingKey } from './ring-key';
import { runtimeConfig, DEFAULT_PING_MS } from './timing';
import { Transport, type PeerStreamSink, type TransportOptions, type TransportStats } from './transport';

export type Start =
  | { readonly kind: 'create' }
  /** The seed's init: a member of a ring whose successors are given. */
  | { readonly kind: 'init'; readonly succs: readonly Peer[]; readonly pred?: Peer | null }
  | { readonly kind: 'join'; readonly via: string };

export interface PeerOptions {
  readonly bits: number;
  readonly start: Start;
  readonly replicas?: number;
  /** Milliseconds; the other timings follow from it (timing.ts). */
  readonly pingInterval?: number;
  readonly config?: Partial<Config>;
  /** What to bind; 127.0.0.1 by default. A wildcard (0.0.0.0, ::) needs `advertise`. */
  readonly host?: string;
  /**
   * The IP address other peers are told, when it is not `host`: the address in this peer's
   * identity (its default ID is derived from it) and in every message it sends. The port is the
   * one it listens on.
   */
  readonly advertise?: string;
  /** 0 (the default) lets the system choose. */
  readonly port?: number;
  /** Defaults to the SHA-1 of the peer's (advertised) address, as Chord does. */
  readonly id?: bigint;
  readonly onLog?: (event: LogEvent) => void;
  /** Only holders of this key may join, store, read or ask; absent or null: an open ring. */
  readonly ringKey?: RingKey | null;
  /** How often refusals of one kind may be logged (drop-log.ts); for tests. */
  readonly dropLogMs?: number;
  /** What the outside world may hold of this peer; DEFAULT_LIMITS for the rest. */
  readonly limits?: Partial<Limits>;
  /**
   * Where this peer keeps its records (record-store.ts), loaded back at start; absent: in memory
   * only. Every record is on disk before any step that changed it has an effect.
   */
  readonly dataDir?: string;
}

export interface StopInfo {
  readonly reason: string;
  /** left: a graceful leave; failed: the core gave up (a failed join); closed: close() or kill. */
  readonly how: 'left' | 'failed' | 'closed';
}

export interface PeerHandle extends ClientService {
  readonly self: Peer;
  /** Where its sockets are bound: `host` and the port, which is self.addr unless it advertises another address. */
  readonly listening: string;
  /** Settles once the peer has stopped and its sockets are closed. */
  readonly stopped: Promise<StopInfo>;
  /** Graceful leave: records to the successor, neighbours told; settles when stopped. */
  leave(): Promise<StopInfo>;
  /** Abrupt stop, as if the process were killed: nothing is sent, sockets just close. */
  close(): Promise<StopInfo>;
  /** What the limits are holding now. */
  stats(): TransportStats;
}

/** What an undelivered stream message was, for the core's send-failed input. */
interface Outgoing {
  readonly to: Peer;
  readonly msg: Msg;
}

/** A datagram being answered: where it came from and how large it was. */
interface Question {
  readonly source: string;
  readonly bytes: number;
}

interface Queued {
  readonly input: Input;
  readonly question: Question | null;
}

export async function startPeer(o: PeerOptions): Promise<PeerHandle> {
  const cfg = runtimeConfig(o.bits, o.replicas ?? 3, o.pingInterval ?? DEFAULT_PING_MS, o.config);
  const errors = validateConfig(cfg);
  if (errors.length > 0) throw new Error(errors.join('; '));
  if (o.id !== undefined && (o.id < 0n || o.id >= 1n << BigInt(o.bits))) throw new Error(`peer ID ${o.id} is outside the ${o.bits}-bit identifier space`);
  const host = o.host ?? '127.0.0.1';
  const problem = listenProblem(host, o.advertise);
  if (problem !== null) throw new Error(problem);
  const driver = new Driver(cfg, o.onLog ?? (() => undefined), o.dropLogMs);
  await driver.listen({ host, advertise: o.advertise ?? null, port: o.port ?? 0 }, o.id, o.ringKey ?? null, { ...DEFAULT_LIMITS, ...o.limits }, o.dataDir ?? null);
  driver.feed(startInput(o.start));
  return driver.handle();
}

function startInput(start: Start): Input {
  if (start.kind === 'init') return { kind: 'init', succs: start.succs, pred: start.pred ?? null };
  return start;
}

class Driver {
  private state!: PeerState;
  private transport!: Transport<Outgoing>;
  /** The one OS timer, for the core's next deadline, and the deadline it is set for. */
  private wake: NodeJS.Timeout | undefined;
  private wakeFor: number | null = null;
  private readonly queue: Queued[] = [];
  /** The datagram whose step is running, if it is one: datagrams back to its source answer it. */
  private question: Question | null = null;
  /** Null on a keyed ring, whose members are trusted. */
  private identities: Identities | null = null;
  private busy = false;
  private readonly waiting = new Map<number, { op: Command['op']; resolve: (r: Reply) => void }>();
  private nextRid = 1;
  private failed = false;
  private stopping: Promise<StopInfo> | null = null;
  private resolveStopped!: (info: StopInfo) => void;
  private readonly stopped = new Promise<StopInfo>((resolve) => (this.resolveStopped = resolve));
  private handleOnce: PeerHandle | null = null;
  private readonly drops: DropLog;
  /** Where the records are kept, with `--data-dir`. */
  private store: RecordStore | null = null;

  constructor(
    private readonly cfg: Config,
    private readonly onLog: (event: LogEvent) => void,
    dropLogMs: number | undefined,
  ) {
    this.drops = new DropLog((reason) => this.problem(reason), dropLogMs);
  }

  async listen(at: Pick<TransportOptions, 'host' | 'advertise' | 'port'>, id: bigint | undefined, key: RingKey | null, limits: Limits, dataDir: string | null): Promise<void> {
    const report = { problem: (reason: string) => this.problem(reason), drop: (kind: DropKind, detail: string) => this.drops.drop(kind, detail) };
    this.transport = await Transport.listen<Outgoing>({ ...at, connectTimeout: this.cfg.rpcTimeout, key, limits }, {
      datagram: (bytes, from) => this.receiveDatagram(bytes, from),
      peerStream: (_from, close) => this.peerStream(close),
      client: (socket, early, options) => serveClient(socket, early, this.handle(), report, options),
      refuseClient,
      undelivered: (out) => this.feed({ kind: 'send-failed', to: out.to, msg: out.msg }),
      ...report,
    });
    // No socket event can come before this line: it runs in the same microtask chain as the bind.
    const addr = this.transport.addr;
    const point = id === undefined ? keyOf(addr, this.cfg.bits) : pointOfBigInt(id, this.cfg.bits);
    const self = { id: point.id, k: point.k, addr };
    try {
      this.store = dataDir === null ? null : RecordStore.open(dataDir, self, this.cfg.bits);
      this.state = initState(this.cfg, self, this.store?.load(this.cfg.bits));
    } catch (err) {
      await this.store?.close();
      await this.transport.close(false);
      throw err;
    }
    if (key !== null) return;
    this.identities = new Identities({
      self: this.state.self,
      wire: {
        datagram: (to, bytes) => void this.transport.sendDatagram(to, bytes),
        onOpenStream: (to, bytes) => this.transport.sendOnOpenStream(to, bytes),
      },
      proofTimeoutMs: this.cfg.rpcTimeout,
      // Our own pings then carry a fresh challenge every other round at most.
      rechallengeMs: Math.min(this.cfg.rpcTimeout / 4, this.cfg.pingInterval / 2),
      holdBytes: MAX_MESSAGE_BYTES,
      account: this.transport.budget,
    });
  }

  private receiveDatagram(bytes: Buffer, source: string): void {
    if (isControl(bytes)) {
      const control = decodeControl(bytes);
      if (this.identities === null || control === null) return this.drops.drop('malformed datagrams', `UDP from ${source}: ${control === null ? 'a malformed identity challenge or echo' : 'an identity challenge or echo on a keyed ring'}; dropped`);
      return this.identities.controlDatagram(control, source);
    }
    const payload = unpad(bytes);
    if (typeof payload === 'string') return this.drops.drop('malformed datagrams', `UDP from ${source}: ${payload}; dropped`);
    const d = decode(payload, this.cfg.bits, MAX_MESSAGE_BYTES);
    if (!d.ok) return this.drops.drop('malformed datagrams', `UDP from ${source}: ${d.error}; dropped`);
    if (!mayComeByDatagram(d.msg.t)) return this.drops.drop('messages by datagram that only come by stream', `UDP from ${source}: a ${d.msg.t}, which only comes by stream; dropped`);
    const input: Input = { kind: 'deliver', from: d.from, msg: d.msg, channel: 'dgram' };
    // A keyed ring's datagrams are sealed for this peer by a member, who is trusted with its answers' size.
    if (this.identities === null) return this.feed(input);
    const deliver = () => this.feed(input, { source, bytes: bytes.length });
    if (this.identities.datagram(d.from, source, bytes.length, deliver) === 'not from its address') {
      this.drops.drop('datagrams not from the address they claim', `UDP from ${source}: a ${d.msg.t} claiming to be from ${d.from.addr}; dropped`);
    }
  }

  private peerStream(close: (reason: string) => void): PeerStreamSink {
    const gate = this.identities?.stream(close) ?? null;
    return {
      message: (bytes) => {
        if (isControl(bytes)) {
          const control = decodeControl(bytes);
          if (gate === null || control === null) return control === null ? 'a malformed identity echo' : 'an identity echo on a keyed ring';
          return gate.control(control);
        }
        const d = decode(bytes, this.cfg.bits, MAX_MESSAGE_BYTES);
        if (!d.ok) return d.error;
        const deliver = () => this.feed({ kind: 'deliver', from: d.from, msg: d.msg, channel: 'stream' });
        if (gate !== null) return gate.offer(d.from, bytes.length + HEADER_BYTES, deliver);
        deliver();
        return null;
      },
      closed: () => gate?.stop(),
    };
  }

  handle(): PeerHandle {
    this.handleOnce ??= {
      self: this.state.self,
      listening: this.transport.listening,
      config: this.cfg,
      stopped: this.stopped,
      state: () => this.state,
      put: (key, value) => this.command((rid) => ({ op: 'put', rid, key: keyOf(key, this.cfg.bits), value })),
      get: (key) => this.command((rid) => ({ op: 'get', rid, key: keyOf(key, this.cfg.bits) })),
      leave: async () => {
        const reply = await this.command((rid) => ({ op: 'leave', rid }));
        if (!reply.ok && reply.error !== 'stopped') throw new Error(`cannot leave: ${describeError(reply.error)}`);
        return this.stopped;
      },
      close: () => this.shutdown('closed', 'closed', false),
      stats: () => this.transport.stats(),
    };
    return this.handleOnce;
  }

  /** Runs inputs through `step` one at a time, also those that arrive while effects execute. */
  feed(input: Input, question: Question | null = null): void {
    if (this.stopping) return;
    this.queue.push({ input, question });
    if (this.busy) return;
    this.busy = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        const { state, effects } = step(this.state, next.input, performance.now());
        // Write-ahead: what the step stored is on disk before anything it sends says so.
        if (!this.persist(state)) return;
        this.state = state;
        this.question = next.question;
        for (const e of effects) this.execute(e);
      }
    } finally {
      this.busy = false;
      this.question = null;
    }
    this.rewake();
  }

  /**
   * Writes the records `next` holds that the current state does not. False when the disk
   * refused them: the peer then stops as if it had crashed, its step's effects never carried out,
   * since it can no longer keep what it would acknowledge.
   */
  private persist(next: PeerState): boolean {
    if (this.store === null || next.records === this.state.records) return true;
    try {
      this.store.persist(next.records.changedSince(this.state.records));
      return true;
    } catch (err) {
      const reason = `cannot write records to disk: ${(err as Error).message}`;
      this.problem(`${reason}; stopping`);
      void this.shutdown(reason, 'failed', false);
      return false;
    }
  }

  /**
   * Keeps the one OS timer on the core's next deadline. A timer that fires a hair early finds
   * nothing due, and is set again for the same deadline by the step it feeds.
   */
  private rewake(): void {
    if (this.stopping) return;
    const deadline = nextDeadline(this.state);
    if (deadline === this.wakeFor) return;
    clearTimeout(this.wake);
    this.wakeFor = deadline;
    if (deadline === null) return;
    this.wake = setTimeout(() => {
      this.wakeFor = null;
      this.feed({ kind: 'tick' });
    }, Math.max(0, Math.ceil(deadline - performance.now())));
  }

  private command(make: (rid: number) => Command): Promise<Reply> {
    const cmd = make(this.nextRid++);
    if (this.stopping) return Promise.resolve(stoppedReply(cmd.op));
    return new Promise((resolve) => {
      this.waiting.set(cmd.rid, { op: cmd.op, resolve });
      this.feed({ kind: 'command', cmd });
    });
  }

  private execute(e: Effect): void {
    switch (e.kind) {
      case 'send':
        return this.send(e.to, e.msg, e.channel);
      case 'reply': {
        const w = this.waiting.get(e.rid);
        this.waiting.delete(e.rid);
        return w?.resolve(e.reply);
      }
      case 'log':
        if (e.event.ev === 'join-failed') this.failed = true;
        // A connection that carried messages into a partition holds them in TCP's retransmissions,
        // backed off: after a cut of ten seconds the next try can be thirteen away, and each try
        // lost doubles it, so a healed ring would wait that long for whatever goes that way. To
        // the core the peer is gone, and what the connection holds is counted as undelivered; the
        // next message to it, a re-probe answered, opens a fresh one.
        if (e.event.ev === 'peer-gone') this.transport.dropOutbound(e.event.peer.addr, `peer ${e.event.peer.addr} declared gone`);
        return this.onLog(e.event);
      case 'stopped':
        void this.shutdown(e.reason, this.failed ? 'failed' : 'left', true);
        return;
    }
  }

  private send(to: Peer, msg: Msg, channel: Channel): void {
    const self = this.state.self;
    let size: number;
    try {
      size = encodedSize(self, msg);
    } catch (err) {
      return this.problem(`cannot encode ${msg.t} for ${to.addr}: ${(err as Error).message}`);
    }
    // A stream message is made when the buffer budget has room for it, not before.
    if (channel === 'stream') return this.transport.sendStream(to.addr, { size, make: () => encode(self, msg) }, { to, msg });
    const bytes = padQuestion(encode(self, msg), to, msg);
    this.identities?.sending(to);
    const q = this.question;
    if (q !== null && q.source === to.addr && bytes.length > q.bytes) {
      return this.drops.drop('datagram answers larger than their question', `UDP to ${to.addr}: a ${msg.t} of ${bytes.length} bytes would answer a datagram of ${q.bytes}; not sent`);
    }
    const error = this.transport.sendDatagram(to.addr, bytes);
    if (error !== null) this.problem(`UDP to ${to.addr}: ${error}; dropped`);
  }

  private problem(reason: string): void {
    this.onLog({ ev: 'bad-input', reason });
  }

  private shutdown(reason: string, how: StopInfo['how'], flush: boolean): Promise<StopInfo> {
    this.stopping ??= (async () => {
      clearTimeout(this.wake);
      this.queue.length = 0;
      for (const w of this.waiting.values()) w.resolve(stoppedReply(w.op));
      this.waiting.clear();
      await this.transport.close(flush);
      await this.store?.close();
      this.drops.close();
      const info = { reason, how };
      this.resolveStopped(info);
      return info;
    })();
    return this.stopping;
  }
}


function stoppedReply(op: Command['op']): Reply {
  return { ok: false, op, error: 'stopped', hops: 0 };
}
