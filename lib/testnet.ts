/**
 * `createTestnet`: a ring of real peers in this process, on 127.0.0.1 with ports from the
 * system, for tests and experiments. It resolves once the ring is ideal: every peer a member
 * whose successor list and predecessor are its neighbours by ring position (fingers may still be
 * filling in, which lookups do not need).
 */
import { startMember } from './peer';
import { ChordError, type ChordPeer, type PeerStatus, type Testnet, type TestnetOptions } from './types';

const TESTNET_PING_MS = 100;
const DEFAULT_TIMEOUT_MS = 30_000;
const POLL_MS = 20;

export async function createTestnet(n: number, options: TestnetOptions = {}): Promise<Testnet> {
  if (!Number.isSafeInteger(n) || n < 1) throw new ChordError('bad-options', `a testnet has at least one peer, not ${n}`);
  const { timeout = DEFAULT_TIMEOUT_MS, ...peerOptions } = options;
  const o = { ...peerOptions, host: peerOptions.host ?? '127.0.0.1', pingInterval: peerOptions.pingInterval ?? TESTNET_PING_MS };
  const started: ChordPeer[] = [];
  const deadline = Date.now() + timeout;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ChordError('timeout', `the ring of ${n} peers did not form within ${timeout} ms`)), timeout);
  });
  // Whoever loses the race against the deadline is not left unhandled.
  late.catch(() => undefined);
  const join = (via?: string) => startMember({ ...o, join: via }, late).then((p) => {
    started.push(p);
    return p;
  });
  try {
    const first = await join();
    // All at once: each resolves when its successor has handed it its records.
    const rest = await Promise.allSettled(Array.from({ length: n - 1 }, () => join(first.address)));
    const failed = rest.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const peers = [...started].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    await ideal(peers, deadline);
    return { peers, bootstrap: first.address, close: () => closeAll(started) };
  } catch (e) {
    await closeAll(started);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

async function closeAll(peers: readonly ChordPeer[]): Promise<void> {
  await Promise.all(peers.map((p) => p.close()));
}

/** Settles once the ring is ideal, polling (nothing in the ring announces it); rejects at the deadline with what is still wrong. */
async function ideal(peers: readonly ChordPeer[], deadline: number): Promise<void> {
  for (;;) {
    const problem = notIdeal(peers.map((p) => p.state()));
    if (problem === null) return;
    if (Date.now() > deadline) throw new ChordError('timeout', `the ring of ${peers.length} peers was not ideal in time: ${problem}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * What keeps a ring, given by ring position, from being ideal (null when nothing does): a peer
 * not a member, or whose successor or predecessor is not its neighbour. A ring of one peer is
 * ideal as a member, whatever it lists.
 */
export function notIdeal(ring: readonly PeerStatus[]): string | null {
  for (const [i, s] of ring.entries()) {
    if (s.phase !== 'member') return `peer ${s.id} is ${s.phase}`;
    if (ring.length === 1) return null;
    const next = ring[(i + 1) % ring.length];
    const prev = ring[(i + ring.length - 1) % ring.length];
    if (s.successors[0]?.id !== next.id) return `peer ${s.id} has successor ${s.successors[0]?.id ?? 'none'}, not ${next.id}`;
    if (s.predecessor?.id !== prev.id) return `peer ${s.id} has predecessor ${s.predecessor?.id ?? 'none'}, not ${prev.id}`;
    // The whole list, so that a put has its r holders: the next r peers, up to itself in a ring of r or fewer.
    const want: string[] = [];
    for (let j = 1; j <= s.replicas && want.at(-1) !== s.id; j++) want.push(ring[(i + j) % ring.length].id);
    const has = s.successors.map((p) => p.id);
    if (has.join() !== want.join()) return `peer ${s.id} lists successors ${has.join(', ')}, not ${want.join(', ')}`;
  }
  return null;
}
