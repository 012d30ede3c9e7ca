/**
 * `chord peer`, and the seed's own forms `chord init` and `chord join`: one real peer in this
 * process. It prints one line per protocol event and reads commands from standard input.
 * `quit` and SIGTERM leave gracefully (exit 0); Ctrl-C (SIGINT) stops at once without telling
 * anyone (exit 130), like a crash, as in the seed. A peer that cannot start fails the command
 * (exit-codes.ts: failed); one whose join fails exits unreachable (its bootstrap peer did not
 * answer) or failed (any other reason, such as a duplicate ID).
 */
import { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { decimalOf } from '../core/id';
import { keyOf } from '../edge/key-id';
import { listenProblem, SEED_PORT_BASE, seedPeer } from '../runtime-node/address';
import { walkRing } from '../runtime-node/client';
import { responseOf, stateInfo } from '../runtime-node/client-server';
import { helpLines, runConsole, type ConsoleCommand } from '../runtime-node/console';
import { startPeer, type PeerHandle, type Start } from '../runtime-node/peer-driver';
import { outcomeLine, ringLines, stateLines, valuePreview } from '../runtime-node/format';
import type { Limits } from '../runtime-node/limits';
import type { RingKey } from '../runtime-node/ring-key';
import type { LogEvent } from '../core/types';
import { addLimitOptions, limitsOf, type LimitFlags } from './limit-options';
import { CliError, EXIT, EXIT_CODES, type ErrorCode } from './exit-codes';
import { addLogOptions, createLogger, logEvent, type LogFlags, type Logger } from './logger';
import { advertised, bigInteger, decimal, integer, peerRef, resolvePeerRef, ringKeyOption, type Advertised, type PeerRef, type RingKeyFlag } from './parse';

interface PeerRun {
  readonly bits: number;
  readonly id?: bigint;
  readonly host: string;
  readonly advertise?: string;
  readonly port: number;
  readonly start: Start;
  readonly pingSeconds: number;
  readonly replicas: number;
  readonly ringKey: RingKey | null;
  readonly limits: Partial<Limits>;
  readonly log: LogFlags;
  readonly dataDir?: string;
}

const SEED_BITS = 8;

export function peerCommand(): Command {
  const cmd: Command = new Command('peer')
    .description('run one peer: start a ring, or --join one; prints protocol events, reads commands (type help)')
    .option('--id <n>', 'peer ID, an integer below 2^bits (default: SHA-1 of its address, the advertised one)', bigInteger)
    .option('--bits <m>', 'identifier bits (8 to 160)', integer(8, 160), SEED_BITS)
    .option('--host <host>', 'address to listen on, and to give to other peers unless --advertise says another; 0.0.0.0 or :: (every interface) needs --advertise', '127.0.0.1')
    .option('--advertise <host[:port]>', 'the IP address other peers are told (in this peer\'s ID and messages), when it is not --host; its port is the one listened on', advertised)
    .option('--port <n>', 'UDP and TCP port (default: the --advertise port, else port base + ID with 8-bit IDs, else chosen by the system)', integer(0, 65_535))
    .option('--join <peer>', 'join the ring of this peer: host:port, or a bare peer ID (127.0.0.1, port base + ID)', peerRef)
    .option('--ping-interval <seconds>', 'how often to ping neighbours; the other timings follow', decimal(0.01, 3600), 1)
    .option('--replicas <r>', 'successor-list length and copies of each record', integer(1, 16), 3)
    .option('--port-base <n>', "port of peer 0 in the seed's scheme", integer(1, 65_535), SEED_PORT_BASE)
    .option('--data-dir <dir>', 'keep the records in this directory (a database, each write on disk before it is acknowledged) and load them back at start; restart with the same ID and directory')
    .addOption(ringKeyOption());
  return addLogOptions(addLimitOptions(cmd))
    .action((o: LimitFlags & LogFlags & { id?: bigint; bits: number; host: string; advertise?: Advertised; port?: number; join?: PeerRef; pingInterval: number; replicas: number; portBase: number; ringKey?: RingKeyFlag; dataDir?: string }) => {
      if (o.id !== undefined && o.id >= 1n << BigInt(o.bits)) cmd.error(`error: --id ${o.id} is not below 2^${o.bits}`);
      const problem = listenProblem(o.host, o.advertise?.host);
      if (problem !== null) cmd.error(`error: ${problem}`);
      const told = o.advertise?.port;
      if (told !== undefined && o.port !== undefined && told !== o.port) cmd.error(`error: --advertise port ${told} is not --port ${o.port}: other peers reach this one on the port it listens on`);
      const seedPort = o.bits === SEED_BITS && o.id !== undefined ? o.portBase + Number(o.id) : 0;
      if (seedPort > 65_535 && o.port === undefined && told === undefined) cmd.error(`error: port ${seedPort} (port base + ID) is above 65535; give --port`);
      return runPeer({
        bits: o.bits, id: o.id, host: o.host, advertise: o.advertise?.host, port: o.port ?? told ?? seedPort, pingSeconds: o.pingInterval, replicas: o.replicas,
        ringKey: o.ringKey?.key ?? null, limits: limitsOf(o), log: o, dataDir: o.dataDir,
        start: o.join ? { kind: 'join', via: resolvePeerRef(o.join, o.portBase) } : { kind: 'create' },
      });
    });
}

/** The flags both seed forms take besides their positional arguments. */
function seedForm(name: string, description: string): Command {
  return addLogOptions(addLimitOptions(new Command(name)
    .description(description)
    .option('--replicas <r>', 'successor-list length and copies of each record', integer(1, 16), 3)
    .option('--port-base <n>', 'port of peer 0 (the seed uses 12000)', integer(1, 65_000), SEED_PORT_BASE)
    .addOption(ringKeyOption())));
}

interface SeedFlags extends LimitFlags, LogFlags {
  replicas: number;
  portBase: number;
  ringKey?: RingKeyFlag;
}

export function initCommand(): Command {
  return seedForm('init', "the seed's form: start a peer of the initial ring, told its two successors")
    .argument('<id>', 'peer ID (0 to 255)', integer(0, 255))
    .argument('<succ1>', 'first successor ID', integer(0, 255))
    .argument('<succ2>', 'second successor ID', integer(0, 255))
    .argument('<ping-seconds>', 'ping interval in seconds', decimal(0.01, 3600))
    .action((id: number, s1: number, s2: number, ping: number, o: SeedFlags) => {
      const succs = [s1, s2].map((s) => seedPeer(BigInt(s), SEED_BITS, o.portBase));
      return runPeer({ ...seedRun(id, ping, o), start: { kind: 'init', succs } });
    });
}

export function joinCommand(): Command {
  return seedForm('join', "the seed's form: start a peer that joins the ring through a known peer")
    .argument('<id>', 'new peer ID (0 to 255)', integer(0, 255))
    .argument('<known-id>', 'ID of any peer in the ring', integer(0, 255))
    .argument('<ping-seconds>', 'ping interval in seconds', decimal(0.01, 3600))
    .action((id: number, known: number, ping: number, o: SeedFlags) => {
      const via = seedPeer(BigInt(known), SEED_BITS, o.portBase).addr;
      return runPeer({ ...seedRun(id, ping, o), start: { kind: 'join', via } });
    });
}

function seedRun(id: number, ping: number, o: SeedFlags): Omit<PeerRun, 'start'> {
  return { bits: SEED_BITS, id: BigInt(id), host: '127.0.0.1', port: o.portBase + id, pingSeconds: ping, replicas: o.replicas, ringKey: o.ringKey?.key ?? null, limits: limitsOf(o), log: o };
}

async function runPeer(o: PeerRun): Promise<void> {
  let id: string | null = null;
  const logger = createLogger({ format: o.log.logFormat, level: o.log.logLevel, base: () => (id === null ? {} : { id }) });
  // Events of the start itself come before the peer knows its address: hold them for the banner.
  const early: LogEvent[] = [];
  let onLog: (e: LogEvent) => void = (e) => early.push(e);
  let peer: PeerHandle;
  try {
    peer = await startPeer({
      bits: o.bits, id: o.id, host: o.host, advertise: o.advertise, port: o.port, start: o.start, replicas: o.replicas, ringKey: o.ringKey, limits: o.limits, dataDir: o.dataDir,
      pingInterval: o.pingSeconds * 1000, onLog: (e) => onLog(e),
    });
  } catch (e) {
    throw new CliError('failed', (e as Error).message);
  }
  id = decimalOf(peer.self);
  // Before the banner: whoever waits for it may signal at once.
  process.on('SIGINT', () => {
    logger.log('info', 'interrupted: stopping at once, without leaving', { event: 'interrupted' });
    process.exit(EXIT.interrupted);
  });
  process.on('SIGTERM', () => void leave(peer, logger));
  // Started by `chord launch`: a launcher that is gone (killed, or its output closed) takes its
  // peers with it, as a Ctrl-C to the whole ring would.
  if (process.connected) {
    process.on('disconnect', () => {
      logger.log('info', 'launcher gone: stopping at once, without leaving', { event: 'launcher-gone' });
      process.exit(EXIT.interrupted);
    });
  }
  onLog = (e) => logEvent(logger, e);
  const via = o.start.kind === 'join' ? `, joining via ${o.start.via}` : '';
  const bound = peer.listening === peer.self.addr ? '' : `, listening on ${peer.listening}`;
  const loaded = peer.state().records.size;
  const disk = o.dataDir === undefined ? '' : `, records kept in ${o.dataDir} (${loaded} loaded)`;
  logger.log('info', `peer ${id} at ${peer.self.addr} (UDP and TCP${bound}), ${o.bits}-bit IDs, r=${o.replicas}, ping every ${o.pingSeconds} s${via}${disk}; type help for commands`, {
    event: 'started', address: peer.self.addr, bits: o.bits, replicas: o.replicas, pingInterval: o.pingSeconds * 1000, ...(o.start.kind === 'join' ? { join: o.start.via } : {}),
    ...(o.dataDir === undefined ? {} : { dataDir: o.dataDir, loaded }),
  });
  if (o.ringKey) logger.log('info', 'ring key set: only its holders may join, store, read or ask (frames and datagrams authenticated, not encrypted)', { event: 'ring-key', keyed: true });
  else logger.log('warn', 'no ring key: the ring is open, anyone who can reach this port can join it, store, read and ask (give --ring-key FILE to close it)', { event: 'ring-key', keyed: false });
  early.forEach(onLog);
  const commands = peerConsole(peer, o.ringKey, logger);
  runConsole({ input: process.stdin, commands, print: (line) => logger.answer(line), aliases: { put: 'store', get: 'request', exit: 'quit' } });
  const info = await peer.stopped;
  logger.log(info.how === 'failed' ? 'error' : 'info', `stopped: ${info.reason}`, { event: 'stopped', how: info.how, reason: info.reason });
  process.exit(info.how === 'failed' ? EXIT_CODES[joinFailure(info.reason)] : EXIT.ok);
}

/** A join that found no bootstrap peer is told apart: the address given was wrong, or the ring is down. */
function joinFailure(reason: string): ErrorCode {
  return /bootstrap peer unreachable/.test(reason) ? 'unreachable' : 'failed';
}

async function leave(peer: PeerHandle, logger: Logger): Promise<void> {
  try {
    await peer.leave();
  } catch (e) {
    logger.log('warn', `${(e as Error).message}; stopping anyway`, { event: 'leave-failed' });
    await peer.close();
  }
}

function peerConsole(peer: PeerHandle, key: RingKey | null, logger: Logger): Record<string, ConsoleCommand> {
  const bits = peer.config.bits;
  const keyId = (key: string) => decimalOf(keyOf(key, bits));
  const commands: Record<string, ConsoleCommand> = {
    store: {
      args: '<key> [file]', help: 'store a file (or, without one, a short text) under key', minArgs: 1, maxArgs: 2,
      run: async ([key, file]) => {
        const value = file ? readFileSync(file) : Buffer.from(`record ${key}, stored through peer ${decimalOf(peer.self)}`);
        const t0 = performance.now();
        const reply = await peer.put(key, value);
        logger.answer(outcomeLine({ key, size: value.length, ms: performance.now() - t0, response: responseOf(0, keyId(key), reply) }));
      },
    },
    request: {
      args: '<key> [out-file]', help: 'fetch the record of key; print it, or write it to out-file', minArgs: 1, maxArgs: 2,
      run: async ([key, out]) => {
        const t0 = performance.now();
        const reply = await peer.get(key);
        const size = reply.ok && reply.op === 'get' ? reply.rec.value.length : 0;
        logger.answer(outcomeLine({ key, size, ms: performance.now() - t0, response: responseOf(0, keyId(key), reply) }));
        if (!reply.ok || reply.op !== 'get') return;
        if (out) writeFileSync(out, reply.rec.value);
        else logger.answer(`  ${valuePreview(reply.rec.value)}`);
      },
    },
    ring: {
      args: '', help: 'walk the ring from this peer and print every peer', minArgs: 0, maxArgs: 0,
      run: async () => logger.answer(ringLines(await walkRing(peer.self.addr, peer.config.rpcTimeout * 2, key)).join('\n')),
    },
    state: {
      args: '', help: "this peer's successors, predecessor, fingers and records", minArgs: 0, maxArgs: 0,
      run: () => logger.answer(stateLines(stateInfo(peer.state())).join('\n')),
    },
    quit: {
      args: '', help: 'leave the ring gracefully (hand records over) and exit', minArgs: 0, maxArgs: 0,
      run: () => leave(peer, logger),
    },
    help: {
      args: '', help: 'this list', minArgs: 0, maxArgs: 0,
      run: () => logger.answer(['commands (any case):', ...helpLines(commands)].join('\n')),
    },
  };
  return commands;
}
