/**
 * Durable peers (`chord peer --data-dir`), as real processes: a whole ring stopped (SIGKILL, or
 * graceful quits one by one) and restarted with the same IDs, ports and directories has every
 * acknowledged record back with its value; and a peer killed at random moments while it takes
 * 32 MiB values never serves, then or after its restart, a value that is partial, corrupt or
 * older than one it acknowledged.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChordProcess, ensureBuilt, runChord, sleep, waitFor, waitRing } from '../runtime-node/test-support';

// Below Linux's ephemeral range, apart from the other test files' bases.
const BASE = 26_000;
const PING_S = '0.2';
const RING = [10, 60, 110, 160, 210];
const KEYS = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? String(i * 12 + 3) : `record-${i}`));
const base = ['--port-base', String(BASE)];
const EXIT_NOT_FOUND = 3;

test.before(ensureBuilt);

function tempDir(t: ExecutionContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `chord peer` with its records in dir/ID, joining through `via` when given; resolves once it listens. */
async function peer(t: ExecutionContext, id: number, dir: string, via?: number): Promise<ChordProcess> {
  const p = new ChordProcess(t, ['peer', '--id', String(id), ...base, '--ping-interval', PING_S, '--data-dir', join(dir, String(id)), ...(via === undefined ? [] : ['--join', String(via)])]);
  await p.waitLine(/records kept in .* \(\d+ loaded\)/, 15_000);
  return p;
}

/** The ring of RING, each peer joining through the first, with every peer in the walk. */
async function startRing(t: ExecutionContext, dir: string): Promise<ChordProcess[]> {
  const first = await peer(t, RING[0], dir);
  const rest = await Promise.all(RING.slice(1).map((id) => peer(t, id, dir, RING[0])));
  await waitRing(RING, BASE, 30_000);
  return [first, ...rest];
}

/**
 * Reads `key` through `via` until it is served: a peer that cannot answer for it yet says so and
 * is asked again, but an answer it gives must be `value`, and "not found" is never an answer.
 */
async function readBack(t: ExecutionContext, key: string, via: number, value: string): Promise<void> {
  await waitFor(`record ${key} served through peer ${via}`, 30_000, async () => {
    const r = await runChord(t, ['get', '--via', String(via), ...base, '--timeout', '5', key], 15_000);
    if (r.code === 0) t.is(r.stdout, value, `record ${key}`);
    if (r.code === EXIT_NOT_FOUND) t.fail(`record ${key} not found after the restart: ${r.stderr}`);
    return r.code === 0 || r.code === EXIT_NOT_FOUND;
  }, 200);
}

async function putAll(t: ExecutionContext): Promise<void> {
  for (const [i, key] of KEYS.entries()) {
    const r = await runChord(t, ['put', '--via', String(RING[i % RING.length]), ...base, key, '--value', `value of ${key}`], 20_000);
    t.is(r.code, 0, r.stderr);
  }
}

async function readAll(t: ExecutionContext): Promise<void> {
  for (const [i, key] of KEYS.entries()) await readBack(t, key, RING[(i + 2) % RING.length], `value of ${key}`);
}

test.serial('a ring killed with SIGKILL and restarted from its data directories has every record back', async (t) => {
  t.timeout(110_000);
  const dir = tempDir(t, 'chord-durable-kill-');
  const ring = await startRing(t, dir);
  await putAll(t);
  for (const p of ring) p.kill('SIGKILL');
  await Promise.all(ring.map((p) => p.waitExit(10_000)));

  const again = await startRing(t, dir);
  for (const p of again) t.regex(p.output, /records kept in .* \([1-9]\d* loaded\)/);
  await readAll(t);
});

test.serial('a ring whose peers quit one by one and restart from their data directories has every record back', async (t) => {
  t.timeout(110_000);
  const dir = tempDir(t, 'chord-durable-quit-');
  const ring = await startRing(t, dir);
  await putAll(t);
  for (const p of ring) {
    p.send('quit');
    t.like(await p.waitExit(15_000), { code: 0 });
  }
  t.regex(ring[ring.length - 1].output, /left the ring with 20 record\(s\) no neighbour acknowledged/);

  await startRing(t, dir);
  await readAll(t);
});

/** A 32 MiB value whose every byte says which it is: a partial or mixed value cannot pass for one. */
const VALUE_BYTES = 32 << 20;
function valueFile(dir: string, n: number): string {
  const path = join(dir, `value-${n}`);
  writeFileSync(path, Buffer.alloc(VALUE_BYTES, n));
  return path;
}

/** Which value `bytes` is, or a description of what is wrong with it. */
function whichValue(bytes: Buffer): number | string {
  if (bytes.length !== VALUE_BYTES) return `${bytes.length} bytes, not ${VALUE_BYTES}`;
  const n = bytes[0];
  const bad = bytes.findIndex((b) => b !== n);
  return bad === -1 ? n : `byte ${bad} is ${bytes[bad]} in value ${n}`;
}

test.serial('a peer killed at random moments while it takes 32 MiB values serves only whole values it acknowledged or newer', async (t) => {
  t.timeout(110_000);
  const dir = tempDir(t, 'chord-durable-crash-');
  const values = [1, 2, 3, 4, 5, 6].map((n) => valueFile(dir, n));
  const id = 77;
  // The value of every put tried, in order, and where the last acknowledged one is among them.
  const tried: number[] = [];
  let acked = -1;
  for (let round = 0; round < 5; round++) {
    const p = await peer(t, id, dir);
    if (acked >= 0) {
      // What it serves after the restart: a whole value, the last acknowledged one or one tried after it.
      const got = await waitFor('the restarted peer to serve the big record', 20_000, async () => {
        const r = await runChord(t, ['get', '--via', String(id), ...base, '--timeout', '10', 'big'], 30_000);
        return r.code === 0 ? r.stdoutBytes : undefined;
      }, 200);
      const which = whichValue(got);
      if (typeof which === 'string') return t.fail(`round ${round}: a corrupt value: ${which}`);
      t.true(tried.slice(acked).includes(which), `round ${round}: value ${which} is older than value ${tried[acked]}, acknowledged`);
    }
    // One put acknowledged (the restarted peer answers once it has claimed its range), then the
    // kill at a random moment of the puts that follow it.
    const put = async (): Promise<void> => {
      const n = (tried.length % values.length) + 1;
      tried.push(n);
      const r = await runChord(t, ['put', '--via', String(id), ...base, '--timeout', '10', 'big', values[n - 1]], 30_000);
      if (r.code === 0) acked = tried.length - 1;
    };
    await waitFor(`round ${round}: a put acknowledged`, 30_000, async () => {
      const before = acked;
      await put();
      return acked !== before;
    }, 100);
    const killer = sleep(Math.floor(Math.random() * 1500)).then(() => p.kill('SIGKILL'));
    while (p.alive) await put();
    await killer;
    await p.waitExit(10_000);
  }
  t.true(acked >= 0, 'no put was acknowledged in any round');
});
