import test from 'ava';
import { DropLog } from './drop-log';
import { waitFor } from './test-support';

test('one line per kind and interval: the first at once, then the count of the rest', async (t) => {
  const lines: string[] = [];
  const log = new DropLog((line) => lines.push(line), 100);
  t.teardown(() => log.close());
  for (let i = 0; i < 5; i++) log.drop('replayed datagrams', `UDP from a: number ${i}`);
  log.drop('connections without the ring key', 'TCP from b');
  t.deepEqual(lines, [
    'UDP from a: number 0 (replayed datagrams: more are counted, one line per 0.1 s)',
    'TCP from b (connections without the ring key: more are counted, one line per 0.1 s)',
  ]);
  await waitFor('the count', 5000, () => lines.length === 3);
  t.is(lines[2], 'replayed datagrams: 4 more dropped since the last line; the last: UDP from a: number 4');
  // Still within an interval after the count: counted, not told.
  log.drop('replayed datagrams', 'UDP from a: number 5');
  t.is(lines.length, 3);
  log.close();
  t.is(lines[3], 'replayed datagrams: 1 more dropped since the last line; the last: UDP from a: number 5');
});
