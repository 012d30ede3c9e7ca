import test from 'ava';
import { simLine } from './sim-progress';
import { bar, eta, formatBytes, formatCount, transferLine } from './units';

test('bytes in binary units, three figures', (t) => {
  t.is(formatBytes(0), '0 B');
  t.is(formatBytes(1023), '1023 B');
  t.is(formatBytes(1024), '1.00 KiB');
  t.is(formatBytes(1536), '1.50 KiB');
  t.is(formatBytes(10.5 * 1024 * 1024), '10.5 MiB');
  t.is(formatBytes(64 * 1024 * 1024), '64.0 MiB');
  t.is(formatBytes(300 * 1024 * 1024), '300 MiB');
  t.is(formatBytes(3 * 1024 ** 3), '3.00 GiB');
});

test('counts, bars and the time left', (t) => {
  t.is(formatCount(999), '999');
  t.is(formatCount(1234), '1.23k');
  t.is(formatCount(39_129), '39.1k');
  t.is(formatCount(2_500_000), '2.50M');
  t.is(bar(0.5, 10), '[#####-----]');
  t.is(bar(2, 4), '[####]');
  t.is(eta(0, 100, 1000), '?');
  t.is(eta(25, 100, 10_000), '30s');
  t.is(eta(1, 100, 60_000), '1h39m00s');
});

test('a transfer line: share, amounts, rate and time left', (t) => {
  const MiB = 1024 * 1024;
  t.is(transferLine(16 * MiB, 64 * MiB, 2000), '[#####---------------] 25% | 16.0 MiB of 64.0 MiB | 8.00 MiB/s | ETA 6s');
  t.is(transferLine(0, 64 * MiB, 0), '[--------------------] 0% | 0 B of 64.0 MiB | 0 B/s | ETA ?');
});

test('the live line of a simulated run: virtual time against the faulty phase, rates, memory', (t) => {
  const s = { faultsUntil: 20_000, settleLimit: 60_000 };
  t.is(simLine({ virtualMs: 5_000, events: 120_000, alive: 1000 }, s, 3_000, 512 * 1024 * 1024), '5.0 of 20.0 virtual s, ETA 9s | 40.0k events/s | 1000 peers alive | 512 MiB');
  t.is(simLine({ virtualMs: 25_000, events: 600_000, alive: 998 }, s, 15_000, 1.5 * 1024 ** 3), '25.0 virtual s, settling (at most 60.0 s) | 40.0k events/s | 998 peers alive | 1.50 GiB');
});
