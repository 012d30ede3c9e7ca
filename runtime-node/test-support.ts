/**
 * Helpers for tests with real processes and sockets: a fresh build of the command line, child
 * processes that are always killed at teardown, and waits that poll a condition up to a
 * deadline (never a fixed sleep that hopes).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { LogEvent } from '../core/types';
import { peerStatus } from '../lib/public-form';
import { notIdeal } from '../lib/testnet';
import { seedAddr } from './address';
import { peerState, walkRing, type RingWalk } from './client';
import type { PeerInfo } from './client-protocol';
import type { RingKey } from './ring-key';
import { startPeer, type PeerHandle, type PeerOptions } from './peer-driver';

/** Where package.json is: above runtime-node/ from source, above dist/ when compiled. */
function projectRoot(dir: string): string {
  return existsSync(join(dir, 'package.json')) ? dir : projectRoot(dirname(dir));
}

const ROOT = projectRoot(__dirname);
export const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const SOURCES = ['core', 'edge', 'cli', 'runtime-node', 'lib'];
const LOCK = join(ROOT, 'dist', '.build-lock');
const STALE_LOCK_MS = 180_000;

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function fresh(): boolean {
  try {
    return statSync(MAIN).mtimeMs >= Math.max(...SOURCES.map((d) => newestSource(join(ROOT, d))));
  } catch {
    return false;
  }
}

/**
 * Builds dist/ unless it is newer than every source. Test files run in parallel workers, so
 * one builds under a lock directory while the others wait for it.
 */
