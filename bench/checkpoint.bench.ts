/**
 * The checkpoint class (src/checkpoint/core.ts) over real transports: three CheckpointCores in this
 * one process (board 0 primary, boards 1 and 2 backups), each with its own transport endpoint, so
 * every message crosses the kernel (UDP on 127.0.0.1, or pseudo-terminals).
 *
 * - Throughput and output-commit latency, UDP: state 64 B, 4 KiB, 64 KiB. The primary runs epochs
 *   back to back: it completes epoch e as soon as epoch e-1 was released (a backup acknowledged
 *   it), for `--seconds` per row after a short warm-up. Row `delta`: the state changes a few bytes
 *   per epoch (the core sends deltas); row `full`: the state is rewritten whole each epoch.
 *   Commit latency = from complete() to the `release` effect of that epoch.
 * - The same over serial: one PtyCable per backup (board 0 <-> 1, board 0 <-> 2), serialport's
 *   binding on every slave, frames from the project's codec (src/bus/frame.ts + COBS, decoded by
 *   StreamDecoder). A pty is not paced by its baud rate, so each serial row also carries the line
 *   rate of `--baud` (8N1: baud/10 bytes/s) and how long its measured wire bytes would take there.
 *   64 B and 4 KiB; 64 KiB with --serial-64k. --paced paces the cables to the line rate as well.
 *   Received frames are handed to the cores from setImmediate, not from the serial read callback
 *   (see openSerialNet: a write from inside that callback can stall the link for good), so each
 *   serial hop includes one event-loop turn. Fresh cables for each row.
 * - Each row also says how each backup was sent its checkpoints (deltaFractionByBackup), the bytes
 *   still in flight to each backup when the row ended (a backlog: a backup that cannot keep up), and
 *   epochs the primary gave up waiting for (stalledEpochs; lostEpochs: never released at all).
 * - Failover downtime (UDP, 4 KiB, delta): at a random moment nothing more is delivered to or from
 *   board 0; boards 1 and 2 switch to the view {primary 1, members 1 and 2}; downtime = from that
 *   switch until board 1 releases an epoch it computed itself. It excludes the membership's
 *   detection time (the rig's voter detects a dead board in ~2 cycles).
 * - Migration downtime (UDP, 4 KiB, delta): all three healthy, every view switches to primary 1;
 *   board 0 steps down and board 1 pulls its newest checkpoint; until board 1's first release.
 * - Baselines in the same run: the round trip of one 64-byte datagram between two loopback UDP
 *   sockets, and of one 64-byte frame through a PtyCable; Remus's 40 checkpoints/s (25 ms epochs,
 *   Cully et al., NSDI 2008) as the figure to beat.
 *
 * The messages are serialised by a small binary layout of this file (`encodeMsg`/`decodeMsg`):
 * the rig uses its own checkpoint codec, this only needs to be compact and cheap.
 *
 * Progress on stderr; the figures are returned to bench/run.ts (JSON on stdout).
 */
import { PtyCable } from '../src/adapters/sim/pty-cable.ts';
import { openDatagramLink } from '../src/adapters/real/udp.ts';
import { openSerialLink } from '../src/adapters/real/serial.ts';
import { cobsFrame } from '../src/bus/cobs.ts';
import { StreamDecoder } from '../src/bus/decoder.ts';
import { FrameCodec, framePayloadBytesMax } from '../src/bus/frame.ts';
import { MsgType } from '../src/bus/msgtypes.ts';
import { CheckpointCore, makeCheckpointConfig, NONE, type CheckpointConfig, type CkptEffect, type CkptMsg, type MembershipView } from '../src/checkpoint/core.ts';
import type { DatagramLink, SerialLink } from '../src/ports/serial.ts';
import { BenchUsageError, intAtLeast, type BenchArgs, type BenchOptionSpecs } from './options.ts';

const positive = (option: string) => (raw: string): number => {
  const v = Number(raw);
  if (!(v > 0 && Number.isFinite(v))) throw new BenchUsageError(`--${option}: expected a positive number, got ${JSON.stringify(raw)}`);
  return v;
};

function sizeList(raw: string): number[] {
  const xs = raw.split(',').map((x) => Number(x.trim()));
  if (xs.length === 0 || xs.some((x) => !(Number.isInteger(x) && x >= 1 && x <= 1 << 20))) throw new BenchUsageError(`--sizes: expected comma-separated byte counts in 1..1048576, got ${JSON.stringify(raw)}`);
  return xs;
}

