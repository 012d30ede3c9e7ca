/**
 * `chord launch` driven through a pipe, as a script would: the seed's ring comes up as real
 * processes, the console stores, requests, joins, quits and kills, and `exit` stops them all.
 */
import test from 'ava';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../runtime-node/format';
import { ChordProcess, ensureBuilt, portRefused } from '../runtime-node/test-support';

const BASE = 25_000;
const IDS = [2, 4, 5, 8, 9, 14, 19, 25];

test.before(ensureBuilt);

test('the launcher: a ring of real processes and a console that works from a pipe', async (t) => {
  t.timeout(90_000);
  const dir = mkdtempSync(join(tmpdir(), 'chord-launch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = randomFillSync(Buffer.allocUnsafe(3 * 1024 * 1024));
  writeFileSync(join(dir, 'in.bin'), file);
  const launcher = new ChordProcess(t, ['launch', '--ping-interval', '0.2', '--port-base', String(BASE)], { group: true });
  const script = [
    'help',
    'store 42',
    `store report.pdf ${join(dir, 'in.bin')} via 9`,
    'request 42 via 19',
    `request report.pdf ${join(dir, 'out.bin')} via 2`,
    'join 25 via 4',
    'ring',
    'quit 14',
    'kill 8',
    'bogus',
    'REQUEST 42 VIA 25',
    'exit',
  ];
  for (const line of script) launcher.send(line);
  launcher.endInput();
  t.like(await launcher.waitExit(80_000), { code: 0 });
  const out = launcher.output;
  t.regex(out, /^ring of 7 peers is up \(2, 4, 5, 8, 9, 14, 19\); type help for commands$/m);
  t.regex(out, /^ {2}join <id> \[via <id>\] +start a new peer/m);
  t.regex(out, /^stored "42" \(id 42\): 9 bytes, version 1, on peers 2,4,5 /m);
  t.regex(out, /^stored "report\.pdf" \(id 250\): 3145728 bytes, version 1, on peers 2,4,5 /m);
  t.is(out.match(/^found "42" \(id 42\): 9 bytes, version 1, at peer 2 /gm)?.length, 2);
  t.regex(out, /^ {2}"record 42"$/m);
  t.regex(out, /^found "report\.pdf" \(id 250\): 3145728 bytes/m);
  t.is(sha256(readFileSync(join(dir, 'out.bin'))), sha256(file));
  t.regex(out, /^peer 25 joined via peer 4$/m);
  t.regex(out, /^ring of 8 peer\(s\) from 127\.0\.0\.1:25002, back to the start:$/m);
  t.regex(out, /^peer {2}14 \| left the ring$/m);
  t.regex(out, /^peer {3}8 \| exited \(SIGKILL\)$/m);
  t.regex(out, /^unknown command "bogus"; type help for the list$/m);
  t.regex(out, /^every peer has stopped$/m);
  for (const id of IDS) t.regex(out, new RegExp(`^peer ${String(id).padStart(3)} \\| exited`, 'm'));
  for (const id of IDS) t.true(await portRefused(BASE + id), `port of peer ${id} still open`);
});

test('a launcher that dies takes its peers with it: none is left running, whatever killed it', async (t) => {
  t.timeout(60_000);
  const base = 25_300;
  const launcher = new ChordProcess(t, ['launch', '--ping-interval', '0.2', '--port-base', String(base)], { group: true });
  await launcher.waitLine(/^ring of 7 peers is up/, 40_000);
  launcher.kill('SIGKILL');
  await launcher.waitExit(10_000);
  const deadline = Date.now() + 15_000;
  const open = async () => (await Promise.all(IDS.slice(0, 7).map((id) => portRefused(base + id)))).filter((r) => !r).length;
  let left = await open();
  while (left > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    left = await open();
  }
  t.is(left, 0, 'peers still listening after their launcher died');
});
