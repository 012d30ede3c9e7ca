/**
 * Peer addresses. A peer's address (the core's Peer.addr) is "host:port", and UDP and TCP share
 * the port, as in the seed. The seed's scheme puts peer N at 127.0.0.1, port 12000 + N.
 *
 * The address a peer binds and the one it is known by are the same unless it binds a wildcard
 * (0.0.0.0, ::), which names no address anyone could reach: then it must be told the one to
 * advertise. That address is its identity: its ID is derived from it, every message names it,
 * and on an open ring the others believe the peer only once that address has answered a
 * challenge (identity.ts) and only datagrams that come from it.
 */
import { isIP, isIPv6 } from 'node:net';
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

/** 0.0.0.0 and :: (in any spelling) listen on every interface and name none of them. */
export function isWildcard(host: string): boolean {
  return isIP(host) !== 0 && /^[0.:]+$/.test(host);
}

/**
 * Why a peer cannot listen on `host` and be known by `advertise` (an IP address; the port is the
 * one it listens on); null when it can. The words name the command line's flags.
 */
export function listenProblem(host: string, advertise: string | undefined): string | null {
  if (advertise === undefined) {
    return isWildcard(host) ? `--host ${host} listens on every interface and names none that other peers could reach: give --advertise host[:port], the address they are to be told` : null;
  }
  if (isIP(advertise) === 0) return `--advertise needs an IP address, not "${advertise}": other peers check that a peer's datagrams come from the address it claims`;
  if (isWildcard(advertise)) return `--advertise ${advertise} is a wildcard, which no peer can reach: give this peer's own address`;
  // A wildcard :: takes IPv4 too; any other bound IP address, only its own family.
  const dualStack = isWildcard(host) && isIPv6(host);
  if (isIP(host) !== 0 && !dualStack && isIP(host) !== isIP(advertise)) return `--advertise ${advertise} is IPv${isIP(advertise)}, but --host ${host} listens on IPv${isIP(host)} only`;
  return null;
}

export function seedAddr(id: bigint, portBase: number = SEED_PORT_BASE): string {
  return formatAddr(SEED_HOST, portBase + Number(id));
}

/** The peer of the seed's scheme with this ID. */
export function seedPeer(id: bigint, bits: number, portBase: number = SEED_PORT_BASE): Peer {
  return { ...pointOfBigInt(id, bits), addr: seedAddr(id, portBase) };
}
