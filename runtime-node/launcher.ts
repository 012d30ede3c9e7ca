/**
 * A local ring of real peer processes in one terminal, like the seed's launcher without its X
 * windows: each peer runs as `chord init`/`chord join` in a child process, its lines prefixed
 * (and coloured on a terminal) with its ID; a console drives the ring. Standard input may be a
 * pipe: commands run in order, and the end of input, like `exit`, stops every peer started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { styleText } from 'node:util';
import { seedAddr } from './address';
import { ask, peerState, walkRing } from './client';
import type { PeerStateInfo } from './client-protocol';
import { helpLines, runConsole, type ConsoleCommand } from './console';
import { outcomeLine, ringLines, valuePreview } from './format';
import type { RingKey } from './ring-key';

export const SEED_RING = [2, 4, 5, 8, 9, 14, 19];

export interface LauncherOptions {
  readonly peers: readonly number[];
  readonly pingSeconds: number;
  readonly replicas: number;
  readonly portBase: number;
  /** How to run the chord command line: executable and leading arguments. */
  readonly chord: readonly string[];
  readonly input: Readable;
  /** The launcher's own lines (with `fields`, naming the event for a structured log) and its console's answers (without). */
  readonly print: (line: string, fields?: { readonly event: string; readonly id?: string }) => void;
  /** Each line a peer prints, with the stream it came on; without it, printed with the peer's prefix. */
  readonly peerLine?: (id: number, line: string, stream: 'stdout' | 'stderr') => void;
  readonly color: boolean;
  /** How long a peer may take to become a ring member before the launcher gives up on it. */
  readonly readyMs: number;
  /** More flags for every peer it starts (their limits). */
  readonly peerArgs: readonly string[];
  /** Given to every peer started (as its file), and used by the console to ask them. */
  readonly ringKey: { readonly path: string; readonly key: RingKey } | null;
}

const PALETTE = ['cyan', 'green', 'yellow', 'magenta', 'blue', 'red'] as const;
const STOP_MS = 5000;

interface Running {
  readonly id: number;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  alive: boolean;
}

export class Launcher {
  private readonly peers = new Map<number, Running>();
  private colorNext = 0;
  private finished!: (code: number) => void;
  /** Settles with the launcher's exit code once every peer it started has stopped. */
  readonly done = new Promise<number>((resolve) => (this.finished = resolve));
  private stopping = false;

  constructor(private readonly o: LauncherOptions) {}

  /** Starts the initial ring, waits for it, then serves the console. */
  async start(): Promise<void> {
    const ids = [...new Set(this.o.peers)].sort((a, b) => a - b);
    for (const [i, id] of ids.entries()) {
      const succs = [ids[(i + 1) % ids.length], ids[(i + 2) % ids.length]];
      this.spawnPeer(id, ['init', String(id), String(succs[0]), String(succs[1]), String(this.o.pingSeconds)]);
    }
    const ready = await Promise.all(ids.map((id) => this.waitMember(id, ids.length > 1)));
    const missing = ids.filter((_, i) => !ready[i]);
    if (missing.length > 0) {
      this.o.print(`the ring did not come up: peer(s) ${missing.join(', ')} exited or did not join within ${this.o.readyMs} ms; stopping`, { event: 'ring-failed' });
      return this.stop(1);
    }
    this.o.print(`ring of ${ids.length} peers is up (${ids.join(', ')}); type help for commands`, { event: 'ring-up' });
    const commands = this.commands();
    runConsole({ input: this.o.input, commands, print: (line) => this.o.print(line), onEnd: () => void this.stop(0) });
  }

  /**
   * Stops every peer still running. The whole ring goes, so nobody leaves gracefully (each
   * would hand its records to a successor that is leaving too): SIGINT, as Ctrl-C in the
   * seed's windows, and SIGKILL for any peer that has not gone after a while.
   */
  async stop(code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const live = [...this.peers.values()].filter((p) => p.alive);
    this.o.print(`stopping ${live.length} peer(s)`, { event: 'stopping' });
    for (const p of live) p.child.kill('SIGINT');
    await Promise.all(live.map((p) => this.waitExit(p, STOP_MS)));
    for (const p of live) if (p.alive) p.child.kill('SIGKILL');
    await Promise.all(live.map((p) => p.exited));
    this.o.print('every peer has stopped', { event: 'stopped' });
    this.finished(code);
  }