export const options: BenchOptionSpecs = {
  seconds: { type: 'string', help: 'S: seconds of each throughput/latency row (default 2)', parse: positive('seconds') },
  trials: { type: 'string', help: 'N: failover and migration trials each (default 20)', parse: intAtLeast('trials', 1) },
  'chunk-bytes': {
    type: 'string', help: 'N: chunkBytesMax over UDP, 16..1024 (default 1000; serial uses at most what fits a 1024-byte frame payload)',
    parse: (raw) => {
      const v = intAtLeast('chunk-bytes', 16)(raw);
      if (v > 1024) throw new BenchUsageError(`--chunk-bytes: at most 1024 (CheckpointCore: one frame per chunk), got ${v}`);
      return v;
    },
  },
  baud: { type: 'string', help: 'N: baud of the serial line-rate figures (default 921600)', parse: intAtLeast('baud', 300) },
  'serial-64k': { type: 'boolean', help: 'also run the 64 KiB rows over the pty' },
  paced: { type: 'boolean', help: 'also run the serial rows with the cables paced to the line rate' },
  sizes: { type: 'string', help: 'B,B,...: state sizes of the throughput rows (default 64,4096,65536; serial skips 65536 without --serial-64k)', parse: sizeList },
};

const REMUS_CHECKPOINTS_PER_S = 40;
const TARGET_4KIB = { checkpointsPerSMin: 2000, commitP99MsMax: 2 };
const STATE_SIZES = [64, 4096, 65536];
const OUTPUTS = 2;
const RETRY_MS = 20;
const WARMUP_MS = 200;
const FULL_VIEW: MembershipView = { member: true, primary: 0, membersMask: 0b111 };

