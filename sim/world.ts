/**
 * The simulated world: machines keyed by address, one event queue in virtual time, the network
 * between them. It turns events into core inputs and core effects into events, and offers the
 * lifecycle primitives (boot, kill, command, cut) that scenario operations are made of; which
 * operation is valid when is decided in ops.ts, never here.
 *
 * Determinism: the only randomness comes from seeded streams, nothing reads a clock, and every
 * iteration is over an array or a Map whose insertion order the run itself fixes.
 */
import { decode, encode } from '../core/codec';
import { defaultConfig } from '../core/config';
import { step } from '../core/step';
import type { Command, Config, Effect, Input, LogEvent, Msg, Peer, PeerState, Reply, TimerName } from '../core/types';
import { Checks, MAX_PER_INVARIANT } from './checks';
import { FaultLog } from './faults';
import { EventQueue } from './heap';
import { safetyViolations } from './invariants';
import { Network, type Transit } from './network';
import { peerOfAddr, SimPeer } from './peer';
import { Rng } from './rng';
import type { Scenario } from './scenario';
import { Trace, type TraceSink } from './trace';
import { describeRequest, Workload } from './workload';

/** A message as it travels: the message itself, or its wire bytes when the codec is in use. */
interface Encoded {
  /** The sender's own message, for the trace and for a send-failed input. */
  readonly msg: Msg;
  readonly bytes: Uint8Array;
}
type Payload = Msg | Encoded;

interface TimerEvent {
  readonly kind: 'timer';
  readonly peer: SimPeer;
  readonly inc: number;
  readonly name: TimerName;
  readonly arg: number;
  readonly gen: number;
}

interface CallEvent {
  readonly kind: 'call';
  readonly run: () => void;
}

type SimEvent = Transit<Payload> | TimerEvent | CallEvent;

export interface WorldOptions {
  readonly trace?: TraceSink;
  /** Check the safety invariants after every event that changes a peer; costs O(peers) per event. */
  readonly checkSafety?: boolean;
  /** Watchers for a narrated run (the demo): a peer's log events and the replies to requests. */
  readonly onLog?: (ms: number, peer: Peer, event: LogEvent) => void;
  /** `what` names the request: "put KEY", "get KEY", "leave" or "final read KEY". */
  readonly onReply?: (ms: number, peer: Peer, what: string, reply: Reply) => void;
}

/** The core's defaults, overridden by whichever timing fields the scenario sets. */
export function scenarioConfig(s: Scenario): Config {
  // A field set to undefined keeps the default, like one left out.
  const set = Object.entries(s.timing).filter(([, value]) => value !== undefined);
  return { ...defaultConfig(s.bits, s.replicas), ...Object.fromEntries(set) };
}

/**
 * How long a stream message keeps trying across a partition before the connection breaks, like
 * TCP retransmission giving up: longer than the core's RPC timeout, so the core's own timeouts
 * decide first whether a peer is slow or gone, yet short enough that a long partition surfaces
 * as broken connections rather than messages delivered long after their senders moved on.
 */
export function streamTimeout(cfg: Config): number {
  return 3 * cfg.rpcTimeout;
}

function isLiveMember(peer: SimPeer | undefined): boolean {
  return peer !== undefined && peer.alive && peer.state.phase === 'member';
}

function messageOf(p: Payload): Msg {
  return 'bytes' in p ? p.msg : p;
}

export class World {
  now = 0;
  events = 0;
  /** Every machine the world ever had, in creation order. */
  readonly peers: SimPeer[] = [];
  readonly cfg: Config;
  readonly trace: Trace;
  readonly workload: Workload;
  readonly faults: FaultLog;
  readonly checks = new Checks();
  private readonly byAddr = new Map<string, SimPeer>();
  private readonly queue = new EventQueue<SimEvent>();
  private readonly network: Network<Payload>;
  private readonly clocks: Rng;
  private readonly opts: WorldOptions;
  private nextInc = 1;
  /** Some peer's liveness, phase or successor list changed during the current event. */
  private changed = false;
  private safetyFindings = 0;

