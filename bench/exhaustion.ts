/**
 * The peak resident set of a real peer process (`chord peer`, default limits) under each
 * exhaustion probe (bench/probes.ts), each against a fresh process so that the kernel's
 * high-water mark (VmHWM) is that probe's alone, and the log lines it wrote. Each probe holds
 * its attack for --seconds, then reads the peer's high-water mark.
 *
 * Run: npm run build && node dist/bench/exhaustion.js [--seconds 8]
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { integer } from '../cli/parse';
import { ChordProcess, sleep } from '../runtime-node/test-support';
import { PROBES, type Probe } from './probes';

function mib(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

async function probe(p: Probe, seconds: number): Promise<void> {
  const cleanup: (() => void)[] = [];
  const sockets: Socket[] = [];
  try {
    const peer = new ChordProcess({ teardown: (f) => cleanup.push(f) }, ['peer', '--bits', '16', '--port', '0']);
    const banner = await peer.waitLine(/^peer \d+ at (\S+) /, 10_000);
    const addr = /^peer \d+ at (\S+) /.exec(banner.text)![1];
    await sleep(500);
    const base = mib(peer.pid, 'VmHWM');
    const linesBefore = peer.lines.length;
    const attack = await p.start(addr, sockets);
    await sleep(seconds * 1000);
    attack.stop();
    const what = attack.describe();
    const peak = mib(peer.pid, 'VmHWM');
    const lines = peer.lines.length - linesBefore;
    console.log(`  ${p.name.padEnd(24)} peak RSS ${peak.toFixed(0).padStart(4)} MiB (${base.toFixed(0)} at start), ${lines} log line(s); ${what}`);
  } finally {
    for (const s of sockets) s.destroy();
    for (const f of cleanup) f();
  }
}

async function main(o: { seconds: number; only?: string }): Promise<void> {
  console.log(`peak resident set of a peer process with the default limits, each probe held ${o.seconds} s:`);
  for (const p of PROBES.filter((p) => o.only === undefined || p.name.startsWith(o.only))) await probe(p, o.seconds);
}

new Command('exhaustion')
  .option('--seconds <n>', 'how long each probe holds its attack', integer(1, 600), 8)
  .option('--only <name>', 'run only the probes whose name starts with this')
  .action((o: { seconds: number; only?: string }) => main(o))
  .parseAsync()
  .catch((e: unknown) => {
    console.error(`bench: ${(e as Error).message}`);
    process.exitCode = 1;
  });
