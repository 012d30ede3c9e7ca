/**
 * The live line of a campaign on a terminal (cli-progress), with each failure printed once above
 * it. Off a terminal there is no live line; failures are still printed, a line each.
 */
import { MultiBar, type SingleBar } from 'cli-progress';
import { formatDuration } from './plan';

export interface Snapshot {
  readonly scenarios: number;
  readonly failures: number;
  readonly signatures: number;
  readonly elapsedMs: number;
  /** Time left of a `--time` campaign, or null. */
  readonly leftMs: number | null;
  /** Scenarios left of a `--runs` campaign, or null. */
  readonly runsLeft: number | null;
  readonly perWorker: readonly number[];
  /** Share done, 0 to 1. */
  readonly done: number;
}

export function progressLine(s: Snapshot): string {
  const rate = s.elapsedMs > 0 ? (s.scenarios * 1000) / s.elapsedMs : 0;
  const left = s.leftMs !== null ? `, ${formatDuration(s.leftMs)} left` : s.runsLeft !== null ? `, ${s.runsLeft} to go` : '';
  const failures = s.failures === 0 ? '0 failures' : `${s.failures} failure${s.failures === 1 ? '' : 's'} (${s.signatures} signature${s.signatures === 1 ? '' : 's'})`;
  const workers = s.perWorker.map((n, i) => `w${i} ${n}`).join(' ');
  return `${s.scenarios} scenarios, ${rate.toFixed(1)}/s, ${failures}, ${formatDuration(s.elapsedMs)} elapsed${left} | ${workers}`;
}

export class Progress {
  private readonly bars: MultiBar | null;
  private readonly bar: SingleBar | null;

  constructor(live: boolean, private readonly stream: NodeJS.WriteStream = process.stderr) {
    if (!live) {
      this.bars = null;
      this.bar = null;
      return;
    }
    this.bars = new MultiBar({
      stream,
      fps: 4,
      hideCursor: true,
      barsize: 20,
      format: (options, params, payload: { line: string }) => {
        const width = options.barsize ?? 20;
        const full = Math.round(params.progress * width);
        return `fuzz [${'#'.repeat(full)}${'-'.repeat(width - full)}] ${payload.line}`;
      },
    });
    this.bar = this.bars.create(1, 0, { line: 'starting' });
  }

  update(s: Snapshot): void {
    this.bar?.update(Math.min(1, s.done), { line: progressLine(s) });
  }

  /** A line above the live one (or plainly, off a terminal). */
  log(line: string): void {
    if (this.bars) this.bars.log(line + '\n');
    else this.stream.write(line + '\n');
  }

  stop(): void {
    this.bars?.stop();
  }
}
