/**
 * The log of `chord peer` (and `init`, `join`) and `chord launch`: one line per thing that
 * happened, at a level (`--log-level`: error, warn, info, debug), as the text people read or as
 * one JSON object a line (`--log-format json`: `time`, `level`, the peer's `id` where known, an
 * `event` name, its fields in the package's public form, and `msg`, the text line).
 *
 * Not pino or winston: a line per event to standard output, written at once, is all it does;
 * their transports, worker threads and pretty-printers would be most of what either brings, and
 * the text form must stay the line the README shows, which neither prints without a formatter.
 */
import { Option, type Command } from 'commander';
import type { LogEvent } from '../core/types';
import { publicEvent } from '../lib/public-form';
import { describeEvent } from './describe';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogFlags {
  logFormat: LogFormat;
  logLevel: LogLevel;
}

export interface Logger {
  /** One line at `level`: `msg` is the text form; `fields` (an `event` name and its values) go into the JSON form only. */
  log(level: LogLevel, msg: string, fields?: object): void;
  /** A console command's answer: shown whatever the level (the user asked for it), at info in the JSON form. */
  answer(msg: string): void;
  /** A line that is already a JSON log record of this format (a peer's, relayed by the launcher), at its own level. */
  relay(record: string, level: LogLevel): void;
}

export interface LoggerOptions {
  readonly format: LogFormat;
  readonly level: LogLevel;
  /** Where lines go: standard output. */
  readonly write?: (line: string) => void;
  readonly now?: () => Date;
  /** Fields of every JSON record (the peer's id), read when a line is written: known only once the peer listens. */
  readonly base?: () => object;
}

export function createLogger(o: LoggerOptions): Logger {
  const write = o.write ?? ((line: string) => console.log(line));
  const now = o.now ?? (() => new Date());
  const shown = (level: LogLevel) => LOG_LEVELS.indexOf(level) <= LOG_LEVELS.indexOf(o.level);
  const line = (level: LogLevel, msg: string, fields: object) => write(o.format === 'text' ? msg : JSON.stringify({ time: now().toISOString(), level, ...o.base?.(), ...fields, msg }));
  return {
    log(level, msg, fields = {}) {
      if (shown(level)) line(level, msg, fields);
    },
    answer(msg) {
      for (const one of msg.split('\n')) line('info', one, { event: 'console' });
    },
    relay(record, level) {
      if (shown(level)) write(record);
    },
  };
}

/** A protocol event as a log line: its level, its text, and its fields in the public form. */
export function logEvent(logger: Logger, e: LogEvent): void {
  const { type, ...fields } = publicEvent(e);
  logger.log(eventLevel(e), describeEvent(e), { event: type, ...fields });
}

/** Failures are errors, peers lost and input dropped or refused are warnings, replicas topped up are routine. */
function eventLevel(e: LogEvent): LogLevel {
  switch (e.ev) {
    case 'join-failed': return 'error';
    case 'peer-gone':
    case 'records-refused':
    case 'bad-input': return 'warn';
    case 'records-moved':
    case 'records-received': return e.why === 'replica' ? 'debug' : 'info';
    default: return 'info';
  }
}

export function addLogOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--log-format <format>', 'text lines, or one JSON object a line').choices(LOG_FORMATS).default('text'))
    .addOption(new Option('--log-level <level>', 'print lines of this level and above (debug adds replica top-ups)').choices(LOG_LEVELS).default('info'));
}

/** The same flags again, for a peer process started with them (chord launch). */
export function logArgs(o: LogFlags): string[] {
  return ['--log-format', o.logFormat, '--log-level', o.logLevel];
}
