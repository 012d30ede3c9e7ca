import test from 'ava';
import { createServer, connect, type Socket } from 'node:net';
import { BufferBudget } from './budget';
import { Connection, type Bounds } from './connection';
import { DEFAULT_LIMITS } from './limits';
import { waitFor } from './test-support';

/** A connection over loopback whose far end counts what arrives; the budget is `budget` bytes. */
async function pair(t: { teardown(fn: () => void): void }, budget: number): Promise<{ conn: Connection; bounds: Bounds; received: () => number }> {
  let received = 0;
  const server = createServer((s: Socket) => s.on('data', (d: Buffer) => (received += d.length)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const socket = connect(port, '127.0.0.1');
  const bounds: Bounds = { budget: new BufferBudget(budget), idleMs: 10_000, pace: DEFAULT_LIMITS };
  const conn = new Connection(socket, { message: () => undefined }, { bounds });
  t.teardown(() => {
    conn.fail('test over');
    server.close();
  });
  return { conn, bounds, received: () => received };
}

const message = (size: number, fill: number) => ({ size, make: () => new Uint8Array(size).fill(fill) });

test('a deferred send waits for room in the budget instead of failing, and keeps its place in order', async (t) => {
  t.timeout(10_000);
  const { conn, bounds, received } = await pair(t, 1000);
  // Another connection holds most of the budget.
  t.true(bounds.budget.take(900));
  const done: string[] = [];
  let made = 0;
  conn.sendDeferred({ size: 500, make: () => (made++, new Uint8Array(500)) }, (e) => done.push(e ? e.message : 'first'));
  conn.sendDeferred(message(50, 2), (e) => done.push(e ? e.message : 'second'));
  await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(done, [], 'nothing sent while there is no room');
  t.is(made, 0, 'and nothing made: waiting holds no buffer');
  bounds.budget.give(900);
  await waitFor('both sent', 5000, () => done.length === 2);
  t.deepEqual(done, ['first', 'second']);
  await waitFor('both arrived', 5000, () => received() >= 550);
  await waitFor('the budget given back', 5000, () => bounds.budget.inUse === 0);
});

test('a deferred send larger than the whole budget fails at once; a closed connection fails those waiting', async (t) => {
  t.timeout(10_000);
  const { conn, bounds } = await pair(t, 1000);
  const errors: string[] = [];
  conn.sendDeferred(message(1001, 1), (e) => errors.push(e?.message ?? 'sent'));
  t.regex(errors[0] ?? '', /larger than the peer's whole connection budget of 1000/);
  t.true(bounds.budget.take(1000));
  conn.sendDeferred(message(10, 1), (e) => errors.push(e?.message ?? 'sent'));
  conn.fail('closed by the test');
  t.deepEqual(errors.slice(1), ['closed by the test']);
  bounds.budget.give(1000);
  t.is(bounds.budget.inUse, 0);
});
