/**
 * Redundant links to peers, in the spirit of PRP (IEC 62439-3 §4): every frame goes out on every
 * open link to its peer(s) with the same (source, epoch, seq); the receiver delivers the first
 * copy and drops the others. Losing one link loses nothing as long as another is up.
 *
 * Ring 2: uses the SerialLink / DatagramLink ports, holds no timer. The owner calls
 * `step(nowMs)` every tick (pings, up/down, rates). Frames are verified when their bytes arrive
 * (from the port callbacks); their arrival time is `clock.nowMs()` if a clock was given
 * (needed for RTT finer than a tick), else the `nowMs` of the last step.
 *
 * Limits: the inbox holds at most `inboxFramesMax` frames (more are dropped and counted); one
 * ping is outstanding per link; the serial deframer holds at most one frame; the port bounds its
 * own transmit queue (SerialLink.txQueueBytesMax).
 */
import type { Clock } from '../ports/clock.ts';
import type { DatagramLink, SerialLink } from '../ports/serial.ts';
import { cobsFrameInto, cobsWireBytesMax } from './cobs.ts';
import { Deframer, FrameReceiver, newRxCounters, rejectExplanations, type RxCounters } from './decoder.ts';
import { type Frame, type FrameCodec, frameBytesMax, readU32, writeU32 } from './frame.ts';
import { MsgType } from './msgtypes.ts';
import { ReplayWindow } from './replay.ts';

/** One path to one peer. `send` takes a whole frame; received candidate frames come out unverified. */
export interface Transport {
  /** e.g. "serial:b2", "udp". Unique among one peer's transports. */
  readonly name: string;
  readonly peerId: number;
  /** False once the underlying port is gone (a closed serial port). */
  readonly isOpen: boolean;
  /** Receive counters; the LinkSet's verifier for this transport adds to the same object. */
  readonly counters: RxCounters;
  send(frame: Uint8Array): boolean;
  onFrameBytes(listener: (frame: Uint8Array) => void): void;
}

/** A COBS byte stream over a SerialLink port (point to point: one peer). */
export class SerialTransport implements Transport {
  readonly name: string;
  readonly peerId: number;
  readonly counters = newRxCounters();
  #link: SerialLink;
  readonly #deframer: Deframer;
  readonly #listeners: Array<(frame: Uint8Array) => void> = [];
  /** Why the port went away, if it did. */
  closeReason: string | null = null;

