/**
 * What a command prints when it ends, in one shape for all of them (schema/cli-output.schema.json):
 * with --json one object on standard output, `{"ok":true,"command":...}` or `{"ok":false,
 * "command":...,"error":{"code","message"}}`; without, its text, and a failure's one-line reason
 * on standard error. The exit code follows the error code (exit-codes.ts). Also: standard output
 * closed by its reader ends the command quietly.
 */
import { CliError, EXIT, EXIT_CODES } from './exit-codes';

/** Whether the command line asked for JSON: known before commander has parsed anything, so that its own errors are told in JSON too. */
export function wantsJson(argv: readonly string[] = process.argv): boolean {
  return argv.includes('--json') || argv.includes('--json-lines');
}

/** Writes one JSON line: a command's result (`ok` true) or a line of a stream of them. */
export function printJson(command: string, fields: object, ok = true): void {
  console.log(JSON.stringify({ ok, command, ...fields }));
}

/**
 * Tells how a command failed and returns its exit code: the reason on standard error (unless
 * `told`: commander has printed its own), and with --json the error object on standard output.
 */
export function reportFailure(command: string | null, e: CliError, json: boolean, told = false): number {
  if (!told) console.error(`chord${command === null ? '' : ` ${command}`}: ${e.message}`);
  if (json) console.log(JSON.stringify({ ok: false, command, ...e.details, error: { code: e.code, message: e.message } }));
  return EXIT_CODES[e.code];
}

const beforeBrokenPipe: (() => void)[] = [];

/** Runs `fn` (say, stopping child processes) before a command ends because its output went away. */
export function onBrokenPipe(fn: () => void): void {
  beforeBrokenPipe.push(fn);
}

/**
 * Standard output (or error) closed by its reader, as `chord sim ... | head -1` does: nothing
 * more can be told, so the command stops at once, quietly, with 141 (what a shell reports for a
 * process killed by SIGPIPE, which Node ignores). Any other write error is the stream's to raise.
 */
export function stopOnBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      brokenPipe();
    });
  }
}

/** Ends the process as stopOnBrokenPipe does, for a stream of its own that reached a closed pipe (a trace to /dev/stdout). */
export function brokenPipe(): never {
  for (const fn of beforeBrokenPipe.splice(0)) fn();
  process.exit(EXIT.brokenPipe);
}
