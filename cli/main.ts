#!/usr/bin/env node
/** The `chord` command line. */
import { Command } from 'commander';
import { simCommand } from './sim-command';
import { replayCommand } from './replay-command';
import { fuzzCommand, fuzzUsageExit } from './fuzz-command';
import { demoCommand } from './demo-command';
import { peerCommand, initCommand, joinCommand } from './peer-command';
import { putCommand, getCommand, ringCommand } from './client-commands';
import { launchCommand } from './launcher-command';

const program = new Command('chord')
  .description('A Chord distributed hash table: simulated rings now, real peers over UDP and TCP')
  .showHelpAfterError()
  .addCommand(simCommand())
  .addCommand(fuzzCommand())
  .addCommand(replayCommand())
  .addCommand(demoCommand());
for (const real of [peerCommand(), initCommand(), joinCommand(), putCommand(), getCommand(), ringCommand(), launchCommand()]) program.addCommand(real);

program.parseAsync().catch((e: unknown) => {
  const usage = fuzzUsageExit(e);
  if (usage !== null) {
    // Commander has printed the error already.
    process.exitCode = usage;
    return;
  }
  console.error(`chord: ${(e as Error).message}`);
  process.exitCode = 2;
});