  constructor(options: { peerId: number; link: SerialLink; name?: string }) {
    this.peerId = options.peerId;
    this.name = options.name ?? `serial:b${options.peerId}`;
    this.#deframer = new Deframer((bytes) => {
      for (const l of this.#listeners) l(bytes);
    }, this.counters);
    this.#link = options.link;
    this.attach(options.link);
  }

  get isOpen(): boolean {
    return this.#link.isOpen;
  }

  get link(): SerialLink {
    return this.#link;
  }

  /** Use a (re)opened port from now on; bytes from the previous one are ignored. */
  attach(link: SerialLink): void {
    this.#link = link;
    this.closeReason = null;
    this.#deframer.reset();
    link.onData((chunk) => {
      if (this.#link === link) this.#deframer.push(chunk);
    });
    link.onClose((reason) => {
      if (this.#link !== link) return;
      this.closeReason = reason ? reason.message : 'closed';
      this.#deframer.reset();
    });
  }

  send(frame: Uint8Array): boolean {
    // A fresh buffer per write: the port may queue it without copying.
    const wire = new Uint8Array(cobsWireBytesMax(frame.length));
    const n = cobsFrameInto(frame, wire, 0);
    return this.#link.write(wire.subarray(0, n));
  }

  onFrameBytes(listener: (frame: Uint8Array) => void): void {
    this.#listeners.push(listener);
  }
}

/**
 * One frame per datagram over a DatagramLink port, to one peer address. Several UdpTransports
 * (one per peer) may share a DatagramLink: each keeps the datagrams whose sender address is its
 * peer's (peers send from the address they listen on: one bound socket per board).
 */
export class UdpTransport implements Transport {
  readonly name: string;
  readonly peerId: number;
  readonly peerAddress: string;
  readonly counters = newRxCounters();
  readonly #link: DatagramLink;
  readonly #listeners: Array<(frame: Uint8Array) => void> = [];

  constructor(options: { peerId: number; link: DatagramLink; peerAddress: string; name?: string }) {
    if (options.link.datagramBytesMax < frameBytesMax) {
      throw new RangeError(
        `UdpTransport: link.datagramBytesMax is ${options.link.datagramBytesMax}, frames need up to frameBytesMax = ${frameBytesMax}; use an MTU of at least ${frameBytesMax + 28}`,
      );
    }
    this.peerId = options.peerId;
    this.peerAddress = options.peerAddress;
    this.name = options.name ?? 'udp';
    this.#link = options.link;
    options.link.onMessage((data, from) => {
      if (from !== this.peerAddress) return;
      this.counters.bytesIn += data.length;
      if (data.length > frameBytesMax) {
        this.counters.oversize++;
        return;
      }
      for (const l of this.#listeners) l(data);
    });
  }

  get isOpen(): boolean {
    return true;
  }

  send(frame: Uint8Array): boolean {
    return this.#link.send(frame, this.peerAddress);
  }

  onFrameBytes(listener: (frame: Uint8Array) => void): void {
    this.#listeners.push(listener);
  }
}

export interface PeerConfig {
  id: number;
  transports: Transport[];
}

export interface LinkSetOptions {
  /** This board's id (the frames' source), 1..sourceIdMax. */
  selfId: number;
  /** This board's boot count (persisted and incremented on every start by the shell). */
  epoch: number;
  codec: FrameCodec;
  peers: PeerConfig[];
  /** A link with no good frame for this long is down. Default 250 ms (2.5 ping intervals). */
  downAfterMs?: number;
  /** A down link comes back up after this many good frames without a gap over downAfterMs. Default 3. */
  upAfterFrames?: number;
  /** Each link is pinged this often (also keeps idle links proven). Default 100 ms. */
  pingIntervalMs?: number;
  /** Window over which framesPerSec and crcErrorRate are computed. Default 1000 ms. */
  rateWindowMs?: number;
  /** Received frames waiting for drain(). Default 1024. */
  inboxFramesMax?: number;
  /** Duplicate / replay window width, in sequences. Default 128. */
  windowSize?: number;
  /** Largest board id. Default 16. */
  sourceIdMax?: number;
  /** Optional: time of arrival for received frames (finer RTT than the step period). */
  clock?: Clock;
}

export interface ReceivedFrame {
  type: number;
  source: number;
  epoch: number;
  seq: number;
  /** A copy: the consumer may keep it. */
  payload: Uint8Array;
  /** Name of the transport whose copy arrived first. */
  via: string;
  atMs: number;
}

export interface TransportCounters extends RxCounters {
  txFrames: number;
  txFailed: number;
  /** Good frames whose source was not this transport's peer (mis-cabled, misconfigured address). */
  misrouted: number;
  pingsSent: number;
  pongsReceived: number;
  /** Pings replaced by the next one before their pong came back. */
  pingsLost: number;
  upTransitions: number;
  downTransitions: number;
}

export interface TransportSnapshot {
  name: string;
  up: boolean;
  isOpen: boolean;
  lastHeardMs: number | null;
  framesPerSec: number;
  /** crcErrors / (crcErrors + framesOk) over the last rate window. */
  crcErrorRate: number;
  /** Smoothed round-trip time (EWMA, gain 1/8 as TCP's SRTT, RFC 6298), null before the first pong. */
  rttMs: number | null;
  rttLastMs: number | null;
  /** Why the last bad frame on this link was dropped, in words (null if none yet). */
  lastReject: string | null;
  counters: TransportCounters;
}

export interface LinkSetCounters {
  framesSent: number;
  /** Frames sent to a peer while none of its links was up (sent anyway, on every open link). */
  sentWhileDown: number;
  /** Frames that reached no transport at all (every send to that peer failed). */
  sendFailed: number;
  delivered: number;
  /** Second and later copies of a frame (normal with redundant links). */
  duplicates: number;
  /** Copies so late that the window had moved on: already delivered or given up on. */
  lateCopies: number;
  inboxDropped: number;
  /** Our sequence space is used up for this epoch: restart the board (epoch + 1). */
  seqExhausted: number;
}

export interface LinkSetSnapshot {
  selfId: number;
  epoch: number;
  /** 'none-lab' means frames are NOT authenticated: show it. */
  auth: 'hmac' | 'none-lab';
  nextSeq: number;
  inboxFrames: number;
  counters: LinkSetCounters;
  peers: Array<{ id: number; up: boolean; transports: TransportSnapshot[] }>;
}

interface LinkState {
  readonly transport: Transport;
  readonly peerId: number;
  readonly receiver: FrameReceiver;
  readonly counters: TransportCounters;
  up: boolean;
  goodSinceDown: number;
  lastHeardMs: number | null;
  windowStartMs: number;
  windowFrames: number;
  windowCrc: number;
  framesPerSec: number;
  crcErrorRate: number;
  lastPingMs: number | null;
  pingOutstandingId: number | null;
  pingSentMs: number;
  rttMs: number | null;
  rttLastMs: number | null;
}

const pingPayloadBytes = 4;

function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`LinkSet: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

export class LinkSet {
  readonly selfId: number;
  readonly epoch: number;
  readonly codec: FrameCodec;
  readonly downAfterMs: number;
  readonly upAfterFrames: number;
  readonly pingIntervalMs: number;
  readonly rateWindowMs: number;
  readonly inboxFramesMax: number;
  readonly counters: LinkSetCounters = {
    framesSent: 0,
    sentWhileDown: 0,
    sendFailed: 0,
    delivered: 0,
    duplicates: 0,
    lateCopies: 0,
    inboxDropped: 0,
    seqExhausted: 0,
  };
  readonly #peers = new Map<number, LinkState[]>();
  readonly #dedupe: ReplayWindow;
  readonly #clock: Clock | null;
  #nextSeq = 0;
  #nowMs = 0;
  #stepped = false;
  #pingId = 0;
  #inbox: ReceivedFrame[] = [];
  readonly #frameListeners: Array<(f: ReceivedFrame) => void> = [];
  readonly #linkListeners: Array<(peerId: number, transport: string, up: boolean, atMs: number) => void> = [];

  constructor(o: LinkSetOptions) {
    const sourceIdMax = o.sourceIdMax ?? 16;
    this.#dedupe = new ReplayWindow({ windowSize: o.windowSize ?? 128, sourceIdMax });
    if (!Number.isInteger(o.selfId) || o.selfId < 1 || o.selfId > sourceIdMax) {
      throw new RangeError(`LinkSet: selfId must be a board id in 1..${sourceIdMax}, got ${o.selfId}`);
    }
    if (!Number.isInteger(o.epoch) || o.epoch < 0 || o.epoch > 0xffffffff) {
      throw new RangeError(`LinkSet: epoch must be a u32 boot count, got ${o.epoch}`);
    }
    this.selfId = o.selfId;
    this.epoch = o.epoch;
    this.codec = o.codec;
    this.downAfterMs = positiveInt('downAfterMs', o.downAfterMs ?? 250);
    this.upAfterFrames = positiveInt('upAfterFrames', o.upAfterFrames ?? 3);
    this.pingIntervalMs = positiveInt('pingIntervalMs', o.pingIntervalMs ?? 100);
    this.rateWindowMs = positiveInt('rateWindowMs', o.rateWindowMs ?? 1000);
    this.inboxFramesMax = positiveInt('inboxFramesMax', o.inboxFramesMax ?? 1024);
    if (this.pingIntervalMs >= this.downAfterMs) {
      throw new RangeError(
        `LinkSet: pingIntervalMs (${this.pingIntervalMs}) must be less than downAfterMs (${this.downAfterMs}), or an idle link would flap; use downAfterMs >= 2 x pingIntervalMs`,
      );
    }
    this.#clock = o.clock ?? null;
    for (const p of o.peers) {
      if (!Number.isInteger(p.id) || p.id < 1 || p.id > sourceIdMax || p.id === o.selfId) {
        throw new RangeError(`LinkSet: peers[].id must be a board id in 1..${sourceIdMax} other than selfId ${o.selfId}, got ${p.id}`);
      }
      if (this.#peers.has(p.id)) throw new RangeError(`LinkSet: peer ${p.id} is listed twice`);
      if (p.transports.length === 0) throw new RangeError(`LinkSet: peer ${p.id} has no transports; give it at least one`);
      const names = new Set<string>();
      const links: LinkState[] = [];
      for (const t of p.transports) {
        if (t.peerId !== p.id) throw new RangeError(`LinkSet: transport ${t.name} has peerId ${t.peerId} but is listed under peer ${p.id}`);
        if (names.has(t.name)) throw new RangeError(`LinkSet: peer ${p.id} has two transports named ${t.name}; names must be unique`);
        names.add(t.name);
        const link: LinkState = {
          transport: t,
          peerId: p.id,
          receiver: new FrameReceiver({ codec: o.codec, counters: t.counters, windowSize: o.windowSize ?? 128, sourceIdMax }),
          counters: Object.assign(t.counters, {
            txFrames: 0,
            txFailed: 0,
            misrouted: 0,
            pingsSent: 0,
            pongsReceived: 0,
            pingsLost: 0,
            upTransitions: 0,
            downTransitions: 0,
          }),
          up: false,
          goodSinceDown: 0,
          lastHeardMs: null,
          windowStartMs: 0,
          windowFrames: 0,
          windowCrc: 0,
          framesPerSec: 0,
          crcErrorRate: 0,
          lastPingMs: null,
          pingOutstandingId: null,
          pingSentMs: 0,
          rttMs: null,
          rttLastMs: null,
        };
        t.onFrameBytes((bytes) => this.#onFrameBytes(link, bytes));
        links.push(link);
      }
      this.#peers.set(p.id, links);
    }
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }

  /**
   * Sends one frame to peer `to`, or to every peer if `to` is undefined. Returns the frame's seq,
   * or null if it could not be sent (sequence space exhausted: counted). Ping and Pong belong to
   * the LinkSet; sending them, an unknown peer, or a bad payload is a programmer error (throws).
   */
  send(type: number, payload: Uint8Array, to?: number): number | null {
    if (type === MsgType.Ping || type === MsgType.Pong) {
      throw new RangeError('LinkSet.send: Ping and Pong are sent by the LinkSet itself');
    }
    let targets: LinkState[][];
    if (to === undefined) targets = [...this.#peers.values()];
    else {
      const links = this.#peers.get(to);
      if (!links) throw new RangeError(`LinkSet.send: unknown peer ${to}`);
      targets = [links];
    }
    const seq = this.#takeSeq();
    if (seq === null) return null;
    const frame = this.codec.encode({ type, source: this.selfId, epoch: this.epoch, seq }, payload);
    this.counters.framesSent++;
    for (const links of targets) {
      // PRP sends on both LANs always: a link judged down still gets the frame if its port is
      // open, so a false "down" verdict never costs redundancy and recovery needs no probing.
      let up = 0;
      let ok = 0;
      for (const l of links) {
        if (l.up) up++;
        if (l.transport.isOpen && this.#sendOn(l, frame)) ok++;
      }
      if (up === 0) this.counters.sentWhileDown++;
      if (ok === 0) this.counters.sendFailed++;
    }
    return seq;
  }

  /** Periodic work: link up/down, pings, rates. `nowMs` must not go backwards. */
  step(nowMs: number): void {
    if (!(nowMs >= this.#nowMs) && this.#stepped) {
      throw new RangeError(`LinkSet.step: nowMs went backwards (${nowMs} < ${this.#nowMs})`);
    }
    if (!this.#stepped) {
      for (const links of this.#peers.values()) for (const l of links) l.windowStartMs = nowMs;
    }
    this.#stepped = true;
    this.#nowMs = nowMs;
    for (const links of this.#peers.values()) {
      for (const l of links) {
        const open = l.transport.isOpen;
        if (l.up && (!open || l.lastHeardMs === null || nowMs - l.lastHeardMs > this.downAfterMs)) {
          this.#setUp(l, false, nowMs);
        }
        if (open && (l.lastPingMs === null || nowMs - l.lastPingMs >= this.pingIntervalMs)) this.#ping(l, nowMs);
        const elapsedMs = nowMs - l.windowStartMs;
        if (elapsedMs >= this.rateWindowMs) {
          const frames = l.counters.framesOk - l.windowFrames;
          const crc = l.counters.crcErrors - l.windowCrc;
          l.framesPerSec = (frames * 1000) / elapsedMs;
          l.crcErrorRate = frames + crc > 0 ? crc / (frames + crc) : 0;
          l.windowStartMs = nowMs;
          l.windowFrames = l.counters.framesOk;
          l.windowCrc = l.counters.crcErrors;
        }
      }
    }
  }

  /** Takes up to `maxFrames` received frames, oldest first. */
  drain(maxFrames = this.inboxFramesMax): ReceivedFrame[] {
    if (maxFrames >= this.#inbox.length) {
      const all = this.#inbox;
      this.#inbox = [];
      return all;
    }
    return this.#inbox.splice(0, maxFrames);
  }

  /**
   * Frames are handed to these listeners as they arrive instead of being queued for drain()
   * (once one listener is registered, the inbox is not used).
   */
  onFrame(listener: (f: ReceivedFrame) => void): void {
    this.#frameListeners.push(listener);
  }

  /** Called on every link up/down transition. */
  onLinkChange(listener: (peerId: number, transport: string, up: boolean, atMs: number) => void): void {
    this.#linkListeners.push(listener);
  }

  /** True if at least one transport to `peerId` is up. */
  peerUp(peerId: number): boolean {
    return (this.#peers.get(peerId) ?? []).some((l) => l.up);
  }

  snapshot(): LinkSetSnapshot {
    return {
      selfId: this.selfId,
      epoch: this.epoch,
      auth: this.codec.authMode,
      nextSeq: this.#nextSeq,
      inboxFrames: this.#inbox.length,
      counters: { ...this.counters },
      peers: [...this.#peers.entries()].map(([id, links]) => ({
        id,
        up: links.some((l) => l.up),
        transports: links.map((l) => ({
          name: l.transport.name,
          up: l.up,
          isOpen: l.transport.isOpen,
          lastHeardMs: l.lastHeardMs,
          framesPerSec: l.framesPerSec,
          crcErrorRate: l.crcErrorRate,
          rttMs: l.rttMs,
          rttLastMs: l.rttLastMs,
          lastReject: l.receiver.lastReject === null ? null : `${l.receiver.lastReject}: ${rejectExplanations[l.receiver.lastReject] ?? ''}`,
          counters: { ...l.counters },
        })),
      })),
    };
  }

  #takeSeq(): number | null {
    if (this.#nextSeq > 0xffffffff) {
      this.counters.seqExhausted++;
      return null;
    }
    return this.#nextSeq++;
  }

  #sendOn(l: LinkState, frame: Uint8Array): boolean {
    if (l.transport.send(frame)) {
      l.counters.txFrames++;
      return true;
    }
    l.counters.txFailed++;
    return false;
  }

  #ping(l: LinkState, nowMs: number): void {
    const seq = this.#takeSeq();
    if (seq === null) return;
    if (l.pingOutstandingId !== null) l.counters.pingsLost++;
    const id = (this.#pingId = (this.#pingId + 1) >>> 0);
    const payload = new Uint8Array(pingPayloadBytes);
    writeU32(payload, 0, id);
    l.lastPingMs = nowMs;
    l.pingOutstandingId = id;
    l.pingSentMs = nowMs;
    l.counters.pingsSent++;
    this.#sendOn(l, this.codec.encode({ type: MsgType.Ping, source: this.selfId, epoch: this.epoch, seq }, payload));
  }

  #setUp(l: LinkState, up: boolean, atMs: number): void {
    if (l.up === up) return;
    l.up = up;
    l.goodSinceDown = 0;
    if (up) l.counters.upTransitions++;
    else l.counters.downTransitions++;
    for (const fn of this.#linkListeners) fn(l.peerId, l.transport.name, up, atMs);
  }

  #onFrameBytes(l: LinkState, bytes: Uint8Array): void {
    // A copy of a frame already delivered from another link (PRP: every frame comes once per
    // link) is dropped before its tag is checked: half the HMACs on a rig with two links. Only a
    // frame whose sequence was delivered after passing every check is dropped so; a forged one
    // claiming it is dropped too, and could only have been dropped anyway. Such copies do not
    // count for the link's liveness (they are unauthenticated): pings and first copies do.
    const h = l.receiver.codec.peekHeader(bytes);
    if (h && h.type !== MsgType.Ping && h.type !== MsgType.Pong && h.source === l.peerId && this.#dedupe.check(h.source, h.epoch, h.seq) === 'replay') {
      this.counters.duplicates++;
      return;
    }
    const f = l.receiver.accept(bytes);
    if (!f) return;
    if (f.source !== l.peerId) {
      l.counters.misrouted++;
      return;
    }
    const nowMs = this.#clock ? this.#clock.nowMs() : this.#nowMs;
    // Liveness: every good frame counts, duplicates included (they prove this link works).
    if (!l.up) {
      if (l.lastHeardMs !== null && nowMs - l.lastHeardMs > this.downAfterMs) l.goodSinceDown = 0;
      l.goodSinceDown++;
      l.lastHeardMs = nowMs;
      if (l.goodSinceDown >= this.upAfterFrames) this.#setUp(l, true, nowMs);
    } else {
      l.lastHeardMs = nowMs;
    }
    if (f.type === MsgType.Ping) {
      this.#pong(l, f);
      return;
    }
    if (f.type === MsgType.Pong) {
      if (f.payload.length === pingPayloadBytes && readU32(f.payload, 0) === l.pingOutstandingId) {
        l.pingOutstandingId = null;
        const rtt = nowMs - l.pingSentMs;
        l.rttLastMs = rtt;
        l.rttMs = l.rttMs === null ? rtt : l.rttMs + (rtt - l.rttMs) / 8;
        l.counters.pongsReceived++;
      }
      return;
    }
    const v = this.#dedupe.check(f.source, f.epoch, f.seq);
    if (v === 'replay') {
      this.counters.duplicates++;
      return;
    }
    if (v !== 'fresh') {
      this.counters.lateCopies++;
      return;
    }
    this.#dedupe.commit(f.source, f.epoch, f.seq);
    this.#deliver(l, f, nowMs);
  }

  #pong(l: LinkState, ping: Frame): void {
    if (ping.payload.length !== pingPayloadBytes) return;
    const seq = this.#takeSeq();
    if (seq === null) return;
    this.#sendOn(l, this.codec.encode({ type: MsgType.Pong, source: this.selfId, epoch: this.epoch, seq }, ping.payload));
  }

  #deliver(l: LinkState, f: Frame, nowMs: number): void {
    const r: ReceivedFrame = {
      type: f.type,
      source: f.source,
      epoch: f.epoch,
      seq: f.seq,
      payload: f.payload.slice(),
      via: l.transport.name,
      atMs: nowMs,
    };
    this.counters.delivered++;
    if (this.#frameListeners.length > 0) {
      for (const fn of this.#frameListeners) fn(r);
      return;
    }
    if (this.#inbox.length >= this.inboxFramesMax) {
      this.counters.inboxDropped++;
      return;
    }
    this.#inbox.push(r);
  }
}
