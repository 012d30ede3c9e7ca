/** `chord sim`: build one scenario from flags, run it, check it, report it. */
import { Command, Option } from 'commander';
import { closeSync, createWriteStream, openSync, writeFileSync, writeSync, type WriteStream } from 'node:fs';
import { generateScenario } from '../sim/generate';
import { runScenario } from '../sim/run';
import type { PeerReport, RunReport } from '../sim/report';
import type { Scenario } from '../sim/scenario';
import { signatureOf } from '../sim/checks';
import { judge } from '../sim/verdict';
import { decimal, integer } from './parse';
import { simProgress } from './sim-progress';
import { CliError } from './exit-codes';
import { brokenPipe, printJson, reportFailure, wantsJson } from './output';

export function simCommand(): Command {
  return new Command('sim')
    .description('run one simulated scenario (virtual time, seeded faults), then let the ring settle and check it')
    .option('--seed <seed>', 'run seed (any string); the same arguments give the same run', '1')
    .option('--peers <n>', 'peers in the initial ring', integer(1, 1_000_000), 16)
    .option('--bits <m>', 'identifier bits (8 to 160)', integer(8, 160), 32)
    .option('--replicas <r>', 'successor-list length and replication factor', integer(1, 16), 3)
    .option('--loss <p>', 'datagram loss probability during the faulty phase', decimal(0, 0.9), 0.02)
    .option('--churn <rate>', 'joins, graceful leaves and kills per virtual second', decimal(0, 10_000), 0.5)
    .option('--duration <ms>', 'virtual ms of the faulty phase', integer(0, 1e9), 20_000)
    .option('--lookups <n>', 'gets issued during the faulty phase', integer(0, 1e8), 200)
    .option('--records <n>', 'records put during the faulty phase', integer(0, 1e8), 100)
    .option('--settle <ms>', 'longest virtual time the ring may take to settle afterwards', integer(0, 1e9), 60_000)
    .addOption(new Option('--check <when>', 'check the safety invariants after every event, or never (default: every event up to 64 peers)').choices(['events', 'none']))
    .option('--no-codec', 'pass messages as objects instead of encoded bytes (faster)')
    .option('--trace <file>', 'write the trace, one event a line')
    .option('--save <file>', 'write the scenario as JSON, for `chord replay --scenario`')
    .option('--json', 'print one JSON report instead of a summary')
    .option('--peer-detail <file>', "write every peer's last successors, predecessor, fingers and record count, one JSON line each")
    .action((o: SimFlags) => {
      const scenario = generateScenario({
        seed: o.seed, peers: o.peers, bits: o.bits, replicas: o.replicas, loss: o.loss, churn: o.churn,
        duration: o.duration, lookups: o.lookups, records: o.records, useCodec: o.codec, settleLimit: o.settle,
      });
      if (o.save) writeFileSync(o.save, JSON.stringify(scenario, null, 2) + '\n');
      const report = runAndPrint(scenario, { json: !!o.json, trace: o.trace, peerDetail: o.peerDetail, checkSafety: (o.check ?? (o.peers <= 64 ? 'events' : 'none')) === 'events' });
      finishRun('sim', report, !!o.json);
    });
}

interface SimFlags {
  seed: string; peers: number; bits: number; replicas: number; loss: number; churn: number; duration: number;
  lookups: number; records: number; settle: number; check?: 'events' | 'none'; codec: boolean; trace?: string; save?: string; json?: boolean;
  peerDetail?: string;
}

export interface PrintOptions {
  readonly json: boolean;
  readonly trace?: string;
  /** Write trace lines here instead of a file (replay prints its trace). */
  readonly traceSink?: (line: string) => void;
  /** File for each peer's last state, as JSON lines. */
  readonly peerDetail?: string;
  readonly checkSafety: boolean;
}

