#!/usr/bin/env node
/** The `chord` command line. */
import { Command, CommanderError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { simCommand } from './sim-command';
import { replayCommand } from './replay-command';
import { fuzzCommand } from './fuzz-command';
import { demoCommand } from './demo-command';
import { peerCommand, initCommand, joinCommand } from './peer-command';
import { putCommand, getCommand, ringCommand } from './client-commands';
import { launchCommand } from './launcher-command';
import { CliError, EXIT_CODES, type ErrorCode } from './exit-codes';
import { reportFailure, stopOnBrokenPipe, wantsJson } from './output';

/** A usage error commander has told on standard error, and the command it was of. */
class Refused extends Error {
  constructor(readonly command: string | null, readonly cause: CommanderError) {
    super(cause.message);
  }
}

stopOnBrokenPipe();
const json = wantsJson();
const program = new Command('chord')
  .description('A Chord distributed hash table: simulated rings now, real peers over UDP and TCP')
  .version(packageVersion(), '-V, --version', 'print the version of chord-dht')
  .showHelpAfterError()
  .addCommand(simCommand())
  .addCommand(fuzzCommand())
  .addCommand(replayCommand())
  .addCommand(demoCommand());
for (const real of [peerCommand(), initCommand(), joinCommand(), putCommand(), getCommand(), ringCommand(), launchCommand()]) program.addCommand(real);
for (const cmd of [program, ...program.commands]) {
  const name = cmd === program ? null : cmd.name();
  cmd.exitOverride((e) => {
    throw new Refused(name, e);
  });
}
let running: string | null = null;
program.hook('preAction', (_program, action) => {
  running = action.name();
});

program.parseAsync().catch((e: unknown) => {
  process.exitCode = exitFor(e);
});

function exitFor(e: unknown): number {
  if (e instanceof Refused) {
    // --help and --version end this way too, with 0.
    if (e.cause.exitCode === 0) return 0;
    const code = (Object.keys(EXIT_CODES) as ErrorCode[]).find((c) => EXIT_CODES[c] === e.cause.exitCode) ?? 'usage';
    return reportFailure(e.command, new CliError(code, e.cause.message.replace(/^error: /, '')), json, true);
  }
  if (e instanceof CliError) return reportFailure(running, e, json);
  return reportFailure(running, new CliError('failed', e instanceof Error ? e.message : String(e)), json);
}

/** The version in the package's package.json: above dist/cli/ when compiled, above cli/ from source. */
function packageVersion(): string {
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}