export async function ensureBuilt(): Promise<void> {
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  for (;;) {
    if (fresh()) return;
    try {
      mkdirSync(LOCK);
    } catch {
      if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs > STALE_LOCK_MS) rmdirSync(LOCK);
      await sleep(200);
      continue;
    }
    try {
      // tsc emits even when files of other parts of the tree have type errors; what matters
      // here is a fresh main.js, checked right after.
      const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
      if (!fresh()) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
    } finally {
      rmdirSync(LOCK);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns a value other than undefined or false; throws at the deadline. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false> | T | undefined | false, everyMs = 50): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

/** What cleans up after a test (an ava ExecutionContext) or a benchmark. */
export interface Cleanup {
  teardown(fn: () => void): void;
}

export interface Line {
  readonly text: string;
  /** performance.now() when the line arrived. */
  readonly at: number;
}

export interface SpawnOptions {
  /**
   * The process leads a process group of its own, and teardown kills the group (for the
   * launcher: its peers go too, even if the launcher itself died first).
   */
  readonly group?: boolean;
  /**
   * A command that runs the rest in another place and then becomes it (exec), such as
   * `ip netns exec NAME`: the child's pid, signals and exit are still chord's own.
   */
  readonly within?: readonly string[];
}

/** A `chord` child process whose output lines are kept, killed at the test's teardown. */
export class ChordProcess {
  readonly lines: Line[] = [];
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private exited = false;
  private readonly group: boolean;

  constructor(t: Cleanup, readonly args: readonly string[], o: SpawnOptions = {}) {
    this.group = o.group ?? false;
    const [exe, ...lead] = [...(o.within ?? []), process.execPath, MAIN];
    this.child = spawn(exe, [...lead, ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: this.group });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      createInterface({ input: stream! }).on('line', (text) => this.lines.push({ text, at: performance.now() }));
    }
    this.child.stdin!.on('error', () => undefined);
    // 'close' rather than 'exit': it comes once the output pipes are drained too.
    this.exit = new Promise((resolve) => this.child.once('close', (code, signal) => {
      this.exited = true;
      resolve({ code, signal });
    }));
    t.teardown(() => {
      if (this.group) killGroup(this.child.pid!);
      else this.kill('SIGKILL');
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get output(): string {
    return this.lines.map((l) => l.text).join('\n');
  }

  send(line: string): void {
    this.child.stdin!.write(line + '\n');
  }

  /** Closes standard input, as the end of a pipe does. */
  endInput(): void {
    this.child.stdin!.end();
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(signal);
  }

  /** The first line from index `from` on that matches. */
  waitLine(re: RegExp, timeoutMs: number, from = 0): Promise<Line> {
    return waitFor(`a line matching ${re} from chord ${this.args.join(' ')}\n--- output so far:\n${this.output}\n---`, timeoutMs,
      () => this.lines.slice(from).find((l) => re.test(l.text)));
  }

  waitExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return new Promise((resolve, reject) => {
      // A pending timer would keep the test worker alive after the test: clear it.
      const timer = setTimeout(() => reject(new Error(`chord ${this.args.join(' ')} did not exit within ${timeoutMs} ms\n${this.output}`)), timeoutMs);
      void this.exit.then((e) => {
        clearTimeout(timer);
        resolve(e);
      });
    });
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The whole group is gone already.
  }
}

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stdoutBytes: Buffer;
  readonly stderr: string;
}

/** Runs `chord args` to completion, killing it at the deadline or at the test's teardown. */
export function runChord(t: Cleanup, args: readonly string[], timeoutMs: number, input?: string, env?: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    t.teardown(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`chord ${args.join(' ')} did not finish within ${timeoutMs} ms\n${Buffer.concat(out)}${Buffer.concat(err)}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      // 'exit' can come before the pipes are drained; 'close' comes after.
      child.once('close', () => {
        const stdoutBytes = Buffer.concat(out);
        resolve({ code, stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr: Buffer.concat(err).toString('utf8') });
      });
    });
  });
}

/** Starts the seed's initial ring (`chord init` each, two successors) on ports base + ID. */
export function startSeedRing(t: Cleanup, ids: readonly number[], pingSeconds: number, base: number): Map<number, ChordProcess> {
  const peers = new Map<number, ChordProcess>();
  ids.forEach((id, i) => {
    const succ = (k: number) => String(ids[(i + k) % ids.length]);
    peers.set(id, new ChordProcess(t, ['init', String(id), succ(1), succ(2), String(pingSeconds), '--port-base', String(base)]));
  });
  return peers;
}

/**
 * Waits until the walk from the first ID finds exactly `ids`, each with the right predecessor.
 * (A peer started by init is its own predecessor until its predecessor's first rectify.)
 */
export function waitRing(ids: readonly number[], base: number, timeoutMs: number): Promise<true> {
  const sorted = [...ids].sort((a, b) => a - b);
  return waitFor(`the ring ${sorted.join(', ')}`, timeoutMs, async () => {
    await Promise.all(sorted.map((id) => peerState(seedAddr(BigInt(id), base), 1000)));
    const walk = await walkRing(seedAddr(BigInt(sorted[0]), base), 1000);
    return walk.closed && walk.peers.map((p) => Number(p.self.id)).join() === sorted.join()
      && walk.peers.every((p, i) => p.pred?.id === String(sorted[(i + sorted.length - 1) % sorted.length]));
  });
}

/**
 * How a walk differs from the ideal ring of exactly the `live` peers (decimal IDs and addresses
 * in a `bits`-bit space, r successors): the walk closed through every one of them in ring order,
 * each with its predecessor, its r successors and every finger exact. Empty when it is ideal.
 */
export function idealRingProblems(walk: RingWalk, live: readonly PeerInfo[], bits: number, r: number): string[] {
  const ring = [...live].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  const n = ring.length;
  const seen = walk.peers.map((p) => p.self.id);
  if (!walk.closed) return [`the walk did not close (it met ${seen.join(', ')}; unreachable ${walk.unreachable.join(', ') || 'none'})`];
  const start = ring.findIndex((p) => p.id === seen[0]);
  const order = ring.map((_, i) => ring[(start + i) % n].id);
  if (start < 0 || seen.join() !== order.join()) return [`the walk met ${seen.join(', ')}; the ring is ${order.join(', ')}`];
  const space = 1n << BigInt(bits);
  // The first live peer at or after a point: the successor of an identifier.
  const successorOf = (point: bigint) => ring.find((p) => BigInt(p.id) >= point) ?? ring[0];
  const problems: string[] = [];
  for (const state of walk.peers) {
    const i = ring.findIndex((p) => p.id === state.self.id);
    const ids = (list: readonly PeerInfo[]) => list.map((p) => p.id).join(',');
    const succs = Array.from({ length: Math.min(r, n) }, (_, j) => ring[(i + 1 + j) % n]);
    if (ids(state.succs) !== ids(succs)) problems.push(`peer ${state.self.id}: successors ${ids(state.succs)}, expected ${ids(succs)}`);
    const pred = ring[(i + n - 1) % n];
    if (state.pred?.id !== pred.id) problems.push(`peer ${state.self.id}: predecessor ${state.pred?.id ?? 'none'}, expected ${pred.id}`);
    // Finger k is the successor of self + 2^k; the state lists each distinct one once, lowest k first.
    const fingers: PeerInfo[] = [];
    for (let k = 0; k < bits; k++) {
      const f = successorOf((BigInt(state.self.id) + (1n << BigInt(k))) % space);
      if (!fingers.some((g) => g.id === f.id)) fingers.push(f);
    }
    if (ids(state.fingers) !== ids(fingers)) problems.push(`peer ${state.self.id}: fingers ${ids(state.fingers)}, expected ${ids(fingers)}`);
  }
  return problems;
}

/** Waits until the walk from `via` is the ideal ring of `live` (idealRingProblems). */
export function waitIdealRing(via: string, live: readonly PeerInfo[], bits: number, r: number, timeoutMs: number, key: RingKey | null = null): Promise<true> {
  let last: string[] = [];
  return waitFor(`the ideal ring of ${live.map((p) => p.id).join(', ')}`, timeoutMs, async () => {
    last = idealRingProblems(await walkRing(via, 3000, key), live, bits, r);
    if (last.length > 0) throw new Error(last.slice(0, 4).join('; '));
    return true;
  }, 200);
}

/** A peer in this process whose log events are kept, closed at the test's teardown. */
export interface Started {
  readonly peer: PeerHandle;
  readonly logs: LogEvent[];
}

export async function startLogged(t: Cleanup, o: PeerOptions): Promise<Started> {
  const logs: LogEvent[] = [];
  const peer = await startPeer({ ...o, onLog: (e) => logs.push(e) });
  t.teardown(() => void peer.close());
  return { peer, logs };
}

/** A ring of `n` peers in this process, grown by joins through the first, once settled. */
export async function startRing(t: Cleanup, n: number, o: Omit<PeerOptions, 'start'>): Promise<Started[]> {
  const first = await startLogged(t, { ...o, start: { kind: 'create' } });
  const all = [first];
  for (let i = 1; i < n; i++) all.push(await startLogged(t, { ...o, start: { kind: 'join', via: first.peer.self.addr } }));
  await settled(all.map((s) => s.peer));
  return all;
}

/** Polls until every live peer's successor and predecessor are its ring neighbours. */
export function settled(peers: readonly PeerHandle[]): Promise<true> {
  const live = [...peers].sort((a, b) => (a.self.id < b.self.id ? -1 : 1));
  return waitFor('the ring to settle', 15_000, () => notIdeal(live.map((p) => peerStatus(p.state()))) === null);
}

/** The reasons of a peer's bad-input events, which is where refusals are told. */
export function badInputs(s: Started): string[] {
  return s.logs.flatMap((e) => (e.ev === 'bad-input' ? [e.reason] : []));
}

/** Whether nothing listens on 127.0.0.1:`port` any more (a connection to it is refused). */
export function portRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}
