/**
 * Peer addresses. A peer's address (the core's Peer.addr) is "host:port", and UDP and TCP share
 * the port, as in the seed. The seed's scheme puts peer N at 127.0.0.1, port 12000 + N.
 */
import { pointOfBigInt } from '../core/id';
import type { Peer } from '../core/types';

const SEED_HOST = '127.0.0.1';
export const SEED_PORT_BASE = 12000;

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** "host:port" or "[v6-host]:port"; null when it is neither. */
export function parseAddr(addr: string): HostPort | null {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(addr);
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1] ?? m[2], port };
}

export function formatAddr(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function seedAddr(id: bigint, portBase: number = SEED_PORT_BASE): string {
  return formatAddr(SEED_HOST, portBase + Number(id));
}

/** The peer of the seed's scheme with this ID. */
export function seedPeer(id: bigint, bits: number, portBase: number = SEED_PORT_BASE): Peer {
  return { ...pointOfBigInt(id, bits), addr: seedAddr(id, portBase) };
}
