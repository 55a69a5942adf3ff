/**
 * Frame codec throughput for 32-byte payloads: encode (frame + COBS) and decode (deframe +
 * CRC + header + replay window + type), with and without the HMAC tag, against baselines
 * measured in the same run: a plain copy of the same wire bytes, and CRC-32C alone.
 * Each figure is the median of 5 runs of ~200 ms; frames/s. Tagged figures use HMAC-SHA256 via
 * a cached KeyObject (the default) and via createHmac with the raw key (the reference).
 */
import { createHmacSha256, hmacSha256Simple } from '../src/bus/auth-node.ts';
import { cobsFrameInto, cobsWireBytesMax } from '../src/bus/cobs.ts';
import { crc32c } from '../src/bus/crc32c.ts';
import { StreamDecoder } from '../src/bus/decoder.ts';
import { FrameCodec, type MacFn } from '../src/bus/frame.ts';
import { MsgType } from '../src/bus/msgtypes.ts';

const payloadBytes = 32;
const runs = 5;
const runMs = 200;
const decodeTargetFps = 1_000_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Calls `batch()` (which processes `perBatch` frames) until runMs passed; returns frames/s. */
function rate(perBatch: number, batch: () => void): number {
  const fps: number[] = [];
  batch(); // warm-up
  for (let r = 0; r < runs; r++) {
    let frames = 0;
    const t0 = performance.now();
    let t1 = t0;
    while (t1 - t0 < runMs) {
      batch();
      frames += perBatch;
      t1 = performance.now();
    }
    fps.push((frames * 1000) / (t1 - t0));
  }
  return Math.round(median(fps));
}

const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
const payload = Uint8Array.from({ length: payloadBytes }, (_, i) => (i * 31 + 5) & 0xff);

function codecFigures(codec: FrameCodec, framesPerBatch: number) {
  const frame = new Uint8Array(codec.frameBytes(payloadBytes));
  const wireMax = cobsWireBytesMax(frame.length);
  const out = new Uint8Array(wireMax * framesPerBatch);
  let seq = 0;
  let wireBytes = 0;
  const encodeFps = rate(framesPerBatch, () => {
    let off = 0;
    for (let i = 0; i < framesPerBatch; i++) {
      codec.encodeInto({ type: MsgType.Input, source: 1, epoch: 1, seq: seq++ }, payload, frame, 0);
      off += cobsFrameInto(frame, out, off);
    }
    wireBytes = off;
  });
  // Decode streams of fresh sequence numbers (a repeated stream would be all replays).
  const streams: Uint8Array[] = [];
  const streamCount = 8;
  for (let s = 0; s < streamCount; s++) {
    const buf = new Uint8Array(wireMax * framesPerBatch);
    let off = 0;
    for (let i = 0; i < framesPerBatch; i++) {
      codec.encodeInto({ type: MsgType.Input, source: 1, epoch: 1 + s, seq: i }, payload, frame, 0);
      off += cobsFrameInto(frame, buf, off);
    }
    streams.push(buf.subarray(0, off));
  }
  let delivered = 0;
  let k = 0;
  const decodeFps = rate(framesPerBatch, () => {
    // A fresh decoder per batch so every frame is new to its replay window.
    const dec = new StreamDecoder({ codec, onFrame: () => delivered++ });
    dec.push(streams[k++ % streamCount]!);
  });
  const expected = delivered;
  return { encodeFps, decodeFps, wireBytesPerFrame: wireBytes / framesPerBatch, framesDelivered: expected };
}

export default async function (): Promise<Record<string, unknown>> {
  const plain = codecFigures(new FrameCodec({ mode: 'none-lab' }), 4096);
  const tagged = codecFigures(new FrameCodec({ mode: 'hmac', key, mac: createHmacSha256() }), 1024);
  const taggedCreateHmac = codecFigures(new FrameCodec({ mode: 'hmac', key, mac: hmacSha256Simple as MacFn }), 1024);

  // Baselines on the same bytes: copying a frame's wire bytes, and CRC-32C over a frame.
  const wire = new Uint8Array(Math.round(plain.wireBytesPerFrame));
  const sink = new Uint8Array(wire.length * 4096);
  const copyFps = rate(4096, () => {
    for (let i = 0, off = 0; i < 4096; i++, off += wire.length) sink.set(wire, off);
  });
  const crcInput = new Uint8Array(14 + payloadBytes);
  let crcSink = 0;
  const crcFps = rate(4096, () => {
    for (let i = 0; i < 4096; i++) crcSink ^= crc32c(crcInput);
  });
  return {
    payloadBytes,
    untagged: plain,
    taggedKeyObject: tagged,
    taggedCreateHmac,
    baselineCopyFps: copyFps,
    baselineCrc32cFps: crcFps,
    ratioDecodeToCopy: +(plain.decodeFps / copyFps).toFixed(3),
    ratioDecodeToCrc32c: +(plain.decodeFps / crcFps).toFixed(3),
    ratioTaggedToUntaggedDecode: +(tagged.decodeFps / plain.decodeFps).toFixed(3),
    speedupKeyObjectOverRawKey: +(tagged.decodeFps / taggedCreateHmac.decodeFps).toFixed(2),
    decodeTargetFps,
    decodeTargetMet: plain.decodeFps >= decodeTargetFps,
    crcSink: crcSink & 1,
  };
}
