/**
 * `chord put`, `chord get` and `chord ring`: outside clients of a running ring. Each prints one
 * line (or one JSON object with --json) and exits 0 when done; otherwise it prints a one-line
 * reason on standard error and exits with EXIT.* below.
 */
import { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { SEED_PORT_BASE } from '../runtime-node/address';
import { ask, ClientError, walkRing, type Progress } from '../runtime-node/client';
import type { ClientResponse } from '../runtime-node/client-protocol';
import { MAX_VALUE_BYTES } from '../runtime-node/framing';
import { outcomeJson, outcomeLine, ringJson, ringLines, type Outcome } from '../runtime-node/format';
import { decimal, integer, peerRef, resolvePeerRef, ringKeyOption, type PeerRef, type RingKeyFlag } from './parse';
import { ringHtml } from './ring-picture/html';
import { ringSvg } from './ring-picture/svg';

export const EXIT = { ok: 0, usage: 1, notFound: 3, unreachable: 4, failed: 5, refused: 6 } as const;

/** Values from this size up get a progress bar on a terminal. */
const BAR_FROM_BYTES = 1024 * 1024;

interface ClientFlags {
  via: PeerRef;
  json?: boolean;
  timeout: number;
  portBase: number;
  ringKey?: RingKeyFlag;
}

/** The flags every client command takes. */
function clientCommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .requiredOption('--via <peer>', 'the peer to ask: host:port, or a bare peer ID (127.0.0.1, port base + ID)', peerRef)
    .option('--json', 'print one JSON object')
    .option('--timeout <seconds>', 'how long to wait for the answer', decimal(0.1, 86_400), 60)
    .option('--port-base <n>', 'port of peer 0 in the seed scheme, for bare peer IDs', integer(1, 65_535), SEED_PORT_BASE)
    .addOption(ringKeyOption());
}

export function putCommand(): Command {
  const cmd: Command = clientCommand('put', 'store a record through a peer: the bytes of a file, or --value text')
    .argument('<key>', 'record key: a non-negative integer is its own ring position (mod 2^bits); any other name is hashed')
    .argument('[file]', 'the file to store')
    .option('--value <text>', 'store this text instead of a file')
    .action((key: string, file: string | undefined, o: ClientFlags & { value?: string }) => run(cmd, async () => {
      if ((file === undefined) === (o.value === undefined)) cmd.error('error: give either a file or --value <text>');
      const value = o.value !== undefined ? Buffer.from(o.value, 'utf8') : readValue(cmd, file as string);
      const bar = progressBar(value.length, o.json);
      const outcome = await timed(key, value.length, () => ask(viaOf(cmd, o), { t: 'put', key, value }, o.timeout * 1000, { key: o.ringKey?.key, progress: { sent: (n, total) => bar?.update(n, total) } }));
      bar?.stop();
      report(o, outcome, outcomeJson(outcome, value));
    }));
  return cmd;
}

export function getCommand(): Command {
  const cmd: Command = clientCommand('get', 'fetch a record through a peer; without -o its bytes go to standard output')
    .argument('<key>', 'record key')
    .option('-o, --output <file>', 'write the bytes to this file')
    .action((key: string, o: ClientFlags & { output?: string }) => run(cmd, async () => {
      let bar: Bar | null = null;
      const progress: Progress = {
        received: (n, total) => {
          bar ??= progressBar(total, o.json);
          bar?.update(n, total);
        },
      };
      const outcome = await timed(key, 0, () => ask(viaOf(cmd, o), { t: 'get', key }, o.timeout * 1000, { key: o.ringKey?.key, progress }));
      (bar as Bar | null)?.stop();
      const r = outcome.response;
      const value = r.t === 'get-ok' ? r.value : null;
      const sized = { ...outcome, size: value?.length ?? 0 };
      if (value && o.output) writeFileSync(o.output, value);
      if (o.json) return report(o, sized, { ...outcomeJson(sized), ...(value && !o.output ? inlineValue(value) : {}) });
      if (value && !o.output) {
        process.stdout.write(value);
        console.error(outcomeLine(sized));
        return;
      }
      report(o, sized, {});
    }));
  return cmd;
}

