/**
 * Real hosts on one machine, for tests: Linux network namespaces joined by a bridge, with packets
 * lost at random (and delayed, where the kernel has netem), so that peers run over a network
 * instead of 127.0.0.1. Root only; `NetLab.unavailable()` says why it cannot be built here.
 *
 * A lab of n hosts, named after its run (`chordlab-<pid>-<tag>`, so that parallel runs never
 * clash and a dead run's leftovers are known by the pid in their names):
 *
 *   <run>-sw   the switch: bridge br0, a port h<i> for each host and hm for this machine;
 *              one nftables rule drops IPv4 packets crossing the bridge at random, so every
 *              packet between two hosts, or a host and this machine, is lost with the same odds
 *   <run>-h<i> host i: eth0 at 10.213.X.(10+i)/24, shaped by tbf
 *   this machine: a veth at 10.213.X.1/24, so that this process reaches every host (X is
 *              picked among the /24s this machine has no address or route in: the range is used
 *              inside the lab only, never routed anywhere)
 *
 * A partition takes a host's switch port down (`ip link set down`), like a cable pulled, and up
 * again. Everything lives in the lab's namespaces, and this machine's veth dies with its other
 * end in the switch, so `destroy()` (which kills what still runs inside first) leaves nothing.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

export interface LabOptions {
  readonly hosts: number;
  /** Of IPv4 packets crossing the bridge, the percentage dropped at random (0 to 99). */
  readonly lossPercent: number;
  /** One-way delay of every packet, where the kernel has netem; 0 for none. */
  readonly delayMs: number;
  /** Each host's sending rate (tbf). */
  readonly rateMbit: number;
}

export interface LabHost {
  readonly ns: string;
  readonly ip: string;
  /** Prefix of a command to run inside the host: `ip netns exec <ns>`. */
  readonly within: readonly string[];
}

/** What the bridge's rule counted: IPv4 packets that crossed it, and those it dropped. */
export interface LossCount {
  readonly packets: number;
  readonly dropped: number;
}

const FAMILY = 'chordlab-';
const SUBNET = '10.213';
const TABLE = 'chordlab';

/**
 * The full path of a system tool, or null. Not looked up in PATH: root's may lack the sbin
 * directories, and under npm it starts with node_modules/.bin, where `nft` is @vercel/nft.
 */
function tool(name: string): string | null {
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // Not in this one.
    }
  }
  return null;
}

interface Tools {
  readonly ip: string;
  readonly nft: string;
  readonly tc: string;
}

function tools(): Tools | string {
  const ip = tool('ip');
  const nft = tool('nft');
  const tc = tool('tc');
  if (ip === null || tc === null) return 'no `ip` or `tc` command (Debian package iproute2)';
  if (nft === null) return 'no `nft` command (Debian package nftables), which drops packets at random';
  return { ip, nft, tc };
}

/** Runs a tool; throws with its words on failure. */
function run(exe: string, args: readonly string[], input?: string): string {
  const r = spawnSync(exe, args, { encoding: 'utf8', input, timeout: 10_000 });
  if (r.error) throw new Error(`${exe} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${exe} ${args.join(' ')}: ${(r.stderr || r.stdout).trim() || `exit ${r.status}`}`);
  return r.stdout;
}

