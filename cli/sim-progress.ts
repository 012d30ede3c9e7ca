/**
 * The live line of a long `chord sim` or `chord replay` run on a terminal: virtual time against
 * the end of the faulty phase, events per second, peers alive, memory, and the time left of the
 * faulty phase at the pace so far (the settling after it ends when the ring is ideal, which no
 * pace foretells). It appears once a run has taken a couple of seconds, so short runs print
 * nothing but their report; off a terminal it never does.
 */
import { SingleBar } from 'cli-progress';
import type { Scenario } from '../sim/scenario';
import type { RunProgress } from '../sim/world';
import { eta, formatBytes, formatCount } from './units';

const SHOW_AFTER_MS = 2_000;

export interface SimProgress {
  readonly onProgress: (p: RunProgress) => void;
  stop(): void;
}

/** The line for a run at `p`, `wallMs` into it. */
export function simLine(p: RunProgress, s: Pick<Scenario, 'faultsUntil' | 'settleLimit'>, wallMs: number, rssBytes: number): string {
  const virtual = (ms: number) => (ms / 1000).toFixed(1);
  const phase = p.virtualMs < s.faultsUntil
    ? `${virtual(p.virtualMs)} of ${virtual(s.faultsUntil)} virtual s, ETA ${eta(p.virtualMs, s.faultsUntil, wallMs)}`
    : `${virtual(p.virtualMs)} virtual s, settling (at most ${virtual(s.settleLimit)} s)`;
  return `${phase} | ${formatCount((p.events * 1000) / Math.max(1, wallMs))} events/s | ${p.alive} peers alive | ${formatBytes(rssBytes)}`;
}

export function simProgress(scenario: Pick<Scenario, 'faultsUntil' | 'settleLimit'>, stream: NodeJS.WriteStream = process.stderr): SimProgress | null {
  if (!stream.isTTY) return null;
  const start = Date.now();
  let bar: SingleBar | null = null;
  return {
    onProgress(p) {
      const wall = Date.now() - start;
      if (bar === null && wall < SHOW_AFTER_MS) return;
      const line = simLine(p, scenario, wall, process.memoryUsage().rss);
      if (bar === null) {
        bar = new SingleBar({ stream, fps: 4, hideCursor: true, format: (_o, _p, payload: { line: string }) => `sim ${payload.line}` });
        bar.start(1, 0, { line });
      } else {
        bar.update(0, { line });
      }
    },
    stop() {
      bar?.stop();
    },
  };
}
