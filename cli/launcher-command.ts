/**
 * `chord launch` (what `npm start` is to run): the seed's ring of seven real peer processes on
 * this machine, their lines prefixed in one terminal, and a console to drive them.
 */
import { Command } from 'commander';
import { SEED_PORT_BASE } from '../runtime-node/address';
import { Launcher, SEED_RING } from '../runtime-node/launcher';
import { addLimitOptions, limitArgs, type LimitFlags } from './limit-options';
import { EXIT } from './exit-codes';
import { addLogOptions, createLogger, LOG_LEVELS, logArgs, type LogFlags, type Logger, type LogLevel } from './logger';
import { onBrokenPipe } from './output';
import { decimal, integer, ringKeyOption, type RingKeyFlag } from './parse';

export function launchCommand(): Command {
  return addLogOptions(addLimitOptions(new Command('launch')
    .description("start the seed's ring (peers 2, 4, 5, 8, 9, 14, 19) as real processes, with a console (type help); reads commands from a pipe too")
    .option('--peers <ids>', 'IDs of the initial ring, comma-separated', ids, SEED_RING)
    .option('--ping-interval <seconds>', "the peers' ping interval", decimal(0.01, 3600), 1)
    .option('--replicas <r>', 'successor-list length and copies of each record', integer(1, 16), 3)
    .option('--port-base <n>', 'peer N listens on port base + N', integer(1, 65_000), SEED_PORT_BASE)
    .option('--no-color', 'plain prefixes even on a terminal')
    .addOption(ringKeyOption())))
    .action(async (o: LimitFlags & LogFlags & { peers: number[]; pingInterval: number; replicas: number; portBase: number; color: boolean; ringKey?: RingKeyFlag }) => {
      const logger = createLogger({ format: o.logFormat, level: o.logLevel });
      const json = o.logFormat === 'json';
      const launcher = new Launcher({
        peers: o.peers, pingSeconds: o.pingInterval, replicas: o.replicas, portBase: o.portBase, ringKey: o.ringKey ?? null, peerArgs: [...limitArgs(o), ...logArgs(o)],
        // The same program in the same way (ts-node's hooks included, when running from source).
        chord: [process.execPath, ...process.execArgv, process.argv[1]],
        input: process.stdin,
        print: (line, fields) => (fields ? logger.log('info', line, fields) : logger.answer(line)),
        peerLine: json ? (id, line, stream) => relayPeerLine(logger, id, line, stream) : undefined,
        color: !json && o.color && (process.stdout.hasColors?.() ?? false),
        readyMs: Math.max(10_000, 20 * o.pingInterval * 1000),
      });
      process.on('SIGINT', () => {
        launcher.killAll();
        process.exit(EXIT.interrupted);
      });
      process.on('SIGTERM', () => void launcher.stop(EXIT.terminated));
      // Output going nowhere (the reader of a pipe quit, as `npm start | head` does): stop the ring.
      onBrokenPipe(() => launcher.killAll());
      await launcher.start();
      process.exit(await launcher.done);
    });
}

/**
 * A peer's line in a JSON log: its own record (it runs with the same --log-format), relayed as
 * it is; anything else it printed (a crash on standard error, say) wrapped in a record of its own.
 */
function relayPeerLine(logger: Logger, id: number, line: string, stream: 'stdout' | 'stderr'): void {
  let level: unknown;
  try {
    level = (JSON.parse(line) as { level?: unknown }).level;
  } catch {
    level = undefined;
  }
  if (LOG_LEVELS.includes(level as LogLevel)) logger.relay(line, level as LogLevel);
  else logger.log(stream === 'stderr' ? 'error' : 'info', line, { event: 'peer-output', id: String(id) });
}

function ids(value: string): number[] {
  const list = value.split(',').map((s) => integer(0, 255)(s.trim()));
  if (list.length < 1) throw new Error('expected at least one peer ID');
  return list;
}