  /** Abrupt stop of everything, for a signal to the launcher itself. */
  killAll(): void {
    for (const p of this.peers.values()) if (p.alive) p.child.kill('SIGKILL');
  }

  private spawnPeer(id: number, args: string[]): Running {
    const [exe, ...lead] = this.o.chord;
    // The IPC channel is the child's tie to the launcher: it closes however the launcher ends
    // (even SIGKILL), and the peer then stops too (see peer-command.ts), leaving no orphans.
    const keyArgs = this.o.ringKey ? ['--ring-key', this.o.ringKey.path] : [];
    const child = spawn(exe, [...lead, ...args, '--replicas', String(this.o.replicas), '--port-base', String(this.o.portBase), ...this.o.peerArgs, ...keyArgs], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] });
    const prefix = this.prefix(id);
    const relay = this.o.peerLine ?? ((_id: number, line: string) => this.o.print(`${prefix} ${line}`));
    for (const [stream, name] of [[child.stdout, 'stdout'], [child.stderr, 'stderr']] as const) {
      if (stream) createInterface({ input: stream }).on('line', (line) => relay(id, line, name));
    }
    // A peer that exits by itself closes its stdin pipe; writing to it must not kill the launcher.
    child.stdin?.on('error', () => undefined);
    const running: Running = {
      id, child, alive: true,
      exited: new Promise((resolve) => child.once('exit', (code, signal) => {
        running.alive = false;
        this.o.print(`${prefix} exited (${signal ?? `code ${code}`})`, { event: 'exited', id: String(id) });
        resolve();
      })),
    };
    this.peers.set(id, running);
    return running;
  }

  private get key(): RingKey | null {
    return this.o.ringKey?.key ?? null;
  }

  private prefix(id: number): string {
    const label = `peer ${String(id).padStart(3)} |`;
    return this.o.color ? styleText(PALETTE[this.colorNext++ % PALETTE.length], label) : label;
  }

  private addr(id: number): string {
    return seedAddr(BigInt(id), this.o.portBase);
  }

  /**
   * Polls the peer's state until it is a ring member and, with `needPred`, has a predecessor
   * that has it as its successor: a ring walk then finds it (a predecessor that heard from it
   * once may still drop it for a moment: one that asked it before its successor's hand-off
   * accepted it heard "no member"), and a peer started by `init` no longer takes itself for its
   * own predecessor, primary for every key. False if the peer exits or time runs out.
   */
  private async waitMember(id: number, needPred: boolean): Promise<boolean> {
    const p = this.peers.get(id);
    const deadline = Date.now() + this.o.readyMs;
    while (p?.alive && Date.now() < deadline) {
      try {
        const s = await peerState(this.addr(id), 1000, this.key);
        if (s.phase === 'member' && (!needPred || (await this.listedByPred(s)))) return true;
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }

  /** Whether the peer has a predecessor other than itself, whose successor it is. */
  private async listedByPred(s: PeerStateInfo): Promise<boolean> {
    if (s.pred === null || s.pred.addr === s.self.addr) return false;
    return (await peerState(s.pred.addr, 1000, this.key)).succs[0]?.addr === s.self.addr;
  }

  private waitExit(p: Running, ms: number): Promise<void> {
    return Promise.race([p.exited, new Promise<void>((r) => setTimeout(r, ms).unref())]);
  }

  private live(id: number): Running {
    const p = this.peers.get(id);
    if (!p?.alive) throw new Error(`no running peer ${id}`);
    return p;
  }

  /** "via <id>" at the end of a command's arguments, else the first live peer. */
  private via(args: readonly string[]): { rest: readonly string[]; addr: string } {
    const n = args.length;
    if (n >= 2 && args[n - 2].toLowerCase() === 'via') return { rest: args.slice(0, n - 2), addr: this.addr(this.live(parseId(args[n - 1])).id) };
    return { rest: args, addr: this.addr(this.firstLive()) };
  }

  private commands(): Record<string, ConsoleCommand> {
    const timeout = 60_000;
    const commands: Record<string, ConsoleCommand> = {
      store: {
        args: '<key> [file] [via <id>]', help: 'store a file (or a short text) under key, through a peer', minArgs: 1, maxArgs: 4,
        run: async (args) => {
          const { rest: [key, file], addr } = this.via(args);
          const value = file ? readFileSync(file) : Buffer.from(`record ${key}`);
          const t0 = performance.now();
          const response = await ask(addr, { t: 'put', key, value }, timeout, { key: this.key });
          this.o.print(outcomeLine({ key, size: value.length, ms: performance.now() - t0, response }));
        },
      },
      request: {
        args: '<key> [out-file] [via <id>]', help: 'fetch the record of key through a peer', minArgs: 1, maxArgs: 4,
        run: async (args) => {
          const { rest: [key, out], addr } = this.via(args);
          const t0 = performance.now();
          const response = await ask(addr, { t: 'get', key }, timeout, { key: this.key });
          const value = response.t === 'get-ok' ? response.value : null;
          this.o.print(outcomeLine({ key, size: value?.length ?? 0, ms: performance.now() - t0, response }));
          if (value && out) writeFileSync(out, value);
          else if (value) this.o.print(`  ${valuePreview(value)}`);
        },
      },
      join: {
        args: '<id> [via <id>]', help: 'start a new peer that joins through a running one', minArgs: 1, maxArgs: 3,
        run: async (args) => {
          const id = parseId(args[0]);
          if (this.peers.get(id)?.alive) throw new Error(`peer ${id} is already running`);
          const via = args.length === 3 && args[1].toLowerCase() === 'via' ? this.live(parseId(args[2])).id : this.firstLive();
          this.spawnPeer(id, ['join', String(id), String(via), String(this.o.pingSeconds)]);
          this.o.print((await this.waitMember(id, true)) ? `peer ${id} joined via peer ${via}` : `peer ${id} did not join`);
        },
      },
      quit: {
        args: '<id>', help: 'peer id leaves gracefully', minArgs: 1, maxArgs: 1,
        run: async ([id]) => {
          const p = this.live(parseId(id));
          p.child.stdin?.write('quit\n');
          await this.waitExit(p, STOP_MS);
        },
      },
      kill: {
        args: '<id>', help: 'peer id dies abruptly (SIGKILL)', minArgs: 1, maxArgs: 1,
        run: async ([id]) => {
          const p = this.live(parseId(id));
          p.child.kill('SIGKILL');
          await p.exited;
        },
      },
      ring: {
        args: '', help: 'walk the ring and print every peer', minArgs: 0, maxArgs: 0,
        run: async () => ringLines(await walkRing(this.addr(this.firstLive()), 5000, this.key)).forEach((line) => this.o.print(line)),
      },
      help: {
        args: '', help: 'this list', minArgs: 0, maxArgs: 0,
        run: () => ['commands (any case):', ...helpLines(commands)].forEach((line) => this.o.print(line)),
      },
      exit: {
        args: '', help: 'stop every peer and leave', minArgs: 0, maxArgs: 0,
        run: () => this.stop(0),
      },
    };
    return commands;
  }

  private firstLive(): number {
    const ids = [...this.peers.values()].filter((p) => p.alive).map((p) => p.id).sort((a, b) => a - b);
    if (ids.length === 0) throw new Error('no peer is running');
    return ids[0];
  }
}

function parseId(word: string): number {
  if (!/^\d+$/.test(word) || Number(word) > 255) throw new Error(`"${word}" is not a peer ID from 0 to 255`);
  return Number(word);
}
