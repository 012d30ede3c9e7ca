/**
 * What a peer holds and may answer for (coverage.ts), and the protocol around it: hand-offs that
 * vouch, announced ranges that let a successor take over a dead primary, a joiner that is a
 * member only once accepted. Peer 9 of the seed's ring 2, 4, 5, 8, 9, 14, 19 unless said.
 */
import test from 'ava';
import { coverLower, covers, farther, isReady, rangeTtl, reaches, vouchFor } from './coverage';
import type { Input, Msg, Peer, PeerState } from './types';
import { cfg, deliver, drive, driveThen, joined, key, logs, peer, rec, sends, fire, type Timed } from './testing/drive';

const AT9: Input = { kind: 'init', succs: [peer(14), peer(19)], pred: peer(8) };
const digest = (from: Peer, lower: Peer | null, at = 0): [number, Input] => [at, deliver(from, { t: 'digest', entries: [], from: lower })];
const rectify = (from: Peer, ready = true, link = false): Input => deliver(from, { t: 'rectify', ready, link });
const fetch = (n: number): Input => deliver(peer(2), { t: 'fetch', rid: 3, key: key(n) });
const fetched = (effects: readonly { kind: string }[]) => sends(effects as never, 'fetched').map((s) => s.msg.status);

/** Peer 9 with its predecessor 8 declared gone: three missed rounds. */
function predGone(before: readonly Timed[]): Timed[] {
  const ping = fire('ping');
  return [...before, ping, ping, ping, ping];
}

test('a new ring holds its whole range; a joiner holds nothing until a hand-off vouches for it', (t) => {
  const init = drive(peer(9), [AT9]).state;
  t.is(init.held?.id, peer(8).id);
  t.true(isReady(init, 0));
  const fresh = drive(peer(9), joined(peer(9), [peer(14), peer(19)])).state;
  t.is(fresh.held, null);
  t.false(isReady(fresh, 0));
  t.is(drive(peer(9), [{ kind: 'create' }]).state.held?.id, peer(9).id, 'a created ring holds the whole ring');
});

test('a joiner is a member only once its successor accepts it with a hand-off, and logs joined then', (t) => {
  const found = joined(peer(9), [peer(14), peer(19)]).slice(0, 2);
  const waiting = drive(peer(9), found);
  t.is(waiting.state.phase.name, 'joining');
  t.deepEqual(logs(waiting.effects, 'joined'), []);
  t.deepEqual(sends(waiting.effects, 'rectify').map((s) => [s.to.addr, s.msg.ready]), [['p14', false]]);
  const accepted = driveThen(peer(9), found, [deliver(peer(14), { t: 'handoff', records: [rec(9)], from: peer(8), more: false })]);
  t.is(accepted.state.phase.name, 'member');
  t.deepEqual(logs(accepted.effects, 'joined').map((e) => e.succ.addr), ['p14']);
  t.is(accepted.state.held?.id, peer(8).id);
  t.is(accepted.state.records.size, 1);
  // A hand-off before the lookup found a successor, or at a peer not joining, accepts nothing.
  t.is(drive(peer(9), [{ kind: 'join', via: 'p4' }, deliver(peer(14), { t: 'handoff', records: [], from: null, more: false })]).state.phase.name, 'joining');
});

test('a predecessor adopted with nothing vouched for it does not make the peer answer for its range', (t) => {
  // The stale rectify of a peer far back, or a link across healed rings: answering "not found"
  // for keys between would deny records other peers hold.
  const member = joined(peer(9), [peer(14), peer(19)]);
  const far = drive(peer(9), [...member, rectify(peer(2)), fetch(6)]);
  t.is(far.state.pred?.addr, 'p2');
  t.deepEqual(fetched(far.effects), ['not-ready']);
  const vouched = drive(peer(9), [...member, deliver(peer(14), { t: 'handoff', records: [], from: peer(5), more: false }), rectify(peer(2)), fetch(6), fetch(4)]);
  t.deepEqual(fetched(vouched.effects), ['missing', 'not-ready'], 'it answers for (5, 9] only');
  t.false(isReady(vouched.state, 0));
});

test('a link rectify is taken only as a closer predecessor, never as a first one', (t) => {
  const member = joined(peer(9), [peer(14), peer(19)]);
  t.is(drive(peer(9), [...member, rectify(peer(2), true, true)]).state.pred, null);
  t.is(drive(peer(9), [...member, rectify(peer(2)), rectify(peer(5), true, true)]).state.pred?.addr, 'p5');
  t.is(drive(peer(9), [...member, rectify(peer(5)), rectify(peer(2), true, true)]).state.pred?.addr, 'p5');
});

