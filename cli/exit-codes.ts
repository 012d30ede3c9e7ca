/**
 * How every `chord` command ends: one error code per kind of failure, the same in the JSON
 * output (`{"ok":false,"error":{"code":...}}`, schema/cli-output.schema.json) and, through the
 * table below, in the exit code. The README's table of exit codes is this one.
 */

export type ErrorCode =
  /** Bad arguments, flags or files named on the command line; an unknown command. */
  | 'usage'
  /** The ring key file is missing, unreadable or too short. */
  | 'ring-key'
  /** Nothing is stored under the key. */
  | 'not-found'
  /** No peer answers at the address given (or, for a joining peer, its bootstrap peer). */
  | 'unreachable'
  /** The peer did not answer within --timeout. */
  | 'timeout'
  /** The peer holds another ring key, or this client none. */
  | 'refused'
  /** The ring or the peer could not do it: not ready, no route, a peer that could not start. */
  | 'failed'
  /** A simulated run, a replayed scenario or a fuzz campaign broke an invariant. */
  | 'check-failed';

export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
  usage: 1,
  'ring-key': 2,
  'not-found': 3,
  unreachable: 4,
  timeout: 5,
  refused: 6,
  failed: 7,
  'check-failed': 8,
};

/** Exit codes that are no error code: success, and the ends by signal (128 + its number, as a shell reports them). */
export const EXIT = {
  ok: 0,
  /** Ctrl-C (SIGINT): a peer stops at once, as a crash would. */
  interrupted: 130,
  /** Standard output closed by its reader (`chord sim | head -1`): the command stops quietly. */
  brokenPipe: 141,
  /** SIGTERM to the launcher. */
  terminated: 143,
} as const;

/** A failure that ends a command: the code says its kind, the message what happened. */
export class CliError extends Error {
  /** `details`: what the JSON output carries besides the error (the key, the hops, ...). */
  constructor(readonly code: ErrorCode, message: string, readonly details: object = {}) {
    super(message);
  }
}