/** Like run, but a failure is told, not thrown: for cleaning up what may be gone already. */
function attempt(exe: string, args: readonly string[]): string | null {
  try {
    run(exe, args);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function namespaces(ip: string): string[] {
  return run(ip, ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
}

/** Kills whatever runs in namespace `ns` and deletes it. */
function removeNamespace(ip: string, ns: string): string | null {
  let pids: number[] = [];
  try {
    pids = run(ip, ['netns', 'pids', ns]).split('\n').filter(Boolean).map(Number);
  } catch {
    // No such namespace (any more): nothing runs in it.
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  return attempt(ip, ['netns', 'del', ns]);
}

export class NetLab {
  private destroyed = false;

  private constructor(
    private readonly t: Tools,
    /** The run's name, which every namespace of the lab starts with. */
    readonly name: string,
    readonly hosts: readonly LabHost[],
    /** This machine's address on the bridge. */
    readonly machineIp: string,
    private readonly machineLink: string,
    /** The delay applied, or why none is. */
    readonly delay: { readonly ms: number } | { readonly none: string },
  ) {}

  /** Why no lab can be built on this machine (not root, tools missing, namespaces refused); null when one can. */
  static unavailable(): string | null {
    if (process.platform !== 'linux') return `network namespaces are Linux's (this is ${process.platform})`;
    const uid = process.getuid?.();
    if (uid !== 0) return `not root (uid ${uid}): creating network namespaces needs root`;
    const t = tools();
    if (typeof t === 'string') return t;
    const probe = `${FAMILY}${process.pid}-${newTag()}-probe`;
    try {
      run(t.ip, ['netns', 'add', probe]);
    } catch (e) {
      return `\`ip netns add\` is refused here: ${(e as Error).message}`;
    }
    try {
      run(t.ip, ['-n', probe, 'link', 'add', 'br0', 'type', 'bridge']);
      run(t.ip, ['netns', 'exec', probe, t.nft, 'add', 'table', 'bridge', TABLE]);
      return null;
    } catch (e) {
      return `a bridge or an nftables bridge table cannot be made in a namespace here: ${(e as Error).message}`;
    } finally {
      removeNamespace(t.ip, probe);
    }
  }

  /** Removes the labs of runs that are gone (killed before they could clean up); their names. */
  static removeStale(): string[] {
    const t = tools();
    if (typeof t === 'string') return [];
    const stale = namespaces(t.ip).flatMap((ns) => {
      const m = new RegExp(`^${FAMILY}(\\d+)-([a-z0-9]+)-`).exec(ns);
      return m !== null && !alive(Number(m[1])) ? [{ ns, link: machineLinkOf(Number(m[1]), m[2]) }] : [];
    });
    for (const { link } of stale) removeLink(t.ip, link);
    for (const { ns } of stale) removeNamespace(t.ip, ns);
    return stale.map((s) => s.ns);
  }

  /** Builds the lab; on any failure, removes what it made and throws. */
  static build(o: LabOptions): NetLab {
    const t = tools();
    if (typeof t === 'string') throw new Error(t);
    if (o.hosts < 1 || o.hosts > 200) throw new RangeError(`a lab of ${o.hosts} hosts`);
    if (!Number.isInteger(o.lossPercent) || o.lossPercent < 0 || o.lossPercent > 99) throw new RangeError(`loss of ${o.lossPercent}%`);
    const tag = newTag();
    const runName = `${FAMILY}${process.pid}-${tag}`;
    const sw = `${runName}-sw`;
    const subnet = `${SUBNET}.${freeSubnet(t.ip)}`;
    const machineLink = machineLinkOf(process.pid, tag);
    const hosts = Array.from({ length: o.hosts }, (_, i): LabHost => {
      const ns = `${runName}-h${i}`;
      return { ns, ip: `${subnet}.${10 + i}`, within: [t.ip, 'netns', 'exec', ns] };
    });
    const made: string[] = [];
    try {
      run(t.ip, ['netns', 'add', sw]);
      made.push(sw);
      run(t.ip, ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
      run(t.ip, ['-n', sw, 'link', 'set', 'br0', 'up']);
      hosts.forEach((h, i) => {
        run(t.ip, ['netns', 'add', h.ns]);
        made.push(h.ns);
        run(t.ip, ['link', 'add', 'eth0', 'netns', h.ns, 'type', 'veth', 'peer', 'name', `h${i}`, 'netns', sw]);
        run(t.ip, ['-n', sw, 'link', 'set', `h${i}`, 'master', 'br0', 'up']);
        run(t.ip, ['-n', h.ns, 'addr', 'add', `${h.ip}/24`, 'dev', 'eth0']);
        run(t.ip, ['-n', h.ns, 'link', 'set', 'lo', 'up']);
        run(t.ip, ['-n', h.ns, 'link', 'set', 'eth0', 'up']);
        run(t.tc, ['-n', h.ns, 'qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', `${o.rateMbit}mbit`, 'burst', '64kb', 'latency', '50ms']);
      });
      run(t.ip, ['link', 'add', machineLink, 'type', 'veth', 'peer', 'name', 'hm', 'netns', sw]);
      run(t.ip, ['-n', sw, 'link', 'set', 'hm', 'master', 'br0', 'up']);
      run(t.ip, ['addr', 'add', `${subnet}.1/24`, 'dev', machineLink]);
      run(t.ip, ['link', 'set', machineLink, 'up']);
      run(t.ip, ['netns', 'exec', sw, t.nft, '-f', '-'], lossRules(o.lossPercent));
      const delay = o.delayMs > 0 ? addDelay(t.tc, sw, hosts.length, o.delayMs) : { none: 'none asked' };
      return new NetLab(t, runName, hosts, `${subnet}.1`, machineLink, delay);
    } catch (e) {
      for (const ns of made.reverse()) removeNamespace(t.ip, ns);
      removeLink(t.ip, machineLink);
      throw e;
    }
  }

  private get sw(): string {
    return `${this.name}-sw`;
  }

  /** Host i's cable pulled: nothing reaches it or leaves it until `heal(i)`. */
  cut(i: number): void {
    run(this.t.ip, ['-n', this.sw, 'link', 'set', `h${i}`, 'down']);
  }

  heal(i: number): void {
    run(this.t.ip, ['-n', this.sw, 'link', 'set', `h${i}`, 'up']);
  }

  /** What the bridge's loss rule has counted so far. */
  lossCount(): LossCount {
    const listing = JSON.parse(run(this.t.ip, ['netns', 'exec', this.sw, this.t.nft, '-j', 'list', 'table', 'bridge', TABLE])) as { nftables: { rule?: { comment?: string; expr: { counter?: { packets: number } }[] } }[] };
    const counted = (comment: string) => listing.nftables.flatMap((e) => (e.rule?.comment === comment ? e.rule.expr : [])).find((x) => x.counter)?.counter?.packets ?? 0;
    return { packets: counted('crossed'), dropped: counted('dropped') };
  }

  /**
   * Removes this machine's veth, kills every process still inside the lab and removes its
   * namespaces; what could not be removed, as reasons (none when all is gone). Idempotent.
   */
  destroy(): string[] {
    if (this.destroyed) return [];
    this.destroyed = true;
    const problems: string[] = [];
    // First: deleting one end of a veth deletes both at once, whereas a namespace deleted takes
    // its devices (and with them this end) only once the kernel gets round to it.
    const machine = removeLink(this.t.ip, this.machineLink);
    if (machine !== null) problems.push(machine);
    for (const ns of [...this.hosts.map((h) => h.ns), this.sw]) {
      const error = removeNamespace(this.t.ip, ns);
      if (error !== null) problems.push(error);
    }
    const left = namespaces(this.t.ip).filter((ns) => ns.startsWith(`${this.name}-`));
    if (left.length > 0) problems.push(`namespaces left: ${left.join(', ')}`);
    return problems;
  }
}

/** Tells a run's labs apart: 6 hex digits. */
function newTag(): string {
  return randomBytes(3).toString('hex');
}

/** This machine's end of a lab's veth: unique, as it lives in this machine's namespace; 15 characters at most. */
function machineLinkOf(pid: number, tag: string): string {
  return `cl${pid.toString(36)}${tag}`;
}

/** Deletes a link unless it is gone already; why not, if it could not. */
function removeLink(ip: string, link: string): string | null {
  return attempt(ip, ['link', 'show', link]) === null ? attempt(ip, ['link', 'del', link]) : null;
}

function lossRules(percent: number): string {
  return [
    `table bridge ${TABLE} {`,
    '  chain links {',
    '    type filter hook forward priority 0; policy accept;',
    '    ether type ip counter comment "crossed"',
    `    ether type ip numgen random mod 100 < ${percent} counter drop comment "dropped"`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** netem on every switch port, towards its host: each packet is delayed once on its way. */
function addDelay(tc: string, sw: string, hosts: number, ms: number): { ms: number } | { none: string } {
  const ports = [...Array.from({ length: hosts }, (_, i) => `h${i}`), 'hm'];
  try {
    for (const port of ports) run(tc, ['-n', sw, 'qdisc', 'add', 'dev', port, 'root', 'netem', 'delay', `${ms}ms`]);
    return { ms };
  } catch (e) {
    for (const port of ports) attempt(tc, ['-n', sw, 'qdisc', 'del', 'dev', port, 'root']);
    const said = (e as Error).message;
    return { none: `tc has no netem here (${said.slice(said.lastIndexOf(': ') + 2)})` };
  }
}

/** A /24 of 10.213.0.0/16 in which this machine has no address and no route, starting from the pid's. */
function freeSubnet(ip: string): number {
  const taken = run(ip, ['-4', 'addr', 'show']) + run(ip, ['-4', 'route', 'show', 'table', 'all']);
  for (let i = 0; i < 256; i++) {
    const x = (process.pid + i) % 256;
    if (!taken.includes(`${SUBNET}.${x}.`)) return x;
  }
  throw new Error(`every /24 of ${SUBNET}.0.0/16 is in use on this machine`);
}
