/**
 * Many cores over an in-memory network, for tests of the rules between peers (as raft's
 * `network` and quinn's `Pair`): every message arrives after a fixed latency, in the order it
 * was sent, unless the test's `drop` filter says otherwise; a send to a peer that is not running
 * comes back as a send failure (streams) or vanishes (datagrams). Time moves to whichever comes
 * first, the next arrival or the earliest deadline of any peer, so a test says "run for 5 s" and
 * the rounds, timeouts and retries happen as they would. No randomness: ties go by send order,
 * then by the order the peers were added. Kept out of the mutation run: it is test code.
 */
import { nextDeadline } from '../deadlines';
import { initState, step } from '../step';
import type { Channel, Command, Config, Effect, Input, Msg, Peer, PeerState, Reply } from '../types';

interface Arrival {
  readonly at: number;
  readonly from: Peer;
  readonly to: Peer;
  readonly msg: Msg;
  readonly channel: Channel;
  /** A stream send the test's filter failed: the sender hears of it when it would have arrived. */
  readonly failed: boolean;
}

export interface CoreNetOptions {
  /** Virtual ms a message takes. */
  readonly latency?: number;
  /** Messages for which this holds are lost (a datagram) or fail (a stream: the sender hears). */
  readonly drop?: (msg: Msg, from: Peer, to: Peer, channel: Channel) => boolean;
}

export class CoreNet {
  now = 0;
  /** Every reply a peer gave, in order. */
  readonly replies: { readonly at: number; readonly peer: string; readonly rid: number; readonly reply: Reply }[] = [];
  private readonly states = new Map<string, PeerState>();
  private readonly running = new Set<string>();
  private inflight: Arrival[] = [];
  private nextRid = 1;

  constructor(
    private readonly cfg: Config,
    private readonly opts: CoreNetOptions = {},
  ) {}

  /** Starts `self` with its first input (create, init or join). */
  start(self: Peer, first: Input): void {
    this.states.set(self.addr, initState(this.cfg, self));
    this.running.add(self.addr);
    this.input(self.addr, first);
  }

  /** The peer stops at once and loses its state, as a killed process does. */
  kill(addr: string): void {
    this.running.delete(addr);
  }

  state(addr: string): PeerState {
    const s = this.states.get(addr);
    if (s === undefined) throw new Error(`no peer ${addr}`);
    return s;
  }

  alive(): PeerState[] {
    return [...this.running].map((addr) => this.state(addr)).filter((s) => s.phase.name !== 'stopped');
  }

  /** Sends a client command to `addr`; returns its rid, whose reply lands in `replies`. */
  command(addr: string, make: (rid: number) => Command): number {
    const cmd = make(this.nextRid++);
    this.input(addr, { kind: 'command', cmd });
    return cmd.rid;
  }

  reply(rid: number): Reply | undefined {
    return this.replies.find((r) => r.rid === rid)?.reply;
  }

  /** Runs every arrival and deadline up to `now + ms`. */
  runFor(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const next = this.nextEvent();
      if (next === null || next.at > end) break;
      this.now = next.at;
      next.run();
    }
    this.now = end;
  }

  private nextEvent(): { at: number; run: () => void } | null {
    let best: { at: number; run: () => void } | null = null;
    const arrival = this.inflight[0];
    if (arrival !== undefined) best = { at: arrival.at, run: () => this.arrive(this.inflight.shift() as Arrival) };
    for (const addr of this.running) {
      const at = nextDeadline(this.state(addr));
      if (at !== null && (best === null || at < best.at)) best = { at: Math.max(at, this.now), run: () => this.input(addr, { kind: 'tick' }) };
    }
    return best;
  }

  private arrive(a: Arrival): void {
    if (!a.failed && this.running.has(a.to.addr)) return this.input(a.to.addr, { kind: 'deliver', from: a.from, msg: a.msg, channel: a.channel });
    if (a.channel === 'stream' && this.running.has(a.from.addr)) this.input(a.from.addr, { kind: 'send-failed', to: a.to, msg: a.msg });
  }

  private input(addr: string, input: Input): void {
    if (!this.running.has(addr)) return;
    const { state, effects } = step(this.state(addr), input, this.now);
    this.states.set(addr, state);
    for (const e of effects) this.effect(state.self, e);
  }

  private effect(self: Peer, e: Effect): void {
    switch (e.kind) {
      case 'send': {
        const dropped = this.opts.drop?.(e.msg, self, e.to, e.channel) ?? false;
        if (dropped && e.channel === 'dgram') return;
        // One latency for all keeps the queue in time order as it is appended to.
        this.inflight.push({ at: this.now + (this.opts.latency ?? 1), from: self, to: e.to, msg: e.msg, channel: e.channel, failed: dropped });
        return;
      }
      case 'reply':
        this.replies.push({ at: this.now, peer: self.addr, rid: e.rid, reply: e.reply });
        return;
      case 'stopped':
        this.running.delete(self.addr);
        return;
      case 'log':
        return;
    }
  }
}
