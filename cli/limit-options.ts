/**
 * The flags of a peer's limits (runtime-node/limits.ts), shared by `chord peer`, the seed's
 * forms `init` and `join`, and `chord launch` (which passes them on to every peer it starts). The frame pace (grace and minimum rate) has no flag: its defaults
 * already cut a trickling sender off within one frame's allowance.
 */
import type { Command } from 'commander';
import { MAX_MESSAGE_BYTES } from '../runtime-node/framing';
import { DEFAULT_LIMITS, MIB, type Limits } from '../runtime-node/limits';
import { integer } from './parse';

export interface LimitFlags {
  idleTimeout: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  bufferBudget: number;
}

/**
 * Half the budget, what others may make a peer hold (runtime-node/budget.ts), must hold the
 * largest message, or every record of that size is refused.
 */
const MIN_BUDGET_MIB = Math.ceil((2 * MAX_MESSAGE_BYTES) / MIB);

export function addLimitOptions(cmd: Command): Command {
  return cmd
    .option('--idle-timeout <ms>', 'close a connection with nothing sent or received for this long', integer(100, 86_400_000), DEFAULT_LIMITS.idleTimeoutMs)
    .option('--max-connections <n>', 'incoming connections open at once; more are closed at once', integer(1, 1_000_000), DEFAULT_LIMITS.maxConnections)
    .option('--max-connections-per-ip <n>', 'of those, from one source IP address', integer(1, 1_000_000), DEFAULT_LIMITS.maxConnectionsPerIp)
    .option('--buffer-budget <mib>', `MiB all connections may buffer together (messages being received or sent), at least ${MIN_BUDGET_MIB}`, integer(MIN_BUDGET_MIB, 1_048_576), DEFAULT_LIMITS.bufferBudget / MIB);
}

/** The same flags again, for a peer process started with them (chord launch). */
export function limitArgs(o: LimitFlags): string[] {
  return ['--idle-timeout', String(o.idleTimeout), '--max-connections', String(o.maxConnections), '--max-connections-per-ip', String(o.maxConnectionsPerIp), '--buffer-budget', String(o.bufferBudget)];
}

export function limitsOf(o: LimitFlags): Partial<Limits> {
  return { idleTimeoutMs: o.idleTimeout, maxConnections: o.maxConnections, maxConnectionsPerIp: o.maxConnectionsPerIp, bufferBudget: o.bufferBudget * MIB };
}
