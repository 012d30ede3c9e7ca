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
import { isReady } from '../core/coverage';
import { describeDue, dueAt, nextDeadline } from '../core/deadlines';
import { describeMessage } from '../core/describe';
import { leaveOf } from '../core/phase';
import { step } from '../core/step';
import type { Command, Config, Effect, Input, LogEvent, Msg, Peer, PeerState, Reply } from '../core/types';
import { Checks, MAX_PER_SIGNATURE } from './checks';
import { FaultLog, repairWindow } from './faults';
import { EventQueue } from './heap';
import { firstStranded, participates, safetyViolations, type Finding } from './invariants';
import { handOffGaps, lists, predecessorMove, undetected } from './oracles';
import { Network, type Transit } from './network';
import { SimPeer } from './peer';
import { Rng } from './rng';
import type { Scenario } from './scenario';
import { Trace, type TraceEventSink, type TraceSink } from './trace';
import { describeRequest, Workload } from './workload';

/** A message as it travels: the message itself, or its wire bytes when the codec is in use. */
interface Encoded {
  /** The sender's own message, for the trace and for a send-failed input. */
  readonly msg: Msg;
  readonly bytes: Uint8Array;
}
type Payload = Msg | Encoded;

/** A machine's wake-up for its core's next deadline, at virtual time `at`. */
interface WakeEvent {
  readonly kind: 'wake';
  readonly peer: SimPeer;
  readonly inc: number;
  readonly at: number;
}

interface CallEvent {
  readonly kind: 'call';
  readonly run: () => void;
}

type SimEvent = Transit<SimPeer, Payload> | WakeEvent | CallEvent;

export interface WorldOptions {
  readonly trace?: TraceSink;
  /** The trace as data, for a picture of the run. */
  readonly events?: TraceEventSink;
  /** Check the safety invariants after every event that changes a peer; costs O(peers) per event. */
  readonly checkSafety?: boolean;
  /** Watchers for a narrated run (the demo): a peer's log events and the replies to requests. */
  readonly onLog?: (ms: number, peer: Peer, event: LogEvent) => void;
  /** `what` names the request: "put KEY", "get KEY", "leave" or "final read KEY". */
  readonly onReply?: (ms: number, peer: Peer, what: string, reply: Reply) => void;
  /** Called every PROGRESS_EVERY events, for a progress line; it only watches the run. */
  readonly onProgress?: (p: RunProgress) => void;
}

export interface RunProgress {
  readonly virtualMs: number;
  readonly events: number;
  readonly alive: number;
}

