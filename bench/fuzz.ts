/**
 * Fuzzes the receive path (StreamDecoder for serial streams, FrameReceiver for datagrams) with
 * random bytes and mutated valid frames from a seeded PRNG (reproducible: same seed, same inputs).
 *
 *   node --import=tsx bench/fuzz.ts [--seed N] [--seconds S] [--inputs N]
 *
 * Runs until `--inputs` inputs (default 1,000,000) or `--seconds` (default 60), whichever comes
 * first. Prints JSON {inputs, crashes, framesRecovered, lostValidFrames, seconds, seed, ...}.
 * Exit 1 if anything threw (a crash) or a valid frame that followed garbage was not recovered.
 * (jazzer.js does not load on this machine, see docs/toolchain.md; this is a seeded mutation fuzzer.)
 */
import { hmacSha256 } from '../src/bus/auth-node.ts';
import { cobsFrame } from '../src/bus/cobs.ts';
import { FrameReceiver, StreamDecoder, wireBytesMax } from '../src/bus/decoder.ts';
import { crc32c } from '../src/bus/crc32c.ts';
import { FrameCodec, framePayloadBytesMax, writeU32 } from '../src/bus/frame.ts';
import { isKnownMsgType, MsgType } from '../src/bus/msgtypes.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) {
    console.error(`bench/fuzz.ts: --${name} needs a non-negative number, got ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return v;
}

const seed = arg('seed', 0xf7c0001) >>> 0;
const seconds = arg('seconds', 60);
const inputsMax = arg('inputs', 1_000_000);

/** xorshift32: small, fast, seeded. */
let state = seed || 1;
function rnd(): number {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state;
}
const below = (n: number) => rnd() % n;

const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + 7) & 0xff);
const codecs = [new FrameCodec({ mode: 'none-lab' }), new FrameCodec({ mode: 'hmac', key, mac: hmacSha256 })];
const types = [...Object.values(MsgType), 0, 99, 255];

let inputs = 0;
let crashes = 0;
let framesRecovered = 0;
let lostValidFrames = 0;
let firstCrash: string | null = null;
let seq = 1;

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = below(4) === 0 ? 0 : rnd() & 0xff;
  return b;
}

function validFrame(codec: FrameCodec): Uint8Array {
  const len = below(8) === 0 ? below(framePayloadBytesMax + 1) : below(64);
  return codec.encode({ type: types[below(types.length)]!, source: 1 + below(4), epoch: 1, seq: seq++ }, randomBytes(len));
}

function mutate(bytes: Uint8Array): Uint8Array {
  const a = Array.from(bytes);
  const n = 1 + below(4);
  for (let m = 0; m < n && a.length > 0; m++) {
    const at = below(a.length);
    switch (below(6)) {
      case 0:
        a[at] = a[at]! ^ (1 << below(8));
        break;
      case 1:
        a.splice(at, 1);
        break;
      case 2:
        a.splice(at, 0, rnd() & 0xff);
        break;
      case 3:
        a[at] = 0;
        break;
      case 4:
        a.length = at; // truncate
        break;
      default:
        a.splice(at, 0, ...a.slice(below(a.length), below(a.length) + 8)); // duplicate a slice
    }
  }
  return Uint8Array.from(a);
}

function withCrcFixed(f: Uint8Array): Uint8Array {
  if (f.length >= 4) writeU32(f, f.length - 4, crc32c(f, 0, f.length - 4));
  return f;
}

function feedInChunks(dec: StreamDecoder, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) {
    const n = 1 + below(below(4) === 0 ? 2000 : 100);
    dec.push(bytes.subarray(at, at + n));
    at += n;
  }
}

const startMs = performance.now();
const deadlineMs = startMs + seconds * 1000;
let delivered = 0;
const deliveredSeqs = new Set<number>();
const decoders = codecs.map(
  (codec) =>
    new StreamDecoder({
      codec,
      onFrame: (f) => {
        delivered++;
        deliveredSeqs.add(f.seq);
      },
    }),
);
const receivers = codecs.map((codec) => new FrameReceiver({ codec }));
// Forger inputs (CRC fixed up) get their own receivers: in none-lab mode such a frame IS valid
// (nothing authenticates it) and may legitimately move the replay window, e.g. to a huge epoch,
// which would make later genuine frames stale on the shared decoders and spoil the
// "garbage never costs a valid frame" check.
const forgerDecoders = codecs.map((codec) => new StreamDecoder({ codec, onFrame: () => delivered++ }));
const forgerReceivers = codecs.map((codec) => new FrameReceiver({ codec }));

while (inputs < inputsMax && (inputs % 1024 !== 0 || performance.now() < deadlineMs)) {
  const which = below(codecs.length);
  const codec = codecs[which]!;
  const kind = below(6);
  deliveredSeqs.clear();
  try {
    if (kind === 0) {
      // Random bytes on a stream, sometimes a babbling run longer than any frame.
      feedInChunks(decoders[which]!, randomBytes(below(10) === 0 ? wireBytesMax + below(3000) : below(300)));
    } else if (kind === 1) {
      // Mutated frames on a stream.
      feedInChunks(decoders[which]!, mutate(cobsFrame(validFrame(codec))));
    } else if (kind === 2) {
      // Garbage, then valid frames that must all come out.
      const dec = decoders[which]!;
      feedInChunks(dec, mutate(randomBytes(below(200))));
      const count = 1 + below(3);
      const expected: number[] = [];
      for (let i = 0; i < count; i++) {
        const f = validFrame(codec);
        // Frames of a type this build does not know are skipped by design, not lost.
        if (isKnownMsgType(f[1]!)) expected.push(seq - 1);
        feedInChunks(dec, cobsFrame(f));
      }
      for (const s of expected) if (!deliveredSeqs.has(s)) lostValidFrames++;
    } else if (kind === 3) {
      // Datagram path: random bytes.
      receivers[which]!.accept(randomBytes(below(1200)));
    } else if (kind === 4) {
      // Datagram path: mutated frames.
      if (receivers[which]!.accept(mutate(validFrame(codec)))) framesRecovered++;
    } else {
      // Mutated, then the CRC fixed up (as a forger would): reaches the header, tag and type checks.
      const f = withCrcFixed(mutate(validFrame(codec)));
      if (below(2) === 0) {
        if (forgerReceivers[which]!.accept(f)) framesRecovered++;
      } else {
        feedInChunks(forgerDecoders[which]!, cobsFrame(f));
      }
    }
  } catch (e) {
    crashes++;
    firstCrash ??= e instanceof Error ? (e.stack ?? e.message) : String(e);
  }
  inputs++;
}
framesRecovered += delivered;

const result = {
  inputs,
  crashes,
  framesRecovered,
  lostValidFrames,
  seconds: +((performance.now() - startMs) / 1000).toFixed(2),
  seed,
  inputsTarget: inputsMax,
  streamCounters: decoders.map((d) => ({ auth: d.receiver.codec.authMode, ...d.counters })),
  datagramCounters: receivers.map((r) => ({ auth: r.codec.authMode, ...r.counters })),
  forgerCounters: [...forgerDecoders.map((d) => d.receiver), ...forgerReceivers].map((r) => ({ auth: r.codec.authMode, ...r.counters })),
  ...(firstCrash ? { firstCrash } : {}),
};
console.log(JSON.stringify(result, null, 2));
if (crashes > 0 || lostValidFrames !== 0) process.exitCode = 1;