test('a hand-off vouches from where the new predecessor\'s range begins, and what it vouched for is no longer the sender\'s', (t) => {
  const closer = drive(peer(9), [{ kind: 'init', succs: [peer(14), peer(19)], pred: peer(4) }, rectify(peer(8))]);
  t.deepEqual(sends(closer.effects, 'handoff').map((s) => s.msg.from?.id), [peer(4).id]);
  t.is(closer.state.held?.id, peer(8).id);
  t.true(isReady(closer.state, 0));
  // Holding nothing, it vouches for nothing, and what it holds is unchanged.
  const unready = drive(peer(9), [...joined(peer(9), [peer(14), peer(19)]), rectify(peer(8))]);
  t.deepEqual(sends(unready.effects, 'handoff').map((s) => s.msg.from), [null]);
  t.is(unready.state.held, null);
});

test('a predecessor\'s announced range lets the successor answer for it the moment it is declared gone', (t) => {
  // 8 announced (5, 8] in its digests; declared gone, 5 rectifies 9, which serves (5, 9] at once.
  const before: Timed[] = [AT9, digest(peer(8), peer(5))];
  const taken = drive(peer(9), [...predGone(before), rectify(peer(5)), fetch(6)]);
  t.is(taken.state.pred?.addr, 'p5');
  t.deepEqual(fetched(taken.effects), ['missing']);
  t.true(isReady(taken.state, 0));
  // ... and keeps it once the dead one's announcement has expired.
  t.is(taken.state.held?.id, peer(5).id);
  // Without an announcement (it died before its first round; r = 1 has no replicas), or with one
  // that does not reach the new predecessor, the dead one's successor takes it all over.
  const trusted = drive(peer(9), [...predGone([AT9]), rectify(peer(5))]);
  t.true(trusted.state.inherit === false && trusted.state.held?.id === peer(5).id);
  const short = drive(peer(9), [...predGone([AT9, digest(peer(8), peer(7))]), rectify(peer(5)), fetch(6), fetch(8)]);
  t.deepEqual(fetched(short.effects), ['missing', 'missing']);
  // With no death, a farther predecessor gets nothing of the kind.
  t.deepEqual(fetched(drive(peer(9), [AT9, digest(peer(8), peer(7)), rectify(peer(5)), fetch(6)]).effects), ['not-responsible']);
});

test('announced ranges chain over r - 1 predecessors and expire', (t) => {
  const r3 = { ...cfg, replicas: 3 };
  const s = (ranges: [Peer, Peer, number][], held: Peer, pred: Peer | null = null): PeerState => ({
    ...drive(peer(9), [AT9]).state,
    cfg: r3,
    held,
    pred,
    ranges: new Map(ranges.map(([a, from, at]) => [a.id, { from, at }])),
  });
  t.is(coverLower(s([[peer(8), peer(5), 0], [peer(5), peer(4), 0], [peer(4), peer(2), 0]], peer(8)), 0)?.id, peer(4).id, 'two steps with r = 3');
  t.is(coverLower(s([[peer(8), peer(5), 0]], peer(8)), rangeTtl(s([], peer(8))) + 1)?.id, peer(8).id, 'an expired announcement counts for nothing');
  t.true(covers(s([[peer(8), peer(5), 0]], peer(8)), key(6), 0));
  t.false(covers(s([], peer(8)), key(6), 0));
});

test('vouching, joining arcs and reach, at the ends of the ring', (t) => {
  const self = peer(9);
  t.is(farther(self, peer(8), peer(5))?.id, peer(5).id);
  t.is(farther(self, peer(5), peer(8))?.id, peer(5).id);
  t.is(farther(self, null, peer(8))?.id, peer(8).id);
  t.is(farther(self, peer(8), self)?.id, self.id, 'self is the whole ring');
  t.is(farther(self, peer(8), null)?.id, peer(8).id);
  t.true(reaches(peer(250), peer(2), self), 'wraps past zero');
  t.false(reaches(peer(2), peer(250), self));
  t.true(reaches(self, peer(2), self));
  const base = drive(peer(9), [{ kind: 'init', succs: [peer(14)], pred: peer(250) }]).state;
  t.is(vouchFor(base, peer(2), peer(250), 0)?.id, peer(250).id, 'from the old predecessor, across zero');
  t.is(vouchFor(base, peer(2), null, 0)?.id, peer(250).id);
  t.is(vouchFor(base, peer(240), null, 0), null, 'outside what it holds');
  t.is(vouchFor({ ...base, held: base.self }, peer(2), null, 0)?.id, base.self.id, 'holding everything, all but its own range');
});

