/**
 * The picture of a failing run, in a real browser (sim/testing/browser.ts): the arrows, the
 * highlighted violation, the hover details and the ring.
 */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPicture } from './picture';
import { runScenario } from './run';
import type { Scenario } from './scenario';
import { browserTest, withBrowser } from './testing/browser';
import type { TraceEvent } from './trace';

/**
 * A failure within the failure model, made by a timing no protocol could work with: an
 * rpcTimeout shorter than one hop, so the leave gives up before its heir's acknowledgement.
 */
const FAILING: Scenario = {
  seed: '0', bits: 8, replicas: 1, initial: ['10', '80'], timing: { rpcTimeout: 1 },
  network: { latencyMin: 20, latencyMax: 20, loss: 0, duplicate: 0, streamFailure: 0, clockSkew: 0 },
  ops: [{ at: 0, op: 'put', via: '80', key: '39', value: 'v0' }, { at: 1_000, op: 'leave', id: '80' }],
  faultsUntil: 2_000, settleLimit: 120_000, useCodec: true,
};

function picture(): string {
  const events: TraceEvent[] = [];
  const { report } = runScenario(FAILING, { checkSafety: true, events: (e) => events.push(e) });
  return runPicture(FAILING, report, events);
}

test('the page holds the failure, its messages and the ring', (t) => {
  const html = picture();
  t.regex(html, /FAILURE HandOver\/kept-records at \d+/);
  t.true((html.match(/<line class="msg/g) ?? []).length > 10);
  t.regex(html, /data-info="leave 80 -&gt; 10 #\d+ \(stream\)/);
  t.is((html.match(/<g class="node/g) ?? []).length, 2);
  // Self-contained: nothing is fetched.
  t.notRegex(html, /<(script|link|img)[^>]+(src|href)=/);
});

browserTest('picture.test')('in a real browser, the arrows and the highlighted violation are drawn and hovering shows a message', async (t) => {
  t.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'chord-picture-'));
  const file = join(dir, 'run.html');
  writeFileSync(file, picture());
  try {
    await withBrowser(async (browser) => {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`file://${file}`);
      t.true(await page.locator('#timeline line.msg').count() > 10);
      const violation = page.locator('#violation rect');
      await violation.scrollIntoViewIfNeeded();
      t.true(await violation.isVisible());
      const box = await violation.boundingBox();
      t.true(box !== null && box.width > 100 && box.height > 0);
      // The mouse over the middle of a message's arrow, as a person would point at it.
      const arrow = page.locator('#timeline line.msg:not(.ping)').first();
      await arrow.scrollIntoViewIfNeeded();
      const [x1, y1, x2, y2] = await Promise.all(['x1', 'y1', 'x2', 'y2'].map(async (a) => Number(await arrow.getAttribute(a))));
      const origin = await page.locator('#timeline').boundingBox();
      if (origin === null) return t.fail('the timeline is not drawn');
      await page.mouse.move(origin.x + (x1 + x2) / 2, origin.y + (y1 + y2) / 2);
      t.regex((await page.locator('#details').textContent()) ?? '', /#\d+ \((stream|dgram)\) at [\d.]+ ms/);
      await page.locator('#violation').hover({ force: true });
      t.regex((await page.locator('#details').textContent()) ?? '', /HandOver\/kept-records/);
      t.is(await page.locator('#ring g.node').count(), 2);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