  constructor(
    private readonly scenario: Scenario,
    opts: WorldOptions = {},
  ) {
    this.cfg = scenarioConfig(scenario);
    this.trace = new Trace(opts.trace);
    this.workload = new Workload(scenario.bits);
    this.faults = new FaultLog(this.cfg, scenario.replicas, this.peers);
    this.clocks = new Rng(scenario.seed, 'clock');
    this.opts = opts;
    const host = {
      incarnation: (addr: string) => this.incarnation(addr),
      schedule: (at: number, t: Transit<Payload>) => this.queue.push(at, t),
    };
    this.network = new Network(scenario.network, scenario.faultsUntil, streamTimeout(this.cfg), new Rng(scenario.seed, 'network'), host);
  }

  peerAt(addr: string): SimPeer | undefined {
    return this.byAddr.get(addr);
  }

  /** Runs `run` at virtual time `at`, after everything already due then. */
  at(at: number, run: () => void): void {
    this.queue.push(at, { kind: 'call', run });
  }

  /** Processes events due by `limit`, or until `done` holds after an event. */
  runUntil(limit: number, done?: () => boolean): void {
    for (let t = this.queue.peekTime(); t <= limit; t = this.queue.peekTime()) {
      const ev = this.queue.pop() as SimEvent;
      this.now = t;
      this.events++;
      this.dispatch(ev);
      if (this.changed) this.afterChange();
      if (done !== undefined && done()) return;
    }
    if (limit > this.now) this.now = limit;
  }

  /** Starts a new incarnation of the machine at `id` (created on first use) with its first input. */
  boot(id: string, first: Input): void {
    let peer = this.byAddr.get(id);
    if (peer === undefined) {
      const skew = this.scenario.network.clockSkew;
      peer = new SimPeer(id, this.cfg, 1 + this.clocks.uniform(-skew, skew));
      this.byAddr.set(id, peer);
      this.peers.push(peer);
    }
    peer.begin(this.nextInc++, this.now);
    this.input(peer, first);
  }

  /** The machine stops at once and loses its state; what waited on it is abandoned. */
  halt(peer: SimPeer): void {
    peer.alive = false;
    this.changed = true;
    this.workload.abandon(peer.self.addr);
    this.faults.checkStranding(this.peers, this.liveAt);
  }

  command(peer: SimPeer, cmd: Command): void {
    this.trace.command(this.now, peer.self.id, cmd.op, cmd.rid, cmd.op === 'leave' ? '' : cmd.key.name);
    this.input(peer, { kind: 'command', cmd });
  }

  cut(group: readonly string[], until: number): void {
    this.network.cut(group, this.now, until);
  }

  private incarnation(addr: string): number {
    const p = this.byAddr.get(addr);
    return p !== undefined && p.alive ? p.inc : 0;
  }

  private dispatch(ev: SimEvent): void {
    switch (ev.kind) {
      case 'transit':
        return this.arrive(ev);
      case 'timer':
        return this.fire(ev);
      case 'call':
        return ev.run();
    }
  }

  private fire(ev: TimerEvent): void {
    const peer = ev.peer;
    if (!peer.alive || peer.inc !== ev.inc || !peer.fire(ev.name, ev.arg, ev.gen)) return;
    this.trace.timer(this.now, peer.self.id, ev.name, ev.arg);
    this.input(peer, { kind: 'timer', name: ev.name, arg: ev.arg });
  }

  private arrive(t: Transit<Payload>): void {
    const arrival = this.network.arrive(t, this.now);
    if (arrival === 'deliver') return this.deliver(t);
    const msg = messageOf(t.payload);
    if (arrival !== 'fail') return this.trace.drop(this.now, t.to, msg.t, t.from, arrival);
    const sender = this.byAddr.get(t.from) as SimPeer;
    this.trace.sendFailed(this.now, t.from, msg, t.to);
    this.input(sender, { kind: 'send-failed', to: this.byAddr.get(t.to)?.self ?? peerOfAddr(t.to), msg });
  }

