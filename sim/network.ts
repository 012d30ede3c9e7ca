/**
 * The simulated network between peer addresses. It decides, from the network random stream, when
 * and whether each message arrives; the world owns the event queue and the peers, and reaches
 * this module through `NetHost`, so that the network can be tested with a small fake world.
 *
 * Datagrams: latency uniform in [latencyMin, latencyMax] per copy, which reorders them; lost or
 * duplicated only during the faulty phase; dropped when a partition separates the ends at send or
 * at arrival, or when nobody is alive at the receiver.
 *
 * Streams: a stream message is sent over a connection to one incarnation of the receiver.
 * Per ordered pair they arrive in order (delivery time = max(now + latency, last delivery on the
 * pair)); they are reliable while both ends live. A connection that breaks (the receiver is dead
 * at send or has died or restarted by delivery time, or a faulty-phase stream failure) surfaces
 * as a failure to the sender, at the would-be delivery time and only if the sender is still the
 * same live incarnation. A message in flight from a sender that dies is still delivered: its
 * bytes were already on the wire.
 *
 * Partitions: one at a time; a new partition replaces the active one, which keeps "is this pair
 * cut?" a constant-time question and lets a scenario model a changing split as a sequence.
 * A stream message across the cut behaves like TCP retransmitting until it gives up: delivered
 * after the heal if the heal comes within the stream timeout, else failed at the timeout. A
 * stream message already in flight when a partition starts is delivered.
 */
import type { Channel } from '../core/types';
import type { Rng } from './rng';
import type { NetworkSettings } from './scenario';

export interface Transit<E, P> {
  readonly kind: 'transit';
  readonly from: E;
  readonly fromInc: number;
  readonly to: E;
  /** The receiver's incarnation at send time (streams only): the other end of the connection. */
  readonly toInc: number;
  readonly channel: Channel;
  readonly payload: P;
  /** A stream message whose connection broke at send: the sender hears of it on arrival. */
  readonly broken: boolean;
  /** The number of the send this came from (a duplicated datagram's copies share it), for the trace. */
  readonly id: number;
}

/** E: how the host names an endpoint (an address, or the machine itself: compared by identity). */
export interface NetHost<E, P> {
  /** The live incarnation at `e`, 0 when no peer is alive there. Incarnations are never 0. */
  incarnation(e: E): number;
  schedule(at: number, transit: Transit<E, P>): void;
}

/** What happened at send: `sent` (scheduled, possibly to fail later) or why nothing was. */
export type SendOutcome = 'sent' | 'lost' | 'cut' | 'dead';

/** What a scheduled transit turns into when its time comes. `orphan`: a failure nobody hears. */
export type Arrival = 'deliver' | 'fail' | 'cut' | 'dead' | 'orphan';

interface Partition<E> {
  readonly inGroup: (e: E) => boolean;
  readonly from: number;
  readonly until: number;
}

/**
 * The last scheduled delivery to each receiver a sender's stream messages are in flight to. An
 * entry at or before now constrains nothing (a message sent now arrives no earlier than now), so
 * such entries are dropped whenever the table has doubled since the last sweep: memory follows
 * the pairs with messages in flight, not every pair that ever talked.
 */
class PairTimes<E> {
  private readonly at = new Map<E, number>();
  private sweepAt = 8;

  get(to: E): number {
    return this.at.get(to) ?? 0;
  }

  set(to: E, at: number, now: number): void {
    this.at.set(to, at);
    if (this.at.size < this.sweepAt) return;
    for (const [e, t] of this.at) if (t <= now) this.at.delete(e);
    this.sweepAt = Math.max(8, 2 * this.at.size);
  }
}

export class Network<E, P> {
  private partition: Partition<E> | null = null;
  private readonly lastDelivery = new Map<E, PairTimes<E>>();

  constructor(
    private readonly settings: NetworkSettings,
    private readonly faultsUntil: number,
    /** How long a stream keeps retransmitting across a cut before it gives up. */
    private readonly streamTimeout: number,
    private readonly rng: Rng,
    private readonly host: NetHost<E, P>,
  ) {}

  /** Cuts the group off from everyone else from `now` until `until`, replacing any active cut. */
  cut(inGroup: (e: E) => boolean, now: number, until: number): void {
    this.partition = { inGroup, from: now, until };
  }

  isCut(now: number, a: E, b: E): boolean {
    const p = this.partition;
    return p !== null && now >= p.from && now < p.until && p.inGroup(a) !== p.inGroup(b);
  }

  send(now: number, from: E, fromInc: number, to: E, payload: P, channel: Channel, id = 0): SendOutcome {
    return channel === 'dgram' ? this.sendDatagram(now, from, fromInc, to, payload, id) : this.sendStream(now, from, fromInc, to, payload, id);
  }

  arrive(t: Transit<E, P>, now: number): Arrival {
    if (t.channel === 'dgram') {
      if (this.isCut(now, t.from, t.to)) return 'cut';
      return this.host.incarnation(t.to) === 0 ? 'dead' : 'deliver';
    }
    if (!t.broken && this.host.incarnation(t.to) === t.toInc) return 'deliver';
    return this.host.incarnation(t.from) === t.fromInc ? 'fail' : 'orphan';
  }

  private sendDatagram(now: number, from: E, fromInc: number, to: E, payload: P, id: number): SendOutcome {
    if (this.host.incarnation(to) === 0) return 'dead';
    if (this.isCut(now, from, to)) return 'cut';
    const copies = now < this.faultsUntil ? this.faultyCopies() : 1;
    for (let i = 0; i < copies; i++) {
      this.host.schedule(now + this.latency(), this.transit(from, fromInc, to, 0, payload, 'dgram', false, id));
    }
    return copies === 0 ? 'lost' : 'sent';
  }

  private faultyCopies(): number {
    if (this.rng.chance(this.settings.loss)) return 0;
    return this.rng.chance(this.settings.duplicate) ? 2 : 1;
  }

  private sendStream(now: number, from: E, fromInc: number, to: E, payload: P, id: number): SendOutcome {
    const toInc = this.host.incarnation(to);
    let earliest = now + this.latency();
    const broken = toInc === 0 || (now < this.faultsUntil && this.rng.chance(this.settings.streamFailure));
    if (!broken && this.partition !== null && this.isCut(now, from, to)) {
      if (this.partition.until > now + this.streamTimeout) {
        this.host.schedule(now + this.streamTimeout, this.transit(from, fromInc, to, toInc, payload, 'stream', true, id));
        return 'sent';
      }
      earliest += this.partition.until - now;
    }
    const pair = this.pairOf(from);
    const at = Math.max(earliest, pair.get(to));
    if (!broken) pair.set(to, at, now);
    this.host.schedule(at, this.transit(from, fromInc, to, toInc, payload, 'stream', broken, id));
    return 'sent';
  }

  private pairOf(from: E): PairTimes<E> {
    let pair = this.lastDelivery.get(from);
    if (pair === undefined) {
      pair = new PairTimes();
      this.lastDelivery.set(from, pair);
    }
    return pair;
  }

  private latency(): number {
    return this.rng.uniform(this.settings.latencyMin, this.settings.latencyMax);
  }

  private transit(from: E, fromInc: number, to: E, toInc: number, payload: P, channel: Channel, broken: boolean, id: number): Transit<E, P> {
    return { kind: 'transit', from, fromInc, to, toInc, channel, payload, broken, id };
  }
}
