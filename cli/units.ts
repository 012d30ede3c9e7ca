/**
 * Amounts as people read them on a progress line: bytes in binary units (KiB, MiB, GiB, as
 * `--buffer-budget` and the README count them), rates per second, and the time left at the rate
 * so far.
 */
import { formatDuration } from '../properties/fuzz/plan';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** "512 B", "1.5 KiB", "64.0 MiB": three significant figures from KiB up. */
export function formatBytes(n: number): string {
  let value = Math.max(0, n);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${UNITS[unit]}`;
}

/** "1.2k", "39.1k", "2.50M": a count per second, or anything else too large to read digit by digit. */
export function formatCount(n: number): string {
  if (n < 1000) return n.toFixed(0);
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 2 : 1)}k`;
  return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)}M`;
}

/** Time left for `total` at the rate `done` took `elapsedMs`; "?" until there is a rate. */
export function eta(done: number, total: number, elapsedMs: number): string {
  if (done <= 0 || elapsedMs <= 0) return '?';
  return formatDuration(((total - done) * elapsedMs) / done);
}

/** A bar of `width` characters for a share from 0 to 1. */
export function bar(share: number, width = 20): string {
  const full = Math.round(Math.min(1, Math.max(0, share)) * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}]`;
}

/** The line of a transfer: "[####----] 40% | 25.6 MiB of 64.0 MiB | 31.2 MiB/s | ETA 1s". */
export function transferLine(done: number, total: number, elapsedMs: number): string {
  const share = total > 0 ? done / total : 1;
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  return `${bar(share)} ${Math.floor(share * 100)}% | ${formatBytes(done)} of ${formatBytes(total)} | ${formatBytes(rate)}/s | ETA ${eta(done, total, elapsedMs)}`;
}