const log = (s: string) => process.stderr.write(`checkpoint bench: ${s}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const round3 = (x: number) => Math.round(x * 1000) / 1000;

function quantiles(xs: number[]): { n: number; p50Ms: number; p99Ms: number; maxMs: number } | { n: 0 } {
  if (xs.length === 0) return { n: 0 };
  const s = Float64Array.from(xs).sort();
  const q = (p: number) => round3(s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))]!);
  return { n: s.length, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: round3(s[s.length - 1]!) };
}

/** mulberry32: the random moments of the failover trials are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- wire layout of this bench (the rig uses its own checkpoint codec) ----
// [kind u8][from u8][gen u16][term i32] then: ck: epoch i32, baseTerm i32, base i32, index u16,
// count u16, sum u32, xfer u8, outputs u8, outputs f64 each, data (the rest); ack: epoch;
// q: nothing; have: ckTerm, epoch; pull: epoch, baseTerm, base. Little-endian. `gen` numbers the
// rig (one per row or trial), so a late datagram of an earlier one is dropped.
const KIND = { ck: 1, ack: 2, q: 3, have: 4, pull: 5 } as const;
const HEAD = 8;
const CK_HEAD = HEAD + 22;
const ckHeaderBytes = (outputs: number) => CK_HEAD + 8 * outputs;

function encodeMsg(gen: number, m: CkptMsg): Uint8Array {
  let size = HEAD;
  switch (m.t) {
    case 'ck': size = ckHeaderBytes(m.outputs.length) + m.data.length; break;
    case 'ack': size += 4; break;
    case 'have': size += 8; break;
    case 'pull': size += 12; break;
    case 'q': break;
  }
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  dv.setUint8(0, KIND[m.t]);
  dv.setUint8(1, m.from);
  dv.setUint16(2, gen, true);
  dv.setInt32(4, m.term, true);
  switch (m.t) {
    case 'ck': {
      dv.setInt32(8, m.epoch, true); dv.setInt32(12, m.baseTerm, true); dv.setInt32(16, m.base, true);
      dv.setUint16(20, m.index, true); dv.setUint16(22, m.count, true); dv.setUint32(24, m.sum >>> 0, true);
      dv.setUint8(28, m.xfer ? 1 : 0); dv.setUint8(29, m.outputs.length);
      let o = CK_HEAD;
      for (const x of m.outputs) { dv.setFloat64(o, x, true); o += 8; }
      b.set(m.data, o);
      break;
    }
    case 'ack': dv.setInt32(8, m.epoch, true); break;
    case 'have': dv.setInt32(8, m.ckTerm, true); dv.setInt32(12, m.epoch, true); break;
    case 'pull': dv.setInt32(8, m.epoch, true); dv.setInt32(12, m.baseTerm, true); dv.setInt32(16, m.base, true); break;
    case 'q': break;
  }
  return b;
}

/** null: not a message of rig `gen` (or malformed). `data` is a view into `b`: pass a buffer nobody reuses. */
function decodeMsg(gen: number, b: Uint8Array): CkptMsg | null {
  if (b.length < HEAD) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint16(2, true) !== gen) return null;
  const kind = dv.getUint8(0);
  const from = dv.getUint8(1);
  const term = dv.getInt32(4, true);
  switch (kind) {
    case KIND.ck: {
      if (b.length < CK_HEAD) return null;
      const k = dv.getUint8(29);
      const dataAt = ckHeaderBytes(k);
      if (b.length < dataAt) return null;
      const outputs: number[] = [];
      for (let i = 0; i < k; i++) outputs.push(dv.getFloat64(CK_HEAD + 8 * i, true));
      return {
        t: 'ck', from, term, epoch: dv.getInt32(8, true), baseTerm: dv.getInt32(12, true), base: dv.getInt32(16, true),
        index: dv.getUint16(20, true), count: dv.getUint16(22, true), sum: dv.getUint32(24, true), xfer: dv.getUint8(28) === 1,
        outputs, data: b.subarray(dataAt),
      };
    }
    case KIND.ack: return b.length >= HEAD + 4 ? { t: 'ack', from, term, epoch: dv.getInt32(8, true) } : null;
    case KIND.q: return { t: 'q', from, term };
    case KIND.have: return b.length >= HEAD + 8 ? { t: 'have', from, term, ckTerm: dv.getInt32(8, true), epoch: dv.getInt32(12, true) } : null;
    case KIND.pull: return b.length >= HEAD + 12 ? { t: 'pull', from, term, epoch: dv.getInt32(8, true), baseTerm: dv.getInt32(12, true), base: dv.getInt32(16, true) } : null;
    default: return null;
  }
}

// ---- transports ----
interface Net {
  readonly kind: 'udp' | 'serial';
  readonly chunkBytesMax: number;
  /** false: no link between the two boards (serial has none between the backups), or not sent. */
  send(from: number, to: number, bytes: Uint8Array): boolean;
  /** Bytes handed to the transport (serial: wire bytes, framing included), [from][to]. */
  readonly txBytes: number[][];
  setReceiver(fn: (to: number, bytes: Uint8Array) => void): void;
  /** Counters for an error message: drops, errors, links lost. */
  diag(): Record<string, unknown>;
  /** Sends the transport refused or lost so far (serial: chunks over a full tx queue, bytes over a full relay queue; UDP: send errors). */
  drops(): number;
  /** Per backup (boards 1, 2): bytes board 0 sent it that it has not received yet. */
  backlog(): number[];
  close(): Promise<void>;
}

const zeros3 = () => [0, 1, 2].map(() => [0, 0, 0]);

async function openUdpNet(chunkBytesMax: number): Promise<Net> {
  const links: DatagramLink[] = [];
  for (let i = 0; i < 3; i++) links.push(await openDatagramLink({ host: '127.0.0.1', port: 0 }));
  for (const l of links) {
    // A 64 KiB full checkpoint is ~66 datagrams per backup in one burst: ask for room (the kernel caps it at rmem_max).
    const s = (l as unknown as { socket?: { setRecvBufferSize(n: number): void; setSendBufferSize(n: number): void } }).socket;
    try { s?.setRecvBufferSize(1 << 21); s?.setSendBufferSize(1 << 21); } catch { /* keep the defaults */ }
  }
  const addr = links.map((l) => l.localAddress);
  const boardOf = new Map(addr.map((a, i) => [a, i]));
  let recv: (to: number, bytes: Uint8Array) => void = () => {};
  const rxFrom0 = [0, 0, 0];
  const board0 = addr[0]!;
  links.forEach((l, i) => l.onMessage((data, from) => {
    if (!boardOf.has(from)) return;
    if (from === board0) rxFrom0[i]! += data.length;
    recv(i, data);
  }));
  const txBytes = zeros3();
  return {
    kind: 'udp', chunkBytesMax, txBytes,
    send(from, to, bytes) { txBytes[from]![to]! += bytes.length; return links[from]!.send(bytes, addr[to]!); },
    setReceiver(fn) { recv = fn; },
    diag: () => ({ links: links.map((l) => l.stats) }),
    drops: () => links.reduce((n, l) => n + l.stats.errors + l.stats.txDropped, 0),
    backlog: () => [1, 2].map((b) => Math.max(0, txBytes[0]![b]! - rxFrom0[b]!)),
    async close() { for (const l of links) await l.close(); },
  };
}

// Frame type: Checkpoint where this build has it, else StateChunk (any known type passes the receiver).
const CKPT_FRAME_TYPE = (MsgType as Record<string, number>).Checkpoint ?? MsgType.StateChunk;

async function openSerialNet(baud: number, lineRateBytesPerS: number | null, chunkBytesMax: number): Promise<Net> {
  const codec = new FrameCodec({ mode: 'none-lab' });
  // Cable k joins board 0 (pathA) and board k+1 (pathB). The backups have no cable between them.
  const cables: PtyCable[] = [];
  for (let k = 0; k < 2; k++) cables.push(await PtyCable.open({ relayQueueBytesMax: 1 << 22, lineRateBytesPerSecond: lineRateBytesPerS }));
  const links = new Map<string, SerialLink>();
  const key = (from: number, to: number) => `${from}>${to}`;
  const open = (path: string) => openSerialLink({ path, baudRate: baud, txQueueBytesMax: 1 << 22 });
  for (let k = 0; k < 2; k++) {
    links.set(key(0, k + 1), await open(cables[k]!.pathA));
    links.set(key(k + 1, 0), await open(cables[k]!.pathB));
  }
  let recv: (to: number, bytes: Uint8Array) => void = () => {};
  // Frames are decoded in the read callback but delivered (core stepped, replies written) from
  // setImmediate, outside serialport's poller callback. Writing from inside it can lose the write
  // wait for good: bindings-cpp's Poller::poll calls uv_poll_start with only the event just asked
  // for, not the union, so SerialLink's re-arm of 'readable' after its listeners ran replaces the
  // 'writable' wait a listener's write just armed, and a write the kernel took only part of then
  // never finishes (seen here: board 0's link to board 2 stuck after 17 KB, every later write dropped).
  const decoders = new Map<string, StreamDecoder>();
  const pending: [number, Uint8Array][] = [];
  let flushing = false;
  const flush = () => {
    flushing = false;
    for (const [to, bytes] of pending.splice(0)) recv(to, bytes);
  };
  for (const [k, link] of links) {
    // Link key(a, b) is board a's end of its cable to b: what arrives on it is for board a.
    const self = Number(k.split('>')[0]);
    // The frame's payload is a view valid during the callback only: copy it (decodeMsg keeps views).
    const dec = new StreamDecoder({ codec, onFrame: (f) => pending.push([self, f.payload.slice()]) });
    decoders.set(k, dec);
    link.onData((chunk) => {
      dec.push(chunk);
      if (!flushing && pending.length > 0) { flushing = true; setImmediate(flush); }
    });
  }
  const seq = zeros3();
  const txBytes = zeros3();
  return {
    kind: 'serial', chunkBytesMax, txBytes,
    send(from, to, bytes) {
      const link = links.get(key(from, to));
      if (!link) return false;
      const wire = cobsFrame(codec.encode({ type: CKPT_FRAME_TYPE, source: from + 1, epoch: 1, seq: seq[from]![to]!++ }, bytes));
      txBytes[from]![to]! += wire.length;
      return link.write(wire);
    },
    setReceiver(fn) { recv = fn; },
    diag: () => ({
      links: Object.fromEntries([...links].map(([k, l]) => [k, { open: l.isOpen, ...l.stats, rx: decoders.get(k)!.counters }])),
      cables: cables.map((c) => c.stats),
    }),
    drops: () => [...links.values()].reduce((n, l) => n + l.stats.errors + l.stats.txDropped, 0)
      + cables.reduce((n, c) => n + c.stats.aToB.queueDroppedBytes + c.stats.bToA.queueDroppedBytes, 0),
    backlog: () => [1, 2].map((b) => Math.max(0, txBytes[0]![b]! - links.get(key(b, 0))!.stats.rxBytes)),
    async close() {
      for (const l of links.values()) await l.close();
      for (const c of cables) await c.close();
    },
  };
}

// ---- the three boards ----
interface Driver {
  /** This board runs epochs (it resumed as primary and was not demoted or isolated since). */
  running: boolean;
  state: Uint8Array;
  /** complete() time of each epoch not yet released. */
  sentAt: Map<number, number>;
  lastCompleted: number;
  lastCompleteAt: number;
}

type StateMode = 'delta' | 'full';

class Rig {
  static #gen = 0;
  readonly gen = ++Rig.#gen & 0xffff;
  readonly cores: CheckpointCore[];
  readonly views: MembershipView[] = [FULL_VIEW, FULL_VIEW, FULL_VIEW];
  readonly isolated = [false, false, false];
  readonly drv: Driver[];
  recording = false;
  readonly lat: number[] = [];
  released = 0;
  /** Checkpoints sent whole / as a delta (counted on chunk 0 of a backup copy) while recording. */
  readonly sentFull = [0, 0, 0];
  readonly sentDelta = [0, 0, 0];
  /** Epochs given up on (no release within stallMs; the next one was completed): a lost datagram or frame, or this process descheduled that long. */
  stalls = 0;
  /** Of those, the ones never released afterwards. */
  readonly stalledUnreleased = new Set<number>();
  pulls = 0;
  /** A recovering board asked again (a query to one board, or a second pull): an answer did not come within retryMs. */
  retries = 0;
  onRelease: ((board: number, epoch: number, atMs: number, own: boolean) => void) | null = null;
  onResume: ((board: number, atMs: number, epoch: number, state: Uint8Array | null) => void) | null = null;
  readonly #timer: NodeJS.Timeout;
  #stopped = false;

  constructor(readonly net: Net, cfg: Omit<CheckpointConfig, 'chunksMax' | 'self'>, readonly stateBytes: number, readonly mode: StateMode, readonly stallMs: number) {
    this.cores = [0, 1, 2].map((self) => new CheckpointCore(makeCheckpointConfig({ ...cfg, self })));
    this.drv = [0, 1, 2].map(() => ({ running: false, state: new Uint8Array(0), sentAt: new Map(), lastCompleted: NONE, lastCompleteAt: 0 }));
    net.setReceiver((to, bytes) => this.#receive(to, bytes));
    this.#timer = setInterval(() => this.#tick(), 1);
    for (let b = 0; b < 3; b++) this.stepNow(b);
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.net.setReceiver(() => {});
    for (const d of this.drv) d.running = false;
  }

  isolate(b: number): void {
    this.isolated[b] = true;
    this.drv[b]!.running = false;
  }

  setView(b: number, v: MembershipView): void {
    this.views[b] = v;
  }

  stepNow(b: number): void {
    if (this.#stopped || this.isolated[b]) return;
    this.#apply(b, this.cores[b]!.step(performance.now(), [], this.views[b]!));
  }

  #receive(to: number, bytes: Uint8Array): void {
    if (this.#stopped || this.isolated[to]) return;
    const m = decodeMsg(this.gen, bytes);
    if (!m || this.isolated[m.from]) return;
    this.#apply(to, this.cores[to]!.step(performance.now(), [m], this.views[to]!));
  }

  #tick(): void {
    const now = performance.now();
    for (let b = 0; b < 3; b++) {
      if (this.isolated[b]) continue;
      if (this.cores[b]!.role !== 'backup') this.stepNow(b); // a recovering board's retries
      const d = this.drv[b]!;
      if (d.running && now - d.lastCompleteAt > this.stallMs) {
        if (this.recording) { this.stalls++; this.stalledUnreleased.add(d.lastCompleted); }
        this.#completeNext(b);
      }
    }
  }

  #apply(b: number, fx: CkptEffect[]): void {
    let next = false;
    const d = this.drv[b]!;
    for (const e of fx) {
      switch (e.kind) {
        case 'send': {
          const bytes = encodeMsg(this.gen, e.msg);
          if (e.msg.t === 'pull' && this.pulls++ > 0) this.retries++;
          if (e.msg.t === 'q' && e.to !== undefined) this.retries++;
          if (this.recording && e.msg.t === 'ck' && e.msg.index === 0 && !e.msg.xfer && e.to !== undefined) {
            if (e.msg.base === NONE) this.sentFull[e.to]!++;
            else this.sentDelta[e.to]!++;
          }
          const view = this.views[b]!;
          for (let to = 0; to < 3; to++) {
            if (to === b || (e.to !== undefined ? e.to !== to : !(view.membersMask & (1 << to)))) continue;
            if (this.isolated[b] || this.isolated[to]) continue;
            this.net.send(b, to, bytes);
          }
          break;
        }
        case 'release': {
          const now = performance.now();
          const t0 = d.sentAt.get(e.epoch);
          const own = t0 !== undefined;
          if (own) {
            d.sentAt.delete(e.epoch);
            this.stalledUnreleased.delete(e.epoch);
            if (this.recording) { this.lat.push(now - t0); this.released++; }
          }
          this.onRelease?.(b, e.epoch, now, own);
          if (d.running && e.epoch >= d.lastCompleted) next = true;
          break;
        }
        case 'resume': {
          d.running = true;
          d.state = e.state ? e.state : new Uint8Array(this.stateBytes);
          d.lastCompleted = e.epoch;
          d.sentAt.clear();
          this.onResume?.(b, performance.now(), e.epoch, e.state);
          next = true;
          break;
        }
        case 'event':
          if (e.code === 'demoted') d.running = false;
          break;
      }
    }
    if (next) this.#completeNext(b);
  }

  /** The primary's next epoch: a new state (the core keeps a reference, so never mutate the old one). */
  #completeNext(b: number): void {
    const core = this.cores[b]!;
    const d = this.drv[b]!;
    if (this.#stopped || !d.running || this.isolated[b] || core.role !== 'primary') return;
    const epoch = core.nextEpoch;
    let s: Uint8Array;
    const n = this.stateBytes;
    if (this.mode === 'delta') {
      // A controller's state: a few fields change per epoch (a counter and one sample, 8 bytes).
      s = d.state.length === n ? d.state.slice() : new Uint8Array(n);
      const dv = new DataView(s.buffer);
      dv.setUint32(0, epoch, true);
      if (n >= 8) dv.setUint32(4 + (((epoch * 97) >>> 0) % Math.floor((n - 4) / 4)) * 4, (epoch ^ 0x5a5a5a5a) >>> 0, true);
    } else {
      // Rewritten whole: every byte differs from any of the last 255 epochs.
      s = new Uint8Array(n);
      s.fill((epoch * 7 + 1) & 0xff);
    }
    d.state = s;
    const t0 = performance.now();
    d.sentAt.set(epoch, t0);
    if (d.sentAt.size > 64) for (const k of d.sentAt.keys()) if (k < epoch - 32) d.sentAt.delete(k);
    d.lastCompleted = epoch;
    d.lastCompleteAt = t0;
    this.#apply(b, core.complete(epoch, s, [epoch, epoch / 2], this.views[b]!));
  }
}

async function until(what: string, pred: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  while (!pred()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`checkpoint bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(1);
  }
}

