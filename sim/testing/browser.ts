/**
 * The browser of the picture tests (sim/picture.test.ts, cli/ring-picture/ring-picture.test.ts):
 * Debian's chromium driven by playwright-core, since playwright's own browser download does not
 * work here; `.ci/run` installs the package. Without it the browser checks are skipped, saying so.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** ava's `test` where the browser is installed; `test.skip`, with a line saying why, where not. */
export function browserTest(file: string): typeof test {
  if (existsSync(CHROMIUM)) return test;
  console.log(`${file}: ${CHROMIUM} is missing (apt-get install chromium; .ci/run does): the browser check is skipped`);
  return test.skip as unknown as typeof test;
}

/** Runs `use` with a fresh headless browser, closed afterwards whatever happens. */
export async function withBrowser<T>(use: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: 30_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    return await use(browser);
  } finally {
    await browser.close();
  }
}