export function ringCommand(): Command {
  const cmd: Command = clientCommand('ring', 'walk the ring from a peer, following successors, and print every peer')
    .option('--svg <file>', 'also draw the ring as an SVG picture, peers at their ring positions')
    .option('--html <file>', 'also write the picture as an interactive HTML page (hover a peer for its state)')
    .option('--fingers', "draw every peer's fingers in the picture")
    .action((o: ClientFlags & { svg?: string; html?: string; fingers?: boolean }) => run(cmd, async () => {
      if (o.fingers && !o.svg && !o.html) cmd.error('error: --fingers draws in a picture: give --svg <file> or --html <file> too');
      const walk = await walkRing(viaOf(cmd, o), o.timeout * 1000, o.ringKey?.key);
      const picture = { fingers: !!o.fingers, at: new Date() };
      if (o.svg) writeFileSync(o.svg, ringSvg(walk, picture));
      if (o.html) writeFileSync(o.html, ringHtml(walk, picture));
      console.log(o.json ? JSON.stringify(ringJson(walk)) : ringLines(walk).join('\n'));
    }));
  return cmd;
}

function viaOf(cmd: Command, o: ClientFlags): string {
  try {
    return resolvePeerRef(o.via, o.portBase);
  } catch (e) {
    return cmd.error(`error: ${(e as Error).message}`);
  }
}

function readValue(cmd: Command, file: string): Buffer {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    return cmd.error(`error: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (size > MAX_VALUE_BYTES) {
    return cmd.error(`error: ${file} is ${size} bytes; the largest record is ${MAX_VALUE_BYTES} bytes (64 MiB)`);
  }
  return readFileSync(file);
}

async function timed(key: string, size: number, request: () => Promise<ClientResponse>): Promise<Outcome> {
  const t0 = performance.now();
  const response = await request();
  return { key, size, ms: performance.now() - t0, response };
}

/** Prints the outcome and sets the exit code from it. */
function report(o: { json?: boolean }, outcome: Outcome, json: Record<string, unknown>): void {
  const r = outcome.response;
  if (o.json) console.log(JSON.stringify(json));
  if (r.t === 'error') {
    console.error(`chord: ${outcomeLine(outcome)}`);
    process.exitCode = r.code === 'not-found' ? EXIT.notFound : r.code === 'bad-request' ? EXIT.usage : EXIT.failed;
  } else if (!o.json) {
    console.log(outcomeLine(outcome));
  }
}

function inlineValue(value: Uint8Array): Record<string, string> {
  const text = Buffer.from(value).toString('utf8');
  return Buffer.byteLength(text) === value.length ? { value: text } : { valueBase64: Buffer.from(value).toString('base64') };
}

/** Counts bytes of the whole message on the wire, which is the record plus a few header bytes. */
type Bar = { update(n: number, total: number): void; stop(): void };

function progressBar(total: number, json: boolean | undefined): Bar | null {
  if (json || total < BAR_FROM_BYTES || !process.stderr.isTTY) return null;
  const bar = new SingleBar({ stream: process.stderr, format: '{bar} {percentage}% | {value}/{total} bytes | {eta_formatted}', hideCursor: true });
  bar.start(total, 0);
  return {
    update: (n, wire) => {
      bar.setTotal(wire);
      bar.update(n);
    },
    stop: () => bar.stop(),
  };
}

/** Runs an action, turning a failure into a one-line reason and an exit code. */
function run(cmd: Command, action: () => Promise<void>): Promise<void> {
  return action().catch((e: unknown) => {
    if (e instanceof ClientError) {
      console.error(`chord ${cmd.name()}: ${e.message}`);
      process.exitCode = e.kind === 'unreachable' ? EXIT.unreachable : e.kind === 'refused' ? EXIT.refused : EXIT.failed;
      return;
    }
    console.error(`chord ${cmd.name()}: ${(e as Error).message}`);
    process.exitCode = EXIT.failed;
  });
}