function rigConfig(stateBytes: number, chunkBytesMax: number): Omit<CheckpointConfig, 'chunksMax' | 'self'> {
  return { boards: 3, chunkBytesMax, stateBytesMax: Math.max(stateBytes, 64), outputsMax: OUTPUTS, retryMs: RETRY_MS };
}

async function startRig(net: Net, stateBytes: number, mode: StateMode, stallMs: number): Promise<Rig> {
  const rig = new Rig(net, rigConfig(stateBytes, net.chunkBytesMax), stateBytes, mode, stallMs);
  try {
    await until('board 0 to become primary', () => rig.cores[0]!.role === 'primary' && rig.drv[0]!.running, 5000);
  } catch (e) {
    rig.stop();
    const roles = rig.cores.map((c) => `${c.role}/term ${c.term}`).join(', ');
    throw new Error(`${(e as Error).message} (${net.kind}, ${stateBytes} B ${mode}; boards: ${roles}; transport: ${JSON.stringify(net.diag())})`, { cause: e });
  }
  return rig;
}

interface RowError { stateBytes: number; mode: StateMode; error: string }
const isRow = (r: Row | RowError): r is Row => !('error' in r);

interface Row {
  stateBytes: number;
  mode: StateMode;
  checkpointsPerS: number;
  ratioToRemus: number;
  commitMs: ReturnType<typeof quantiles>;
  /** Bytes to each backup per released checkpoint (serial: wire bytes with framing), and back (acks). */
  bytesPerCheckpointToBackup: number;
  bytesPerCheckpointFromBackup: number;
  /** Of the checkpoints sent to board 1 and to board 2, the fraction sent as a delta. */
  deltaFractionByBackup: number[];
  /** Epochs not released within stallMs (the primary went on with the next), and of those the ones never released. */
  stalledEpochs: number;
  lostEpochs: number;
  transportDrops: number;
  /** Bytes board 0 sent each backup that had not reached it when the row ended (a backlog on its link). */
  backlogBytesByBackupAtEnd: number[];
}

