/**
 * What one peer lets the outside world hold of it: connections, time, and bytes buffered on
 * connections. Without these, anyone who can reach the port could keep every socket it opens,
 * hold a buffer of a declared 64 MiB frame open by trickling it a byte a second, or queue
 * replies it never reads until the peer runs out of memory.
 */
import { CHUNK_BYTES } from './framing';

/** How fast frames must come: a grace period, then their declared size at a minimum rate. */
export interface Pace {
  readonly frameGraceMs: number;
  /** Bytes per second. */
  readonly minFrameRate: number;
}

export interface Limits extends Pace {
  /** A connection with nothing sent or received for this long is closed. */
  readonly idleTimeoutMs: number;
  /** Incoming connections open at once (a peer's own outgoing ones are not counted). */
  readonly maxConnections: number;
  /** Of those, from one source IP address. */
  readonly maxConnectionsPerIp: number;
  /**
   * Bytes of messages being received (reserved at their declared size when their first frame
   * header arrives) and of messages queued for sending, all connections together.
   */
  readonly bufferBudget: number;
}

export const MIB = 1024 * 1024;

export const DEFAULT_LIMITS: Limits = {
  idleTimeoutMs: 60_000,
  maxConnections: 1024,
  maxConnectionsPerIp: 256,
  bufferBudget: 256 * MIB,
  frameGraceMs: 5000,
  minFrameRate: 64 * 1024,
};

/**
 * Reading from a connection stops while more than this waits in its socket to be written, and
 * resumes once it drains: a client that does not read its replies stops being read.
 */
export const MAX_WRITE_BACKLOG = CHUNK_BYTES;

/**
 * Requests of one client being answered or whose answers are not yet handed to the kernel;
 * further requests wait unread. Answers are up to 64 MiB each, so this, not the write backlog
 * alone, bounds what a client that never reads can make the peer hold.
 */
export const MAX_ANSWERING = 4;

/** Milliseconds a frame or message of `bytes` may take to arrive. */
export function allowanceMs(pace: Pace, bytes: number): number {
  return pace.frameGraceMs + (bytes * 1000) / pace.minFrameRate;
}
