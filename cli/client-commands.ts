/**
 * `chord put`, `chord get` and `chord ring`: outside clients of a running ring. Each prints one
 * line (or one JSON object with --json) and exits 0 when done; otherwise it throws a CliError,
 * which cli/main.ts tells (a line on standard error, the error object with --json) and turns
 * into the exit code of its kind (exit-codes.ts).
 */
import { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { SEED_PORT_BASE } from '../runtime-node/address';
import { ask, ClientError, walkRing, type Progress } from '../runtime-node/client';
import type { ClientResponse, ErrorCode as ResponseCode } from '../runtime-node/client-protocol';
import { MAX_VALUE_BYTES } from '../runtime-node/framing';
import { outcomeJson, outcomeLine, ringJson, ringLines, type Outcome } from '../runtime-node/format';
import { decimal, integer, peerRef, resolvePeerRef, ringKeyOption, type PeerRef, type RingKeyFlag } from './parse';
import { CliError, type ErrorCode } from './exit-codes';
import { printJson } from './output';
import { ringHtml } from './ring-picture/html';
import { ringSvg } from './ring-picture/svg';
import { transferLine } from './units';

/** What a peer's refusal of a request is, as a command's error. */
const RESPONSE_ERRORS: Readonly<Record<ResponseCode, ErrorCode>> = { 'not-found': 'not-found', failed: 'failed', 'bad-request': 'usage', refused: 'refused' };
/** What a client's own failure is (no answer, or none in time). */
const CLIENT_ERRORS: Readonly<Record<ClientError['kind'], ErrorCode>> = { unreachable: 'unreachable', timeout: 'timeout', refused: 'refused', protocol: 'failed' };

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
    .action((key: string, file: string | undefined, o: ClientFlags & { value?: string }) => run(async () => {
      if ((file === undefined) === (o.value === undefined)) cmd.error('error: give either a file or --value <text>');
      const value = o.value !== undefined ? Buffer.from(o.value, 'utf8') : readValue(cmd, file as string);
      const bar = progressBar(value.length, o.json);
      const outcome = await timed(key, value.length, () => ask(viaOf(cmd, o), { t: 'put', key, value }, o.timeout * 1000, { key: o.ringKey?.key, progress: { sent: (n, total) => bar?.update(n, total) } }));
      bar?.stop();
      report('put', o, outcome, outcomeJson(outcome, value));
    }));
  return cmd;
}

export function getCommand(): Command {
  const cmd: Command = clientCommand('get', 'fetch a record through a peer; without -o its bytes go to standard output')
    .argument('<key>', 'record key')
    .option('-o, --output <file>', 'write the bytes to this file')
    .action((key: string, o: ClientFlags & { output?: string }) => run(async () => {
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
      if (value && !o.output && !o.json) {
        process.stdout.write(value);
        console.error(outcomeLine(sized));
        return;
      }
      report('get', o, sized, { ...outcomeJson(sized), ...(value && !o.output ? inlineValue(value) : {}), ...(value && o.output ? { output: o.output } : {}) });
    }));
  return cmd;
}

export function ringCommand(): Command {
  const cmd: Command = clientCommand('ring', 'walk the ring from a peer, following successors, and print every peer')
    .option('--svg <file>', 'also draw the ring as an SVG picture, peers at their ring positions')
    .option('--html <file>', 'also write the picture as an interactive HTML page (hover a peer for its state)')
    .option('--fingers', "draw every peer's fingers in the picture")
    .action((o: ClientFlags & { svg?: string; html?: string; fingers?: boolean }) => run(async () => {
      if (o.fingers && !o.svg && !o.html) cmd.error('error: --fingers draws in a picture: give --svg <file> or --html <file> too');
      const walk = await walkRing(viaOf(cmd, o), o.timeout * 1000, o.ringKey?.key);
      const picture = { fingers: !!o.fingers, at: new Date() };
      if (o.svg) writeFileSync(o.svg, ringSvg(walk, picture));
      if (o.html) writeFileSync(o.html, ringHtml(walk, picture));
      if (o.json) printJson('ring', ringJson(walk));
      else console.log(ringLines(walk).join('\n'));
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

/** Prints a put's or get's outcome, or throws the peer's refusal as the command's error. */
function report(command: string, o: { json?: boolean }, outcome: Outcome, fields: Record<string, unknown>): void {
  const r = outcome.response;
  if (r.t === 'error') throw new CliError(RESPONSE_ERRORS[r.code], outcomeLine(outcome), fields);
  if (o.json) printJson(command, fields);
  else console.log(outcomeLine(outcome));
}

function inlineValue(value: Uint8Array): Record<string, string> {
  const text = Buffer.from(value).toString('utf8');
  return Buffer.byteLength(text) === value.length ? { value: text } : { valueBase64: Buffer.from(value).toString('base64') };
}

/** Counts bytes of the whole message on the wire, which is the record plus a few header bytes. */
type Bar = { update(n: number, total: number): void; stop(): void };

function progressBar(total: number, json: boolean | undefined): Bar | null {
  if (json || total < BAR_FROM_BYTES || !process.stderr.isTTY) return null;
  const bar = new SingleBar({ stream: process.stderr, fps: 5, hideCursor: true, format: (_o, p) => transferLine(p.value, p.total, Date.now() - p.startTime) });
  bar.start(total, 0);
  return {
    update: (n, wire) => {
      bar.setTotal(wire);
      bar.update(n);
    },
    stop: () => bar.stop(),
  };
}

/** Runs an action, turning a client's failure (no connection, no answer in time) into the command's error. */
function run(action: () => Promise<void>): Promise<void> {
  return action().catch((e: unknown) => {
    throw e instanceof ClientError ? new CliError(CLIENT_ERRORS[e.kind], e.message) : e;
  });
}