async function throughputRow(net: Net, stateBytes: number, mode: StateMode, seconds: number, stallMs: number): Promise<Row> {
  const rig = await startRig(net, stateBytes, mode, stallMs);
  await sleep(WARMUP_MS);
  const tx0 = net.txBytes.map((r) => [...r]);
  const drops0 = net.drops();
  rig.recording = true;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  rig.recording = false;
  const elapsedS = (performance.now() - t0) / 1000;
  rig.stop();
  const rel = Math.max(1, rig.released);
  const down = (net.txBytes[0]![1]! - tx0[0]![1]! + net.txBytes[0]![2]! - tx0[0]![2]!) / 2;
  const up = (net.txBytes[1]![0]! - tx0[1]![0]! + net.txBytes[2]![0]! - tx0[2]![0]!) / 2;
  const cps = rig.released / elapsedS;
  await sleep(20); // late datagrams of this rig drain (they carry its gen and are dropped)
  return {
    stateBytes, mode,
    checkpointsPerS: Math.round(cps),
    ratioToRemus: Math.round((cps / REMUS_CHECKPOINTS_PER_S) * 10) / 10,
    commitMs: quantiles(rig.lat),
    bytesPerCheckpointToBackup: Math.round(down / rel),
    bytesPerCheckpointFromBackup: Math.round(up / rel),
    deltaFractionByBackup: [1, 2].map((b) => (rig.sentFull[b]! + rig.sentDelta[b]! === 0 ? 0 : round3(rig.sentDelta[b]! / (rig.sentFull[b]! + rig.sentDelta[b]!)))),
    backlogBytesByBackupAtEnd: net.backlog(),
    stalledEpochs: rig.stalls,
    lostEpochs: rig.stalledUnreleased.size,
    transportDrops: net.drops() - drops0,
  };
}

