import test from 'ava';
import fc from 'fast-check';
import { cobsFrame } from '../../src/bus/cobs.ts';
import { FrameReceiver, StreamDecoder, wireBytesMax } from '../../src/bus/decoder.ts';
import type { Frame, FrameCodec } from '../../src/bus/frame.ts';
import { MsgType } from '../../src/bus/msgtypes.ts';
import { checkProperty } from './_property.ts';
import { keyedCodec, labCodec, otherKey } from './_frames.ts';

function collect(codec: FrameCodec) {
  const got: Array<{ seq: number; source: number; payload: number[] }> = [];
  const dec = new StreamDecoder({ codec, onFrame: (f: Frame) => got.push({ seq: f.seq, source: f.source, payload: [...f.payload] }) });
  return { dec, got };
}

function wireFrames(codec: FrameCodec, count: number, firstSeq = 0, source = 1): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    cobsFrame(codec.encode({ type: MsgType.Input, source, epoch: 1, seq: firstSeq + i }, Uint8Array.of(i, 0, 255, i >> 8))),
  );
}

function splitInto(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of points) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  out.push(bytes.subarray(at));
  return out;
}

const concat = (parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

test('random bytes fed in random chunks never throw and never grow the buffer past one frame', (t) => {
  const codec = labCodec();
  checkProperty(
    t,
    fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 8 }), (chunks) => {
      const { dec } = collect(codec);
      for (const c of chunks) {
        dec.push(c);
        if (dec.bufferedBytes > wireBytesMax) return false;
      }
      return dec.counters.bytesIn === chunks.reduce((n, c) => n + c.length, 0);
    }),
    400,
  );
});

test('no valid frame that follows garbage is lost, however the stream is chunked', (t) => {
  const codec = keyedCodec();
  checkProperty(
    t,
    fc.property(
      fc.uint8Array({ maxLength: 2500 }),
      fc.integer({ min: 1, max: 20 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (garbage, count, cuts) => {
        const { dec, got } = collect(codec);
        const stream = concat([garbage, ...wireFrames(codec, count)]);
        for (const c of splitInto(stream, cuts)) dec.push(c);
        return got.length === count && got.every((g, i) => g.seq === i);
      },
    ),
    300,
  );
});

test('mutated frames are dropped and every untouched frame around them is still delivered', (t) => {
  const codec = labCodec();
  checkProperty(
    t,
    fc.property(
      fc.integer({ min: 2, max: 30 }),
      fc.array(
        fc.record({ frame: fc.nat(), at: fc.nat(), kind: fc.constantFrom('flip', 'delete', 'insert', 'zero'), value: fc.integer({ min: 0, max: 255 }) }),
        { minLength: 1, maxLength: 8 },
      ),
      fc.array(fc.nat(), { maxLength: 6 }),
      (count, mutations, cuts) => {
        const frames = wireFrames(codec, count).map((f) => Array.from(f));
        const touched = new Set<number>();
        for (const m of mutations) {
          const i = m.frame % count;
          const f = frames[i]!;
          const at = m.at % f.length;
          touched.add(i);
          if (m.kind === 'flip') f[at] = f[at]! ^ (1 + (m.value % 255));
          else if (m.kind === 'delete') f.splice(at, 1);
          else if (m.kind === 'insert') f.splice(at, 0, m.value);
          else f[at] = 0;
        }
        const { dec, got } = collect(codec);
        for (const c of splitInto(Uint8Array.from(frames.flat()), cuts)) dec.push(c);
        const delivered = new Set(got.map((g) => g.seq));
        for (let i = 0; i < count; i++) if (!touched.has(i) && !delivered.has(i)) return false;
        // A mutated frame is never delivered altered (the CRC or COBS catches it).
        return got.every((g) => g.payload[0] === (g.seq & 0xff) && g.payload[1] === 0 && g.payload[2] === 255);
      },
    ),
    400,
  );
});

test('a babbling peer that never sends 0x00 is discarded and counted once, then the stream recovers', (t) => {
  const codec = labCodec();
  const { dec, got } = collect(codec);
  const babble = new Uint8Array(4096).fill(0x55);
  for (let i = 0; i < 256; i++) {
    dec.push(babble);
    t.true(dec.bufferedBytes <= wireBytesMax);
  }
  t.is(dec.counters.oversize, 1);
  for (const f of wireFrames(codec, 3)) dec.push(f);
  t.deepEqual(
    got.map((g) => g.seq),
    [0, 1, 2],
  );
  t.is(dec.counters.bytesIn, 256 * 4096 + wireFrames(codec, 3).reduce((n, f) => n + f.length, 0));
});

test('forged, replayed, stale, unauthenticated and unknown-type frames are counted and dropped', (t) => {
  const codec = keyedCodec();
  const { dec, got } = collect(codec);
  const frame = (c: FrameCodec, type: number, epoch: number, seq: number) =>
    cobsFrame(c.encode({ type, source: 2, epoch, seq }, Uint8Array.of(seq)));
  dec.push(frame(codec, MsgType.Heartbeat, 3, 10)); // ok
  dec.push(frame(keyedCodec(otherKey), MsgType.Heartbeat, 3, 11)); // forged
  dec.push(frame(codec, MsgType.Heartbeat, 3, 10)); // replayed
  dec.push(frame(codec, MsgType.Heartbeat, 2, 500)); // stale: older epoch
  dec.push(frame(codec, MsgType.Heartbeat, 3, 500)); // ok, moves the window
  dec.push(frame(codec, MsgType.Heartbeat, 3, 11)); // stale: 489 behind a 128 window
  dec.push(frame(labCodec(), MsgType.Heartbeat, 3, 501)); // unauthenticated
  dec.push(frame(codec, 200, 3, 502)); // unknown type: skipped
  dec.push(frame(codec, MsgType.Heartbeat, 3, 503)); // ok
  t.deepEqual(
    got.map((g) => g.seq),
    [10, 500, 503],
  );
  const c = dec.counters;
  t.like(c, { framesOk: 3, forged: 1, replayed: 1, stale: 2, unauthenticated: 1, unknownType: 1, crcErrors: 0 });
  t.is(dec.receiver.lastReject, 'unknownType', 'the last drop (before 503) was the unknown type');
});

test('a lab receiver refuses tagged frames and says why', (t) => {
  const rx = new FrameReceiver({ codec: labCodec() });
  t.is(rx.accept(keyedCodec().encode({ type: MsgType.Ping, source: 1, epoch: 0, seq: 0 }, new Uint8Array(4))), null);
  t.is(rx.counters.unexpectedTag, 1);
  t.is(rx.lastReject, 'unexpectedTag');
});

test('a forged frame does not burn its sequence number: the genuine frame with that number still gets through', (t) => {
  const codec = keyedCodec();
  const rx = new FrameReceiver({ codec });
  const h = { type: MsgType.OutputVote, source: 3, epoch: 1, seq: 77 };
  t.is(rx.accept(keyedCodec(otherKey).encode(h, Uint8Array.of(1))), null);
  t.truthy(rx.accept(codec.encode(h, Uint8Array.of(1))));
  t.like(rx.counters, { forged: 1, framesOk: 1, replayed: 0 });
});
