/**
 * The live line of a long `chord sim` or `chord replay` run on a terminal: virtual time, events
 * per second, peers alive, memory. It appears once a run has taken a couple of seconds, so short
 * runs print nothing but their report; off a terminal it never does.
 */
import { SingleBar } from 'cli-progress';
import type { RunProgress } from '../sim/world';

const SHOW_AFTER_MS = 2_000;

export interface SimProgress {
  readonly onProgress: (p: RunProgress) => void;
  stop(): void;
}

export function simProgress(stream: NodeJS.WriteStream = process.stderr): SimProgress | null {
  if (!stream.isTTY) return null;
  const start = Date.now();
  let bar: SingleBar | null = null;
  return {
    onProgress(p) {
      const wall = Date.now() - start;
      if (bar === null && wall < SHOW_AFTER_MS) return;
      const rss = process.memoryUsage().rss / 2 ** 20;
      const line = `${(p.virtualMs / 1000).toFixed(1)} virtual s, ${Math.round((p.events * 1000) / wall)} events/s, ${p.alive} peers alive, ${rss.toFixed(0)} MiB`;
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