/** Downtime trials: `mode` failover (board 0 cut off, view {1,2}) or migration (all healthy, primary 1). */
async function downtimeTrials(net: Net, kind: 'failover' | 'migration', trials: number, rand: () => number) {
  const downtime: number[] = [];
  const resume: number[] = [];
  let pulls = 0;
  let failures = 0;
  let badResumes = 0;
  let retried = 0;
  const stateBytes = 4096;
  for (let t = 0; t < trials; t++) {
    const rig = await startRig(net, stateBytes, 'delta', 100);
    await sleep(10 + rand() * 50); // a random moment in the run of epochs
    let tSwitch = 0;
    let tResume = -1;
    let tFirst = -1;
    rig.onResume = (b, at, epoch, state) => {
      if (b !== 1 || tResume >= 0) return;
      tResume = at;
      // Delta-mode states carry their epoch in bytes 0..3: the resumed state must be that epoch's.
      if (!state || state.length !== stateBytes || new DataView(state.buffer, state.byteOffset).getUint32(0, true) !== epoch) badResumes++;
    };
    rig.onRelease = (b, _e, at, own) => { if (b === 1 && own && tFirst < 0) tFirst = at; };
    const newView: MembershipView = kind === 'failover' ? { member: true, primary: 1, membersMask: 0b110 } : { member: true, primary: 1, membersMask: 0b111 };
    rig.pulls = 0;
    const retries0 = rig.retries;
    if (kind === 'failover') rig.isolate(0);
    tSwitch = performance.now();
    const boards = kind === 'failover' ? [1, 2] : [0, 1, 2];
    for (const b of boards) rig.setView(b, newView);
    for (const b of boards) rig.stepNow(b);
    try {
      await until(`board 1's first release after the ${kind}`, () => tFirst >= 0, 2000);
      downtime.push(tFirst - tSwitch);
      if (tResume >= 0) resume.push(tResume - tSwitch);
    } catch {
      failures++;
    }
    pulls += rig.pulls > 0 ? 1 : 0;
    retried += rig.retries > retries0 ? 1 : 0;
    rig.stop();
    await sleep(10);
  }
  return { trials, stateBytes, mode: 'delta', downtimeMs: quantiles(downtime), resumeMs: quantiles(resume), trialsThatPulled: pulls, trialsWithRetry: retried, failures, resumedStateWrong: badResumes };
}