/** Runs a scenario with the trace going where asked, prints the summary (not with --json: see finishRun), returns the report. */
export function runAndPrint(scenario: Scenario, o: PrintOptions): RunReport {
  const file = o.trace ? traceFile(o.trace) : null;
  const sink = o.traceSink ?? (file ? (line: string) => file.write(line + '\n') : undefined);
  const progress = simProgress(scenario);
  const result = runScenario(scenario, { trace: sink, checkSafety: o.checkSafety, onProgress: progress?.onProgress });
  progress?.stop();
  file?.end();
  if (o.peerDetail !== undefined) writePeerDetail(o.peerDetail, result.peerReports());
  const report = result.report;
  if (!o.json) console.log(summary(report));
  return report;
}

/** The trace file; one that cannot be written ends the run (quietly, when it is a pipe whose reader has gone). */
function traceFile(path: string): WriteStream {
  const file = createWriteStream(path);
  file.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') brokenPipe();
    process.exitCode = reportFailure('sim', new CliError('usage', `cannot write the trace to ${path}: ${e.code ?? e.message}`), wantsJson());
    process.exit();
  });
  return file;
}

/**
 * A run's report as its command's result: with --json the report with its verdict; a run that
 * failed is the command's error (check-failed), which cli/main.ts tells.
 */
export function finishRun(command: string, r: RunReport, json: boolean, extra: object = {}): void {
  const j = judge(r);
  const fields = { verdict: j.pass ? 'PASS' : 'FAIL', signatures: j.signatures, ...extra, ...r };
  if (!j.pass) {
    const first = j.failures[0];
    throw new CliError('check-failed', `FAIL: ${j.failures.length} violation(s) within the failure model, the first ${signatureOf(first)} at ${first.at} ms`, fields);
  }
  if (json) printJson(command, fields);
}

/** One line per peer, written as they are made: the whole set at 100,000 peers outgrows a string. */
function writePeerDetail(path: string, peers: Iterable<PeerReport>): void {
  const fd = openSync(path, 'w');
  try {
    for (const p of peers) writeSync(fd, JSON.stringify(p) + '\n');
  } finally {
    closeSync(fd);
  }
}

export function summary(r: RunReport): string {
  const j = judge(r);
  const lines = [
    `seed ${r.seed}: ${r.peers} peers, ${r.bits}-bit IDs, r=${r.replicas}; ${r.alive} alive at the end`,
    `${r.events} events in ${r.virtualMs} virtual ms, ${r.wallMs} ms wall (${Math.round(r.eventsPerSec)} events/s); trace hash ${r.traceHash}`,
    `faults: ${r.faults.joins} joins, ${r.faults.leaves} leaves, ${r.faults.kills} kills; fewer than r neighbours died per repair window: ${r.faults.assumptionHeld ? 'yes' : 'no'}`,
    `false alarms: ${r.faults.falseAlarms} live successors declared gone${r.faults.strandedByFalseAlarm ? '; one left a peer no live successor, so safety was not checked after it' : ''}`,
    `lookups: ${r.lookups.succeeded}/${r.lookups.issued} succeeded, ${r.lookups.notFound} rightly not found, ${r.lookups.failed} failed, mean ${r.lookups.meanHops.toFixed(2)} hops, p99 ${r.lookups.p99Hops}`,
    `records: ${r.records.acknowledged} acknowledged, ${r.records.readable} readable, ${r.records.lost} lost`,
    `settled: ${r.settledAfterMs === null ? 'NO, the ring never became ideal' : `ideal ring ${r.settledAfterMs} virtual ms after the faults stopped`}`,
    `invariants: ${r.invariants.checked} checks, ${j.failures.length} violations${j.outside.length > 0 ? `, ${j.outside.length} more outside the failure model` : ''}`,
  ];
  for (const v of j.failures.slice(0, 10)) lines.push(`  ${signatureOf(v)} at ${v.at} ms: ${v.detail}`);
  if (j.outside.length > 0) {
    lines.push('outside the failure model (r neighbours departed within one repair window), where Chord promises nothing, so these fail nothing:');
    for (const v of j.outside.slice(0, 5)) lines.push(`  ${signatureOf(v)} at ${v.at} ms: ${v.detail}`);
  }
  lines.push(j.pass ? 'PASS' : 'FAIL');
  return lines.join('\n');
}
