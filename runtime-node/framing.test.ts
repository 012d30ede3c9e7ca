import test from 'ava';
import fc from 'fast-check';
import { frameMessage, FrameReader, HEADER_BYTES, toFrames } from './framing';

/** Feeds `bytes` to a reader cut at the given points; returns the messages and the first error. */
function readAll(bytes: Buffer, cuts: number[], maxMessage = 1 << 20, maxChunk = 64): { messages: Buffer[]; error: string | null; progress: number[] } {
  const messages: Buffer[] = [];
  const progress: number[] = [];
  const reader = new FrameReader({ message: (m) => messages.push(m), progress: (n) => progress.push(n) }, maxMessage, maxChunk);
  let error: string | null = null;
  let at = 0;
  for (const cut of [...cuts.filter((c) => c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    error ??= reader.push(bytes.subarray(at, cut));
    at = cut;
  }
  return { messages, error, progress };
}

/** Messages, the chunk size they are framed in, and where the byte stream is cut. */
const STREAMS = [
  fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 5 }),
  fc.integer({ min: 1, max: 64 }),
  fc.array(fc.nat(2000), { maxLength: 20 }),
] as const;

test('messages survive any chunk size and any cut of the byte stream', (t) => {
  fc.assert(fc.property(
    ...STREAMS,
    (messages, chunk, cuts) => {
      const stream = Buffer.concat(messages.flatMap((m) => toFrames(m, chunk)));
      const got = readAll(stream, cuts);
      t.is(got.error, null);
      t.deepEqual(got.messages.map((m) => [...m]), messages.map((m) => [...m]));
    },
  ));
});

test('progress counts the bytes of the current message chunk by chunk', (t) => {
  const got = readAll(Buffer.concat(toFrames(new Uint8Array(150), 64)), []);
  t.deepEqual(got.progress, [64, 128, 150]);
});

test('a message over the limit, an oversized frame or bad flags close the stream with a reason', (t) => {
  const frames = (total: number, chunk: number, flags: number) => {
    const h = Buffer.alloc(HEADER_BYTES);
    h.writeUInt32BE(chunk, 0);
    h.writeUInt32BE(total, 4);
    h.writeUInt8(flags, 8);
    return h;
  };
  t.regex(readAll(frames(2000, 10, 0), [], 1000).error ?? '', /exceeds the limit of 1000/);
  t.regex(readAll(frames(100, 65, 0), []).error ?? '', /frame of 65 bytes exceeds/);
  t.regex(readAll(frames(10, 10, 6), []).error ?? '', /bad frame flags/);
  t.regex(readAll(frames(10, 5, 1), []).error ?? '', /does not fit/);
  t.regex(readAll(frames(0, 0, 1), []).error ?? '', /empty message/);
  // A continuation that claims another message size than the one it continues.
  const mixed = Buffer.concat([frames(10, 5, 0), Buffer.alloc(5), frames(11, 5, 0)]);
  t.regex(readAll(mixed, []).error ?? '', /inside one of 10/);
});

test('garbage never throws and never yields more than one error', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 500 }), fc.array(fc.nat(500)), (bytes, cuts) => {
    const got = readAll(Buffer.from(bytes), cuts);
    t.true(got.error === null || typeof got.error === 'string');
  }));
});

test('every frame is told as it starts, and midFrame says whether the bytes so far end inside one', (t) => {
  fc.assert(fc.property(
    ...STREAMS,
    (messages, chunk, cuts) => {
      const framed = messages.map((m) => frameMessage(m, chunk));
      const expected: [number, number, boolean][] = [];
      const boundaries = new Set([0]);
      let end = 0;
      for (const [i, frames] of framed.entries()) {
        for (const [j, frame] of frames.entries()) {
          end += HEADER_BYTES + frame.chunk;
          boundaries.add(end);
          expected.push([frame.chunk, messages[i].length, j === 0]);
        }
      }
      const stream = Buffer.concat(framed.flat().flatMap((f) => f.pieces));
      const told: [number, number, boolean][] = [];
      const reader = new FrameReader({ message: () => undefined, frame: (c, total, first) => (told.push([c, total, first]), null) }, 1 << 20, 64);
      let at = 0;
      for (const cut of [...cuts.filter((c) => c < stream.length).sort((a, b) => a - b), stream.length]) {
        t.is(reader.push(stream.subarray(at, cut)), null);
        at = cut;
        t.is(reader.midFrame, !boundaries.has(cut), `after ${cut} bytes`);
      }
      t.deepEqual(told, expected);
    },
  ));
});

test('a frame refused when told ends the stream with the refusal, and no message is handed on', (t) => {
  const messages: Buffer[] = [];
  const reader = new FrameReader({ message: (m) => messages.push(m), frame: (_c, total) => (total > 100 ? 'too large for now' : null) }, 1 << 20, 64);
  t.is(reader.push(Buffer.concat([...toFrames(Buffer.alloc(50), 64), ...toFrames(Buffer.alloc(150), 64)])), 'too large for now');
  t.is(messages.length, 1);
});