async function udpRttBaseline(rounds: number) {
  const a = await openDatagramLink({ host: '127.0.0.1', port: 0 });
  const b = await openDatagramLink({ host: '127.0.0.1', port: 0 });
  b.onMessage((d, from) => b.send(d, from));
  const payload = new Uint8Array(64).fill(0x55);
  let done: (() => void) | null = null;
  a.onMessage(() => done?.());
  const rtt: number[] = [];
  for (let i = 0; i < rounds + 100; i++) {
    const t0 = performance.now();
    const ok = await new Promise<boolean>((res) => {
      const timer = setTimeout(() => { done = null; res(false); }, 100);
      done = () => { clearTimeout(timer); done = null; res(true); };
      a.send(payload, b.localAddress);
    });
    if (ok && i >= 100) rtt.push(performance.now() - t0);
  }
  await a.close();
  await b.close();
  return quantiles(rtt);
}

async function ptyRttBaseline(rounds: number, baud: number) {
  const cable = await PtyCable.open();
  const a = await openSerialLink({ path: cable.pathA, baudRate: baud });
  const b = await openSerialLink({ path: cable.pathB, baudRate: baud });
  const frame = new Uint8Array(64).fill(0x55);
  let got = 0;
  b.onData((c) => b.write(c));
  let done: (() => void) | null = null;
  a.onData((c) => { got += c.length; if (got >= frame.length) { got -= frame.length; done?.(); } });
  const rtt: number[] = [];
  for (let i = 0; i < rounds + 50; i++) {
    const t0 = performance.now();
    const ok = await new Promise<boolean>((res) => {
      const timer = setTimeout(() => { done = null; res(false); }, 100);
      done = () => { clearTimeout(timer); done = null; res(true); };
      a.write(frame);
    });
    if (ok && i >= 50) rtt.push(performance.now() - t0);
  }
  await a.close();
  await b.close();
  await cable.close();
  return quantiles(rtt);
}

function withLineRate(row: Row, lineRateBytesPerS: number) {
  // One checkpoint on a line: its chunks to the backup, then the ack back (each backup has its own cable).
  const ms = ((row.bytesPerCheckpointToBackup + row.bytesPerCheckpointFromBackup) / lineRateBytesPerS) * 1000;
  return { ...row, atLineRate: { msPerCheckpoint: round3(ms), checkpointsPerSMax: Math.floor(1000 / ms), ratioToRemus: Math.round((1000 / ms / REMUS_CHECKPOINTS_PER_S) * 10) / 10 } };
}