const PROGRESS_EVERY = 1 << 16;

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
  return peer !== undefined && peer.alive && peer.state.phase.name === 'member';
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
  private readonly network: Network<SimPeer, Payload>;
  private readonly clocks: Rng;
  private readonly opts: WorldOptions;
  private nextInc = 1;
  /** Messages handed to the network so far: each send's number in the trace. */
  private sends = 0;
  /** Some peer's liveness, phase or successor list changed during the current event. */
  private changed = false;
  private safetyFindings = 0;
  /** Peers whose leave handed everything over and told the predecessor, until they stop. */
  private readonly handedOver = new Set<SimPeer>();

  constructor(
    private readonly scenario: Scenario,
    opts: WorldOptions = {},
  ) {
    this.cfg = scenarioConfig(scenario);
    this.trace = new Trace(opts.trace, opts.events);
    this.faults = new FaultLog(this.cfg, scenario.replicas, this.peers);
    this.workload = new Workload(scenario.bits, () => this.faults.readsChecked);
    this.clocks = new Rng(scenario.seed, 'clock');
    this.opts = opts;
    const host = {
      incarnation: (p: SimPeer) => (p.alive ? p.inc : 0),
      schedule: (at: number, t: Transit<SimPeer, Payload>) => this.queue.push(at, t),
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
      // A wake-up a later step moved is no event: nothing was due then.
      if (ev.kind === 'wake' && !this.current(ev)) continue;
      this.now = t;
      this.events++;
      this.dispatch(ev);
      if (this.changed) this.afterChange();
      if (this.opts.onProgress !== undefined && this.events % PROGRESS_EVERY === 0) {
        this.opts.onProgress({ virtualMs: t, events: this.events, alive: this.peers.filter((p) => p.alive).length });
      }
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
    // The initial ring is there from the outset, before any window of the failure model.
    peer.begin(this.nextInc++, first.kind === 'init' ? -Infinity : this.now);
    this.input(peer, first);
  }

  /**
   * The machine stops at once and loses its state; what waited on it is abandoned. A departure
   * that leaves a live peer that listed it no live successor is outside Zave's failure assumption
   * from then on, unless false alarms had just shortened that peer's list (see
   * FaultLog.falseAlarm); if it was a graceful leave that handed everything over and told its
   * predecessor, stranding a peer is also the protocol's fault, a violation (a leaver killed
   * while it lingers is a kill).
   */
  halt(peer: SimPeer, stopped = false): void {
    const gracefully = this.handedOver.delete(peer) && stopped;
    peer.alive = false;
    this.changed = true;
    this.workload.abandon(peer.self.addr);
    // Only a peer whose list had it in it is stranded by this departure: one whose one successor
    // is a joiner not yet accepted has no live member successor whoever departs elsewhere (found
    // by the fuzzer once peers kept joining successors: properties/regressions/
    // leave-elsewhere-beside-joining-successor.json).
    const stranded = this.faults.assumptionHeld ? firstStranded(this.peers, this.memberAt, peer.self) : undefined;
    if (stranded === undefined) return;
    if (this.faults.shortenedBy(stranded.self.addr, this.now).length > 0) {
      this.faults.strandedByFalseAlarm = true;
      return;
    }
    if (gracefully && this.opts.checkSafety && this.faults.safetyChecked) {
      this.finding({ invariant: 'Stranded', kind: 'graceful-leave', detail: `${peer.self.id} left gracefully and left peer ${stranded.self.id} no live successor` });
    }
    this.faults.assumptionHeld = false;
  }

  /**
   * After a kill: each live member that listed the killed peer must have dropped it within one
   * repair window (stretched by the largest clock-rate error), unless the peer has come back
   * since.
   */
  watchDetection(killed: SimPeer): void {
    if (!this.opts.checkSafety) return;
    const watchers = this.peers.filter((v) => v !== killed && participates(v) && lists(v.state, killed.self)).map((v) => ({ v, inc: v.inc }));
    if (watchers.length === 0) return;
    const after = repairWindow(this.cfg) * (1 + this.scenario.network.clockSkew);
    const life = killed.inc;
    this.at(this.now + after, () => {
      // Back (and maybe killed again, which has its own deadline): nothing to detect any more.
      if (killed.alive || killed.inc !== life || !this.faults.safetyChecked) return;
      for (const { v, inc } of watchers) {
        if (!v.alive || v.inc !== inc || !participates(v)) continue;
        const late = undetected(v.state, killed.self, after);
        if (late !== null) this.finding(late);
      }
    });
  }

  /** A finding of an oracle applied during the run, which is within the failure model then. */
  private finding(f: Finding): void {
    this.checks.add(f, this.now, true);
  }

  command(peer: SimPeer, cmd: Command): void {
    this.trace.command(this.now, peer.name, cmd.op, cmd.rid, cmd.op === 'leave' ? '' : cmd.key.name);
    this.input(peer, { kind: 'command', cmd });
  }

  /** A stranger's message, delivered at once: it has no machine here, so what `peer` answers it fails as a send to a dead peer would. */
  forge(peer: SimPeer, from: Peer, msg: Msg): void {
    this.trace.op(this.now, peer.name, 'forge', `from=${from.id} ${msg.t} ${describeMessage(msg)}`);
    this.input(peer, { kind: 'deliver', from, msg, channel: 'stream' });
  }

  cut(group: readonly string[], until: number): void {
    const ids = new Set(group);
    this.network.cut((p) => ids.has(p.self.addr), this.now, until);
  }

  /**
   * The machine at `addr`, for a message sent there. Every address a peer learns comes from a
   * machine the world booted; an address that does not would get a machine that never runs, so
   * that a message to it fails as one to a dead peer does.
   */
  private machineAt(addr: string): SimPeer {
    let p = this.byAddr.get(addr);
    if (p === undefined) {
      p = new SimPeer(addr, this.cfg, 1);
      this.byAddr.set(addr, p);
    }
    return p;
  }

  private dispatch(ev: SimEvent): void {
    switch (ev.kind) {
      case 'transit':
        return this.arrive(ev);
      case 'wake':
        return this.wake(ev);
      case 'call':
        return ev.run();
    }
  }

  private wake(ev: WakeEvent): void {
    const peer = ev.peer;
    peer.wakeAt = -1;
    const now = peer.localTime(this.now);
    this.trace.tick(this.now, peer.name, () => dueAt(peer.state, now).map(describeDue).join(' '));
    this.input(peer, { kind: 'tick' });
    // A tick must move on whatever was due: one left due would wake the peer again at once,
    // forever. Every delay is positive, so a wake-up queued for this very instant means that.
    if (peer.alive && peer.wakeAt === this.now) {
      this.finding({ invariant: 'Deadline', kind: 'not-moved', detail: `peer ${peer.self.id} ticked and left ${dueAt(peer.state, now).map(describeDue).join(' ')} due` });
      peer.wakeAt = Infinity;
    }
  }

  /** Whether a queued wake-up is still the machine's current one (a later step may have moved it). */
  private current(ev: WakeEvent): boolean {
    return ev.peer.alive && ev.peer.inc === ev.inc && ev.peer.wakeAt === ev.at;
  }

  /** Queues the machine's wake-up for its core's next deadline, unless it is queued already. */
  private rewake(peer: SimPeer): void {
    if (peer.wakeAt === Infinity) return;
    const deadline = nextDeadline(peer.state);
    if (deadline === null) {
      peer.wakeAt = -1;
      return;
    }
    const at = peer.virtualAt(deadline, this.now);
    if (at === peer.wakeAt) return;
    peer.wakeAt = at;
    this.queue.push(at, { kind: 'wake', peer, inc: peer.inc, at });
  }

  private arrive(t: Transit<SimPeer, Payload>): void {
    const arrival = this.network.arrive(t, this.now);
    if (arrival === 'deliver') return this.deliver(t);
    const msg = messageOf(t.payload);
    if (arrival !== 'fail') return this.trace.drop(this.now, t.to.name, msg.t, t.from.name, arrival, t.id);
    this.trace.sendFailed(this.now, t.from.name, msg, t.to.name, t.id);
    this.input(t.from, { kind: 'send-failed', to: t.to.self, msg });
  }

  private deliver(t: Transit<SimPeer, Payload>): void {
    const receiver = t.to;
    const fromAddr = t.from.self.addr;
    let from: Peer;
    let msg: Msg;
    if ('bytes' in t.payload) {
      const d = decode(t.payload.bytes, this.cfg.bits);
      if (!d.ok || d.from.id !== fromAddr) {
        const why = d.ok ? `sender decoded as ${d.from.id}` : d.error;
        this.finding({ invariant: 'Codec', kind: d.ok ? 'sender' : 'decode', detail: `${t.payload.msg.t} from ${fromAddr} to ${receiver.self.addr}: ${why}` });
        return this.trace.drop(this.now, receiver.name, t.payload.msg.t, t.from.name, 'codec', t.id);
      }
      from = d.from;
      msg = d.msg;
    } else {
      from = t.from.self;
      msg = t.payload;
    }
    this.trace.deliver(this.now, receiver.name, msg, t.from.name, t.id);
    this.input(receiver, { kind: 'deliver', from, msg, channel: t.channel });
  }

  private input(peer: SimPeer, input: Input): void {
    const before = peer.state;
    const result = step(before, input, peer.localTime(this.now));
    const after = result.state;
    peer.state = after;
    // The safety invariants read only liveness, phases and successor lists.
    if (after.succs !== before.succs || after.phase.name !== before.phase.name) this.changed = true;
    if ((after.pred !== before.pred || after.held !== before.held || after.ranges !== before.ranges) && this.opts.checkSafety && this.faults.safetyChecked) {
      this.stepOracles(before, after, result.effects, peer.localTime(this.now));
    }
    for (const e of result.effects) this.effect(peer, e, before);
    if (peer.alive) this.rewake(peer);
  }

  /** The oracles about one step: where the predecessor moved, what it holds once ready. */
  private stepOracles(before: PeerState, after: PeerState, effects: readonly Effect[], localNow: number): void {
    const moved = predecessorMove(before, after, effects);
    if (moved !== null) this.finding(moved);
    if (after.phase.name === 'member' && isReady(after, localNow) && !isReady(before, localNow)) {
      for (const gap of handOffGaps(after, this.peers, this.workload.ackedRecords())) this.finding(gap);
    }
  }

  /**
   * Whether a list entry naming `addr` names a live ring member (or a leaver, which tells those
   * pointing at it where to go): a machine restarted under that ID is a new incarnation, still
   * joining, and the entry meant the one that died.
   */
  private readonly memberAt = (addr: string): boolean => {
    const p = this.byAddr.get(addr);
    return p !== undefined && p.alive && (p.state.phase.name === 'member' || p.state.phase.name === 'leaving');
  };


  /** `before`: the peer's state before the step that had this effect. */
  private effect(peer: SimPeer, e: Effect, before: PeerState): void {
    switch (e.kind) {
      case 'send': {
        const payload = this.scenario.useCodec ? { msg: e.msg, bytes: encode(peer.self, e.msg) } : e.msg;
        const id = ++this.sends;
        const to = this.machineAt(e.to.addr);
        this.trace.send(this.now, peer.name, e.msg, to.name, e.channel, id);
        const outcome = this.network.send(this.now, peer, peer.inc, to, payload, e.channel, id);
        if (outcome !== 'sent') this.trace.drop(this.now, to.name, e.msg.t, peer.name, outcome, id);
        return;
      }
      case 'reply': {
        this.trace.reply(this.now, peer.name, e.reply.op, e.rid, e.reply.ok ? null : e.reply.error);
        if (e.reply.ok && e.reply.op === 'leave') {
          if (e.reply.kept > 0 || !e.reply.told) this.leftAsKill(peer, e.reply.kept, e.reply.told);
          else this.handedOver.add(peer);
        }
        const req = this.workload.reply(e.rid, e.reply, this.now, peer.state.phase.name !== 'member');
        if (req !== undefined && this.opts.onReply) this.opts.onReply(this.now, peer.self, describeRequest(req), e.reply);
        return;
      }
      case 'log':
        // A live member declared gone was a false alarm.
        if (e.event.ev === 'peer-gone' && e.event.how !== 'left' && isLiveMember(this.byAddr.get(e.event.peer.addr))) this.faults.falseAlarm(peer.self.addr, before.succs, e.event.peer, this.memberAt, this.now);
        if (this.opts.onLog) this.opts.onLog(this.now, peer.self, e.event);
        return this.trace.log(this.now, peer.name, e.event);
      case 'stopped':
        this.trace.op(this.now, peer.name, 'stopped', e.reason);
        return this.halt(peer, true);
    }
  }

  /**
   * A leave that gave up, with records no heir acknowledged or a predecessor it never told,
   * counts as a kill. Within the failure model, on streams that never fail and a network never
   * cut, its neighbours were alive and reachable all along, unless it was the ring's last
   * member: giving up is then the protocol's fault, a HandOver violation.
   */
  private leftAsKill(peer: SimPeer, kept: number, told: boolean): void {
    const reliable = this.scenario.network.streamFailure === 0 && !this.faults.everCut;
    const others = this.peers.some((p) => p !== peer && isLiveMember(p));
    if (this.opts.checkSafety && reliable && others && this.faults.assumptionHeld) {
      if (kept > 0) this.finding({ invariant: 'HandOver', kind: 'kept-records', detail: `${peer.self.id} left with ${kept} record(s) no neighbour acknowledged` });
      // A predecessor that died meanwhile cannot answer.
      const noticed = leaveOf(peer.state)?.noticed?.to;
      if (!told && noticed !== undefined && isLiveMember(this.byAddr.get(noticed.addr))) {
        this.finding({ invariant: 'HandOver', kind: 'untold', detail: `${peer.self.id} left without its live predecessor ${noticed.id} acknowledging the notice` });
      }
    }
    this.faults.leftWithRecords(peer.self.id, this.now);
  }

  /** Safety is checked while the run stays within the failure model and before it has failed enough. */
  private afterChange(): void {
    this.changed = false;
    const f = this.faults;
    if (!this.opts.checkSafety || !f.safetyChecked || this.safetyFindings >= MAX_PER_SIGNATURE) return;
    const found = this.checks.counted(safetyViolations(this.peers));
    this.safetyFindings += found.length;
    this.checks.record(found, this.now, true);
  }
}
