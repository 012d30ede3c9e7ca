/**
 * A line console over any readable stream (a terminal or a pipe): command words are
 * case-insensitive, commands run one at a time in the order typed, a wrong command or a failing
 * one prints a single line and the console carries on. Used by `chord peer` and the launcher.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export interface ConsoleCommand {
  /** Arguments, as shown by help: "<key> [file]". */
  readonly args: string;
  readonly help: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  run(args: readonly string[]): Promise<void> | void;
}

export interface ConsoleOptions {
  readonly input: Readable;
  readonly commands: Readonly<Record<string, ConsoleCommand>>;
  /** Other words for a command, such as the seed's. */
  readonly aliases?: Readonly<Record<string, string>>;
  readonly print: (line: string) => void;
  /** The input ended and every command typed has run. */
  readonly onEnd?: () => void;
}

export interface Console {
  /** Stops reading; commands already queued still run. */
  close(): void;
  /** Settles when every command read so far has run. */
  idle(): Promise<void>;
}

export function runConsole(o: ConsoleOptions): Console {
  const rl = createInterface({ input: o.input, terminal: false });
  let chain: Promise<void> = Promise.resolve();
  rl.on('line', (line) => {
    chain = chain.then(() => runLine(o, line));
  });
  rl.on('close', () => {
    chain = chain.then(() => o.onEnd?.());
  });
  return {
    close: () => rl.close(),
    idle: () => chain,
  };
}

async function runLine(o: ConsoleOptions, line: string): Promise<void> {
  const words = line.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return;
  const word = words[0].toLowerCase();
  const name = o.aliases?.[word] ?? word;
  const cmd = Object.prototype.hasOwnProperty.call(o.commands, name) ? o.commands[name] : undefined;
  if (cmd === undefined) return o.print(`unknown command "${words[0]}"; type help for the list`);
  const args = words.slice(1);
  if (args.length < cmd.minArgs || args.length > cmd.maxArgs) return o.print(`usage: ${name} ${cmd.args}`.trimEnd());
  try {
    await cmd.run(args);
  } catch (e) {
    o.print(`${name} failed: ${(e as Error).message}`);
  }
}

/** The help text of a command table, one command a line. */
export function helpLines(commands: Readonly<Record<string, ConsoleCommand>>): string[] {
  const usage = Object.entries(commands).map(([name, c]) => `${name} ${c.args}`.trimEnd());
  const width = Math.max(...usage.map((u) => u.length));
  return Object.values(commands).map((c, i) => `  ${usage[i].padEnd(width)}  ${c.help}`);
}