export default async function checkpointBench(args: BenchArgs): Promise<Record<string, unknown>> {
  const seconds = (args.seconds as number | undefined) ?? 2;
  const trials = (args.trials as number | undefined) ?? 20;
  const udpChunk = (args['chunk-bytes'] as number | undefined) ?? 1000;
  const baud = (args.baud as number | undefined) ?? 921_600;
  const serial64k = args['serial-64k'] === true;
  const paced = args.paced === true;
  const sizes = (args.sizes as number[] | undefined) ?? STATE_SIZES;
  const lineRateBytesPerS = baud / 10;
  const serialChunk = Math.min(udpChunk, framePayloadBytesMax - ckHeaderBytes(OUTPUTS));
  const rand = prng(0xc0ffee);

  log('baselines: 64-byte round trips (UDP loopback, pty)');
  const udpRtt = await udpRttBaseline(2000);
  const ptyRtt = await ptyRttBaseline(1000, baud);

  const udp = await openUdpNet(udpChunk);
  const udpRows: (Row | RowError)[] = [];
  let failover: Awaited<ReturnType<typeof downtimeTrials>>;
  let migration: Awaited<ReturnType<typeof downtimeTrials>>;
  try {
    for (const size of sizes) {
      for (const mode of ['delta', 'full'] as const) {
        log(`udp: ${size} B, ${mode}, ${seconds} s`);
        try {
          udpRows.push(await throughputRow(udp, size, mode, seconds, 100));
        } catch (e) {
          udpRows.push({ stateBytes: size, mode, error: (e as Error).message });
        }
      }
    }
    log(`udp: failover, ${trials} trials`);
    failover = await downtimeTrials(udp, 'failover', trials, rand);
    log(`udp: migration, ${trials} trials`);
    migration = await downtimeTrials(udp, 'migration', trials, rand);
  } finally {
    await udp.close();
  }

  const serialRuns: { paced: boolean; rows: (ReturnType<typeof withLineRate> | RowError)[] }[] = [];
  for (const p of paced ? [false, true] : [false]) {
    const rows: (ReturnType<typeof withLineRate> | RowError)[] = [];
    for (const size of serial64k ? sizes : sizes.filter((x) => x < 65536)) {
      for (const mode of ['delta', 'full'] as const) {
        log(`serial${p ? ' (paced)' : ''}: ${size} B, ${mode}, ${seconds} s`);
        // Fresh cables per row: a row can leave a backlog on a slow (paced) line that would delay the next.
        const serial = await openSerialNet(baud, p ? lineRateBytesPerS : null, serialChunk);
        try {
          // Paced, a 64 KiB full checkpoint takes ~0.8 s at 921600 baud: give up on an epoch only well after that.
          const stallMs = p ? Math.max(200, ((2.5 * size) / lineRateBytesPerS) * 1000) : 200;
          rows.push(withLineRate(await throughputRow(serial, size, mode, seconds, stallMs), lineRateBytesPerS));
        } catch (e) {
          rows.push({ stateBytes: size, mode, error: (e as Error).message });
        } finally {
          await serial.close();
        }
      }
    }
    serialRuns.push({ paced: p, rows });
  }

  const row4k = udpRows.filter(isRow).find((r) => r.stateBytes === 4096 && r.mode === 'delta');
  const row4kFull = udpRows.filter(isRow).find((r) => r.stateBytes === 4096 && r.mode === 'full');
  const p99 = (r: Row) => ('p99Ms' in r.commitMs ? r.commitMs.p99Ms : Infinity);
  const meets = (r: Row) => r.checkpointsPerS >= TARGET_4KIB.checkpointsPerSMin && p99(r) <= TARGET_4KIB.commitP99MsMax;
  const udpP50 = 'p50Ms' in udpRtt ? udpRtt.p50Ms : NaN;
  const ptyP50 = 'p50Ms' in ptyRtt ? ptyRtt.p50Ms : NaN;

  return {
    config: { seconds, trials, outputsPerEpoch: OUTPUTS, retryMs: RETRY_MS, udpChunkBytesMax: udpChunk, serialChunkBytesMax: serialChunk, baud, lineRateBytesPerS },
    baseline: { udpRoundTrip64B: udpRtt, ptyRoundTrip64B: ptyRtt },
    remusCheckpointsPerS: REMUS_CHECKPOINTS_PER_S,
    ratio4KiBDeltaToRemus: row4k?.ratioToRemus ?? null,
    udp: udpRows.map((r) => (isRow(r) ? { ...r, commitP50OverUdpRoundTrip: 'p50Ms' in r.commitMs ? round3(r.commitMs.p50Ms / udpP50) : null } : r)),
    serial: serialRuns.map((s) => ({
      paced: s.paced,
      note: s.paced
        ? `cables paced to ${lineRateBytesPerS} bytes/s each way (PtyCable.setLineRate)`
        : `a pty moves bytes at memory speed whatever the baud: atLineRate is what the measured wire bytes would take at ${baud} baud (${lineRateBytesPerS} bytes/s, 8N1)`,
      rows: s.rows.map((r) => ('error' in r ? r : { ...r, commitP50OverPtyRoundTrip: 'p50Ms' in r.commitMs ? round3(r.commitMs.p50Ms / ptyP50) : null })),
    })),
    failover: { ...failover, downtimeP50OverUdpRoundTrip: 'p50Ms' in failover.downtimeMs ? round3(failover.downtimeMs.p50Ms / udpP50) : null, note: 'from the view switch to board 1\'s first release of an epoch it computed; excludes the membership\'s detection time (the rig\'s voter detects a dead board in ~2 cycles)' },
    migration: { ...migration, note: 'all three healthy, every view switched to primary 1: board 0 steps down and board 1 pulls its newest checkpoint; until board 1\'s first release' },
    target4KiB: row4k && row4kFull
      ? {
        ...TARGET_4KIB,
        met: meets(row4k),
        measured: { transport: 'udp', mode: 'delta', checkpointsPerS: row4k.checkpointsPerS, commitP99Ms: p99(row4k) },
        metFullRewrite: meets(row4kFull),
        measuredFullRewrite: { checkpointsPerS: row4kFull.checkpointsPerS, commitP99Ms: p99(row4kFull) },
      }
      : { ...TARGET_4KIB, met: null, note: 'no 4096-byte row (--sizes)' },
  };
}
