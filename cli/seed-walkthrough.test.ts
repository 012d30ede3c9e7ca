/**
 * The seed's walk-through with real processes: its seven peers started with `chord init`, peer
 * 25 joining via peer 4 with `chord join`, records stored through one peer and read through
 * others with `chord put/get`, then a graceful quit, a kill -9 and a Ctrl-C. Afterwards every
 * record is still readable and `chord ring` walks an ordered ring.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { seedAddr } from '../runtime-node/address';
import { ask } from '../runtime-node/client';
import { ChordProcess, ensureBuilt, runChord, startSeedRing, waitFor, waitRing } from '../runtime-node/test-support';

// Below Linux's ephemeral range (32768 and up), far from the seed's own 12000.
const BASE = 24_000;
const PING_S = 0.2;
const PING_MS = PING_S * 1000;
const RING = [2, 4, 5, 8, 9, 14, 19];
const KEYS = ['7', '42', '130', '200', '250', 'report.pdf', 'notes.txt', 'photo.jpg'];
const base = ['--port-base', String(BASE)];

test.before(ensureBuilt);

test("the seed's walk-through: init, join, store, request, quit, kill -9, Ctrl-C", async (t) => {
  t.timeout(120_000);
  const peers = startSeedRing(t, RING, PING_S, BASE);
  await waitRing(RING, BASE, 20_000);

  const p25 = new ChordProcess(t, ['join', '25', '4', String(PING_S), ...base]);
  peers.set(25, p25);
  await p25.waitLine(/joined the ring; successor 2$/, 20_000);

  for (const key of KEYS) {
    const r = await runChord(t, ['put', '--via', '4', ...base, key, '--value', `contents of ${key}`, '--json'], 20_000);
    t.is(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    t.like(report, { ok: true, key, size: `contents of ${key}`.length });
    t.is(report.holders.length, 3);
  }
  for (const [i, key] of KEYS.entries()) {
    const via = String([2, 9, 19, 25][i % 4]);
    const r = await runChord(t, ['get', '--via', via, ...base, key], 20_000);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, `contents of ${key}`);
  }

  // A graceful quit, typed at peer 14's console.
  const p14 = peers.get(14)!;
  p14.send('quit');
  t.like(await p14.waitExit(10_000), { code: 0 });
  t.regex(p14.output, /left the ring/);

  // kill -9 of peer 8: its predecessor, peer 5, notices within a few ping intervals.
  const p5 = peers.get(5)!;
  const from5 = p5.lines.length;
  const killedAt = performance.now();
  peers.get(8)!.kill('SIGKILL');
  const noticed = await p5.waitLine(/peer 8 is gone/, 20 * PING_MS, from5);
  const intervals = (noticed.at - killedAt) / PING_MS;
  t.log(`kill -9 of peer 8 noticed by peer 5 after ${intervals.toFixed(1)} ping intervals`);
  t.true(intervals <= 8, `noticed after ${intervals.toFixed(1)} ping intervals`);

  // Ctrl-C on peer 19: an abrupt departure too.
  const p19 = peers.get(19)!;
  p19.kill('SIGINT');
  t.like(await p19.waitExit(10_000), { code: 130 });

  const survivors = [2, 4, 5, 9, 25];
  await waitRing(survivors, BASE, 30_000);
  // Replicas are topped up by digest rounds: poll until each record answers, then check all.
  await waitFor('every record to be readable', 30_000, async () => {
    const answers = await Promise.all(KEYS.map((key) => ask(seedAddr(9n, BASE), { t: 'get', key }, 5000)));
    return answers.every((a) => a.t === 'get-ok');
  });
  for (const [i, key] of KEYS.entries()) {
    const via = String(survivors[i % survivors.length]);
    const r = await runChord(t, ['get', '--via', via, ...base, key], 20_000);
    t.is(r.code, 0, `${key} via ${via}: ${r.stderr}`);
    t.is(r.stdout, `contents of ${key}`);
  }

  const dir = mkdtempSync(join(tmpdir(), 'chord-ring-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [svg, html] = [join(dir, 'ring.svg'), join(dir, 'ring.html')];
  const ring = await runChord(t, ['ring', '--via', '9', ...base, '--json', '--svg', svg, '--html', html, '--fingers'], 20_000);
  t.is(ring.code, 0, ring.stderr);
  const walk = JSON.parse(ring.stdout) as { closed: boolean; peers: { id: string; successors: string[]; predecessor: string | null }[] };
  t.true(walk.closed);
  const ids = walk.peers.map((p) => Number(p.id));
  // Walked from 9: ascending, with exactly one wrap back to the smallest ID.
  const wraps = ids.filter((id, i) => id > ids[(i + 1) % ids.length]).length;
  t.is(wraps, 1, ids.join());
  t.deepEqual([...ids].sort((a, b) => a - b), survivors);
  for (const p of walk.peers) t.is(p.successors.length, 3);
  // The pictures of that ring (cli/ring-picture/ring-picture.test.ts checks them in a browser).
  const picture = readFileSync(svg, 'utf8');
  t.regex(picture, new RegExp(`Chord ring: ${survivors.length} peers, 8-bit IDs, r = 3`));
  t.is(picture.match(/<g class="peer member"/g)?.length, survivors.length);
  t.is(picture.match(/class="link successor"/g)?.length, survivors.length);
  t.is(picture.match(/class="link predecessor"/g)?.length, survivors.length);
  t.true((picture.match(/class="link finger/g)?.length ?? 0) > 0);
  const page = readFileSync(html, 'utf8');
  const data = JSON.parse(/<script type="application\/json" id="ring-data">(.*?)<\/script>/s.exec(page)?.[1] ?? 'null') as { peers: { id: string }[] };
  t.deepEqual(data.peers.map((p) => Number(p.id)), survivors);
});