  private deliver(t: Transit<Payload>): void {
    const receiver = this.byAddr.get(t.to) as SimPeer;
    let from: Peer;
    let msg: Msg;
    if ('bytes' in t.payload) {
      const d = decode(t.payload.bytes, this.cfg.bits);
      if (!d.ok || d.from.id !== t.from) {
        const why = d.ok ? `sender decoded as ${d.from.id}` : d.error;
        this.checks.add('Codec', `${t.payload.msg.t} from ${t.from} to ${t.to}: ${why}`, this.now);
        return this.trace.drop(this.now, t.to, t.payload.msg.t, t.from, 'codec');
      }
      from = d.from;
      msg = d.msg;
    } else {
      from = (this.byAddr.get(t.from) as SimPeer).self;
      msg = t.payload;
    }
    this.trace.deliver(this.now, t.to, msg, t.from);
    this.input(receiver, { kind: 'deliver', from, msg, channel: t.channel });
  }

  private input(peer: SimPeer, input: Input): void {
    const before = peer.state;
    const result = step(before, input, peer.localTime(this.now));
    peer.state = result.state;
    // The safety invariants read only liveness, phases and successor lists.
    if (result.state.succs !== before.succs || result.state.phase !== before.phase) this.changed = true;
    for (const e of result.effects) this.effect(peer, e, before);
  }

  private readonly liveAt = (addr: string): boolean => this.byAddr.get(addr)?.alive === true;


  /** `before`: the peer's state before the step that had this effect. */
  private effect(peer: SimPeer, e: Effect, before: PeerState): void {
    switch (e.kind) {
      case 'send': {
        const payload = this.scenario.useCodec ? { msg: e.msg, bytes: encode(peer.self, e.msg) } : e.msg;
        const outcome = this.network.send(this.now, peer.self.addr, peer.inc, e.to.addr, payload, e.channel);
        if (outcome !== 'sent') this.trace.drop(this.now, e.to.addr, e.msg.t, peer.self.addr, outcome);
        return;
      }
      case 'timer': {
        const gen = peer.arm(e.name, e.arg);
        this.queue.push(this.now + peer.virtualDelay(e.delay), { kind: 'timer', peer, inc: peer.inc, name: e.name, arg: e.arg, gen });
        return;
      }
      case 'reply': {
        this.trace.reply(this.now, peer.self.id, e.reply.op, e.rid, e.reply.ok ? null : e.reply.error);
        if (e.reply.ok && e.reply.op === 'leave' && e.reply.kept > 0) this.leftWithRecords(peer, e.reply.kept);
        const req = this.workload.reply(e.rid, e.reply, this.now);
        if (req !== undefined && this.opts.onReply) this.opts.onReply(this.now, peer.self, describeRequest(req), e.reply);
        return;
      }
      case 'log':
        // A live member declared gone was a false alarm.
        if (e.event.ev === 'peer-gone' && e.event.how !== 'left' && isLiveMember(this.byAddr.get(e.event.peer.addr))) this.faults.falseAlarm(before.succs, e.event.peer, this.liveAt);
        if (this.opts.onLog) this.opts.onLog(this.now, peer.self, e.event);
        return this.trace.log(this.now, peer.self.id, e.event);
      case 'stopped':
        this.trace.op(this.now, peer.self.id, 'stopped', e.reason);
        return this.halt(peer);
    }
  }

  /**
   * A leave that gave up with records counts as a kill. Within the failure model, on streams that
   * never fail and a network never cut, one of its heirs (its successors and predecessor) was
   * alive and reachable all along, unless it was the ring's last member: giving up is then the
   * protocol's fault, a HandOver violation.
   */
  private leftWithRecords(peer: SimPeer, kept: number): void {
    const reliable = this.scenario.network.streamFailure === 0 && !this.faults.everCut;
    const others = this.peers.some((p) => p !== peer && isLiveMember(p));
    if (this.opts.checkSafety && reliable && others && this.faults.assumptionHeld) {
      this.checks.add('HandOver', `${peer.self.id} left with ${kept} record(s) no neighbour acknowledged`, this.now);
    }
    this.faults.leftWithRecords(peer.self.id, this.now);
  }

  /** Safety is checked while the run stays within the failure model and before it has failed enough. */
  private afterChange(): void {
    this.changed = false;
    const f = this.faults;
    if (!this.opts.checkSafety || f.everCut || f.strandedByFalseAlarm || !f.assumptionHeld || this.safetyFindings >= MAX_PER_INVARIANT) return;
    const found = this.checks.counted(safetyViolations(this.peers));
    this.safetyFindings += found.length;
    this.checks.record(found, this.now);
  }
}