test('a leaving predecessor\'s vouched range joins what the successor holds', (t) => {
  const leave = (from: Peer | null): Msg => ({ t: 'leave', rid: 1, pred: peer(5), records: [rec(7)], from, more: false });
  const took = drive(peer(9), [AT9, deliver(peer(8), leave(peer(5))), fetch(6)]);
  t.is(took.state.pred?.addr, 'p5');
  t.is(took.state.held?.id, peer(5).id);
  t.deepEqual(fetched(took.effects), ['missing']);
  // A leaver that vouched for nothing is taken over like a crash: out to its predecessor.
  const crash = drive(peer(9), [AT9, deliver(peer(8), leave(null))]).state;
  t.is(crash.held?.id, peer(5).id);
  t.false(crash.inherit);
});

test('a store\'s replica from a primary that has not learned of a joiner goes on to the joiner', (t) => {
  // 9's predecessor is 8, which joined between 5 and 9; 5, whose replica 9 was (it announced
  // its range (4, 5]), still sends its replicas to 9.
  const at9: Timed[] = [AT9, digest(peer(5), peer(4))];
  const { effects } = driveThen(peer(9), at9, [deliver(peer(5), { t: 'replicate', rid: 4, records: [rec(5)] })]);
  t.deepEqual(sends(effects, 'replicated').map((s) => s.to.addr), ['p5']);
  t.deepEqual(sends(effects, 'replicate').map((s) => [s.to.addr, s.msg.rid, s.msg.records.map((r) => r.key.name)]), [['p8', 0, ['5']]]);
  // From the predecessor itself, or copies that need no answer, nothing goes on.
  t.deepEqual(sends(driveThen(peer(9), at9, [deliver(peer(8), { t: 'replicate', rid: 4, records: [rec(6)] })]).effects, 'replicate'), []);
  t.deepEqual(sends(driveThen(peer(9), at9, [deliver(peer(5), { t: 'replicate', rid: 0, records: [rec(5)] })]).effects, 'replicate'), []);
});

test('a leaver tells a peer that rectifies it where to go, and lingers a moment before it stops', (t) => {
  const leaving: Timed[] = [AT9, { kind: 'command', cmd: { op: 'leave', rid: 1 } }];
  const { effects } = driveThen(peer(9), leaving, [rectify(peer(10))]);
  t.deepEqual(sends(effects, 'leave-notice').map((s) => [s.to.addr, s.msg.succs.map((p) => p.addr)]), [['p10', ['p14', 'p19']]]);
  // Its predecessor, told already, is not told twice.
  t.deepEqual(sends(driveThen(peer(9), leaving, [rectify(peer(8))]).effects, 'leave-notice'), []);
});

test('a predecessor that stood a detection period and two stabilize rounds with nothing vouched between is trusted', (t) => {
  // The peer the keys between were handed to died before anyone knew it as a predecessor.
  const member = joined(peer(9), [peer(14), peer(19)]);
  const vouched = [...member, deliver(peer(14), { t: 'handoff', records: [], from: peer(7), more: false })];
  const settle = cfg.missLimit * cfg.pingInterval + 2 * cfg.stabilizeInterval;
  const early = drive(peer(9), [...vouched, [100, rectify(peer(5))], [100 + settle - 1, fire('ping')]]).state;
  t.false(isReady(early, 100 + settle - 1));
  const late = drive(peer(9), [...vouched, [100, rectify(peer(5))], [100 + settle, fire('ping')]]).state;
  t.is(late.held?.id, peer(5).id);
  t.true(isReady(late, 100 + settle));
});

test('a digest, want or copy that a neighbour could not be sent goes again at once, once a ping round', (t) => {
  const failed = (msg: Msg): Input => ({ kind: 'send-failed', to: peer(14), msg });
  const digestMsg: Msg = { t: 'digest', entries: [], from: peer(8) };
  const again = driveThen(peer(9), [AT9], [failed(digestMsg)]);
  t.deepEqual(sends(again.effects, 'digest').map((s) => s.to.addr), ['p14']);
  // A second failure in the same round is not sent again: a dead peer gets no stream of them.
  t.deepEqual(sends(driveThen(peer(9), [AT9, failed(digestMsg)], [failed(digestMsg)]).effects, 'digest'), []);
  t.deepEqual(sends(driveThen(peer(9), [AT9], [failed({ t: 'want', keys: [key(7)] })]).effects, 'want').map((s) => s.msg.keys.map((k) => k.name)), [['7']]);
  // Nor to a peer that is no neighbour.
  t.deepEqual(sends(driveThen(peer(9), [AT9], [{ kind: 'send-failed', to: peer(100), msg: digestMsg }]).effects, 'digest'), []);
});
