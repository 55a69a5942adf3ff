import test from 'ava';
import fc from 'fast-check';
import { hmacSha256 } from '../../src/bus/auth-node.ts';
import { crc32c } from '../../src/bus/crc32c.ts';
import { FrameCodec, readU32 } from '../../src/bus/frame.ts';
import { LinkSet, SerialTransport, UdpTransport, type LinkSetOptions } from '../../src/bus/linkset.ts';
import { MsgType } from '../../src/bus/msgtypes.ts';
import { MemoryNetwork, MemorySerialPair } from '../../src/bus/testing.ts';
import { VirtualClock } from '../../src/ports/clock.ts';
import { checkProperty } from './_property.ts';
import { keyedCodec, labCodec, testKey } from './_frames.ts';

const addrA = '10.0.0.1:7400';
const addrB = '10.0.0.2:7400';

/** Boards 1 (A) and 2 (B), joined by a serial cable and a LAN, stepped under one virtual clock. */
function twoBoards(options: Partial<LinkSetOptions> & { chunkBytesMax?: number; codecB?: LinkSetOptions['codec'] } = {}) {
  const clock = new VirtualClock(1000);
  const cable = new MemorySerialPair('/dev/ttyS1', '/dev/ttyS2', { chunkBytesMax: options.chunkBytesMax ?? 13 });
  const lan = new MemoryNetwork();
  const udpA = lan.link(addrA);
  const udpB = lan.link(addrB);
  const codec = options.codec ?? keyedCodec();
  const serialAB = new SerialTransport({ peerId: 2, link: cable.a });
  const serialBA = new SerialTransport({ peerId: 1, link: cable.b });
  const common = { ...options, clock, codec };
  const a = new LinkSet({
    ...common,
    selfId: 1,
    epoch: 7,
    peers: [{ id: 2, transports: [serialAB, new UdpTransport({ peerId: 2, link: udpA, peerAddress: addrB })] }],
  });
  const b = new LinkSet({
    ...common,
    codec: options.codecB ?? codec,
    selfId: 2,
    epoch: 3,
    peers: [{ id: 1, transports: [serialBA, new UdpTransport({ peerId: 1, link: udpB, peerAddress: addrA })] }],
  });
  /** One 10 ms tick: both boards step, then the wires carry what was sent, 2 ms later the replies. */
  const tick = (ms = 10) => {
    clock.advance(ms - 2);
    a.step(clock.nowMs());
    b.step(clock.nowMs());
    cable.pump();
    lan.pump();
    clock.advance(2);
    cable.pump();
    lan.pump();
  };
  const transport = (ls: LinkSet, name: string) => ls.snapshot().peers[0]!.transports.find((x) => x.name === name)!;
  return { clock, cable, lan, a, b, tick, transport, serialAB, serialBA };
}

const payloadOf = (n: number) => Uint8Array.of(n & 0xff, (n >> 8) & 0xff, 0, 0xff);
const numberOf = (p: Uint8Array) => p[0]! | (p[1]! << 8);

test('two boards bring both links up, measure the round trip and deliver each frame once', (t) => {
  const { a, b, tick, transport } = twoBoards();
  // Idle links carry only pings (every 100 ms): three good frames bring a link up.
  for (let i = 0; i < 30; i++) tick();
  for (const name of ['serial:b2', 'udp']) {
    const s = transport(a, name);
    t.true(s.up, `${name} is up`);
    t.is(s.rttLastMs, 2, `${name} RTT is the 2 ms the pong took`);
  }
  for (let i = 0; i < 20; i++) {
    a.send(MsgType.Input, payloadOf(i));
    tick();
  }
  const got = b.drain();
  t.deepEqual(
    got.map((f) => numberOf(f.payload)),
    Array.from({ length: 20 }, (_, i) => i),
  );
  t.true(got.every((f) => f.source === 1 && f.epoch === 7 && f.type === MsgType.Input));
  t.is(b.counters.duplicates, 20, 'each second copy was recognised and dropped');
  t.is(b.snapshot().auth, 'hmac');
});

test('when the serial cable is unplugged mid-stream, UDP carries on with no loss and no duplicate', (t) => {
  const { a, b, cable, tick, transport, serialAB } = twoBoards();
  for (let i = 0; i < 30; i++) tick();
  const received: number[] = [];
  for (let i = 0; i < 300; i++) {
    a.send(MsgType.Input, payloadOf(i));
    if (i === 150) {
      // Pulled while frames are queued on the serial line: they are lost there.
      a.send(MsgType.Input, payloadOf(1000));
      cable.a.goAway(new Error('USB serial adapter unplugged'));
    }
    tick();
    received.push(...b.drain().map((f) => numberOf(f.payload)));
  }
  const expected = Array.from({ length: 300 }, (_, i) => i);
  expected.splice(151, 0, 1000);
  t.deepEqual(received, expected);
  t.false(transport(a, 'serial:b2').up);
  t.false(transport(b, 'serial:b1').up);
  t.true(transport(b, 'udp').up);
  t.is(serialAB.closeReason, 'USB serial adapter unplugged');
  t.true(b.peerUp(1));
});

test('a serial line that goes silent mid-frame is declared down, then up again after enough good frames, without loss or duplicate', (t) => {
  const { clock, a, b, cable, tick, transport } = twoBoards({ downAfterMs: 50, pingIntervalMs: 20, upAfterFrames: 3 });
  for (let i = 0; i < 30; i++) tick();
  const received: number[] = [];
  let silent = false;
  let cutOnce = false;
  cable.a.mutate = (chunk) => {
    if (!silent) return chunk;
    if (!cutOnce) {
      cutOnce = true;
      return chunk.subarray(0, chunk.length >> 1); // half a chunk, then nothing
    }
    return null;
  };
  let silentFromMs = 0;
  let resumedAtMs = 0;
  const downAt: number[] = [];
  const upAt: number[] = [];
  b.onLinkChange((_peer, name, up, atMs) => name === 'serial:b1' && (up ? upAt : downAt).push(atMs));
  for (let i = 0; i < 200; i++) {
    if (i === 50) {
      silent = true;
      silentFromMs = clock.nowMs();
    }
    if (i === 120) {
      silent = false;
      resumedAtMs = clock.nowMs();
    }
    a.send(MsgType.OutputVote, payloadOf(i));
    tick();
    received.push(...b.drain().map((f) => numberOf(f.payload)));
  }
  t.deepEqual(
    received,
    Array.from({ length: 200 }, (_, i) => i),
  );
  t.is(downAt.length, 1);
  t.is(upAt.length, 1);
  // Down once more than downAfterMs passed without a frame (checked at 10 ms steps).
  const downAfterSilenceMs = downAt[0]! - silentFromMs;
  t.true(downAfterSilenceMs > 50 && downAfterSilenceMs <= 50 + 20, `down ${downAfterSilenceMs} ms after the line went silent`);
  // Up again after 3 good frames: a data frame every 10 ms and a ping every 20 ms.
  const upAfterResumeMs = upAt[0]! - resumedAtMs;
  t.true(upAfterResumeMs > 0 && upAfterResumeMs <= 30, `up ${upAfterResumeMs} ms after the line came back`);
  t.true(transport(b, 'serial:b1').up);
  t.true(transport(b, 'serial:b1').counters.truncated + transport(b, 'serial:b1').counters.crcErrors >= 1, 'the half frame was counted');
});

test('when the LAN drops everything, the serial link alone delivers every frame', (t) => {
  const { a, b, lan, tick, transport } = twoBoards();
  for (let i = 0; i < 30; i++) tick();
  lan.drop = () => true;
  const received: number[] = [];
  for (let i = 0; i < 100; i++) {
    b.send(MsgType.Health, payloadOf(i));
    tick();
    received.push(...a.drain().map((f) => numberOf(f.payload)));
  }
  t.deepEqual(
    received,
    Array.from({ length: 100 }, (_, i) => i),
  );
  t.false(transport(a, 'udp').up);
  t.true(transport(a, 'serial:b2').up);
});

test('with independent random losses on both links, nothing is delivered twice and nothing lost on only one link goes missing', (t) => {
  checkProperty(
    t,
    fc.property(fc.array(fc.constantFrom('none', 'serial', 'udp', 'both'), { minLength: 20, maxLength: 60 }), (plan) => {
      const { a, b, cable, lan, tick } = twoBoards({ chunkBytesMax: 4096 });
      for (let i = 0; i < 30; i++) tick();
      const frameSeq = (bytes: Uint8Array) => (bytes[1] === MsgType.Input ? readU32(bytes, 8) : -1);
      const loss = new Map<number, string>();
      // Serial: one chunk is one write here (chunkBytesMax is large), lost while currentLoss says so.
      // UDP: datagrams carry raw frames, so the loss is looked up by the frame's seq.
      let currentLoss = 'none';
      cable.a.mutate = (chunk) => (currentLoss === 'serial' || currentLoss === 'both' ? null : chunk);
      lan.drop = (_from, _to, data) => {
        const seq = frameSeq(data);
        const l = loss.get(seq);
        return l === 'udp' || l === 'both';
      };
      const sentSeqs: number[] = [];
      for (let i = 0; i < plan.length; i++) {
        currentLoss = plan[i]!;
        const seq = a.send(MsgType.Input, payloadOf(i))!;
        loss.set(seq, currentLoss);
        sentSeqs.push(seq);
        // Deliver this frame's copies before the next loss decision applies.
        cable.pump();
        currentLoss = 'none';
        tick();
      }
      const got = b.drain().map((f) => numberOf(f.payload));
      if (new Set(got).size !== got.length) return false;
      const expected = plan.flatMap((l, i) => (l === 'both' ? [] : [i]));
      return JSON.stringify([...got].sort((x, y) => x - y)) === JSON.stringify(expected);
    }),
    60,
  );
});

test('frames go on every open link even while no link is up yet, and the inbox never holds more than its limit', (t) => {
  const { a, b, cable, lan, transport } = twoBoards({ inboxFramesMax: 4 });
  for (let i = 0; i < 10; i++) a.send(MsgType.Input, payloadOf(i));
  cable.pump();
  lan.pump();
  t.is(a.counters.sentWhileDown, 10);
  t.is(transport(a, 'serial:b2').counters.txFrames, 10);
  t.is(transport(a, 'udp').counters.txFrames, 10);
  t.is(b.drain().length, 4);
  t.is(b.counters.inboxDropped, 6);
  t.is(b.counters.duplicates, 10);
});

test('frame and CRC-error rates are reported per link over the rate window', (t) => {
  const { a, b, cable, tick, transport } = twoBoards({ rateWindowMs: 1000, chunkBytesMax: 4096 });
  let n = 0;
  cable.a.mutate = (chunk) => {
    // Corrupt every 4th serial write from A in flight (one chunk = one write here).
    if (++n % 4 !== 0) return chunk;
    const c = chunk.slice();
    c[c.length >> 1] = c[c.length >> 1]! ^ 0x10;
    return c;
  };
  for (let i = 0; i < 250; i++) {
    a.send(MsgType.Heartbeat, payloadOf(i));
    tick();
  }
  const s = transport(b, 'serial:b1');
  t.true(s.framesPerSec > 80 && s.framesPerSec < 200, `serial frames/s ${s.framesPerSec}`);
  t.true(s.crcErrorRate > 0.15 && s.crcErrorRate < 0.35, `serial CRC error rate ${s.crcErrorRate}`);
  t.is(transport(b, 'udp').crcErrorRate, 0);
  t.is(b.drain().length, 250, 'UDP covered every corrupted serial copy');
});

test('a keyed board refuses a lab board: the link never comes up and the refusals are counted', (t) => {
  const { a, b, tick, transport } = twoBoards({ codec: keyedCodec(), codecB: labCodec() });
  for (let i = 0; i < 20; i++) tick();
  b.send(MsgType.Heartbeat, payloadOf(1));
  tick();
  t.is(b.snapshot().auth, 'none-lab');
  t.false(transport(a, 'udp').up);
  t.true(transport(a, 'udp').counters.unauthenticated > 0);
  t.true(transport(b, 'udp').counters.unexpectedTag > 0);
  t.regex(transport(a, 'udp').lastReject ?? '', /^unauthenticated: .*requires HMAC/);
  t.regex(transport(b, 'udp').lastReject ?? '', /^unexpectedTag: .*none-lab.*give it the key/);
  t.is(a.drain().length, 0);
});

test('bad link-set configuration names the field and the fix', (t) => {
  const lan = new MemoryNetwork();
  const codec = labCodec();
  const udp = new UdpTransport({ peerId: 2, link: lan.link('x:1'), peerAddress: 'y:1' });
  t.throws(() => new LinkSet({ selfId: 0, epoch: 1, codec, peers: [] }), { message: /selfId/ });
  t.throws(() => new LinkSet({ selfId: 1, epoch: 1, codec, peers: [{ id: 3, transports: [udp] }] }), { message: /peerId 2.*peer 3/ });
  t.throws(() => new LinkSet({ selfId: 1, epoch: 1, codec, peers: [{ id: 2, transports: [] }] }), { message: /no transports/ });
  t.throws(() => new UdpTransport({ peerId: 2, link: lan.link('z:1', 576), peerAddress: 'y:1' }), { message: /datagramBytesMax.*MTU/ });
  const ls = new LinkSet({ selfId: 1, epoch: 1, codec, peers: [{ id: 2, transports: [udp] }] });
  t.throws(() => ls.send(MsgType.Ping, new Uint8Array(4)), { message: /Ping/ });
  t.throws(() => ls.send(MsgType.Input, new Uint8Array(1), 9), { message: /unknown peer 9/ });
  ls.step(10);
  t.throws(() => ls.step(5), { message: /backwards/ });
});

test('frames from a board other than the one a link is configured for are counted as misrouted and not delivered', (t) => {
  // Board 1 believes board 2 sits at addrB, but board 3 answers from there (a swapped cable or address).
  const lan = new MemoryNetwork();
  const codec = keyedCodec();
  const one = new LinkSet({
    selfId: 1,
    epoch: 1,
    codec,
    peers: [{ id: 2, transports: [new UdpTransport({ peerId: 2, link: lan.link(addrA), peerAddress: addrB })] }],
  });
  const three = new LinkSet({
    selfId: 3,
    epoch: 1,
    codec,
    peers: [{ id: 1, transports: [new UdpTransport({ peerId: 1, link: lan.link(addrB), peerAddress: addrA })] }],
  });
  for (let ms = 0; ms < 500; ms += 10) {
    one.step(ms);
    three.step(ms);
    three.send(MsgType.Heartbeat, payloadOf(ms));
    lan.pump();
  }
  const udp = one.snapshot().peers[0]!.transports[0]!;
  t.true(udp.counters.misrouted >= 50);
  t.false(udp.up);
  t.is(one.drain().length, 0);
});

test('the second copy of a frame, already delivered from the other link, is dropped without a tag check; a forged frame is still checked and rejected', (t) => {
  let macs = 0;
  const counting = new FrameCodec({ mode: 'hmac', key: testKey, mac: (k, d) => { macs++; return hmacSha256(k, d); } });
  const { a, b, tick, lan, transport } = twoBoards({ codec: counting });
  for (let i = 0; i < 30; i++) tick();
  macs = 0;
  const frames = 50;
  for (let n = 0; n < frames; n++) {
    a.send(MsgType.OutputVote, payloadOf(n), 2);
    tick();
  }
  const got = b.drain().filter((f) => f.type === MsgType.OutputVote).map((f) => numberOf(f.payload));
  t.deepEqual(got, Array.from({ length: frames }, (_, n) => n), 'each frame delivered once, in order');
  t.true(b.counters.duplicates >= frames, `the second copies were dropped as duplicates (${b.counters.duplicates})`);
  // Tags: one per frame sent, one per first copy received, plus the pings and pongs (4 links-ends,
  // one ping each 100 ms, each ping and pong tagged and checked): never one per second copy.
  const pingsAndPongs = 4 * 2 * 2 * Math.ceil((frames * 10) / 100 + 1);
  t.true(macs >= 2 * frames && macs <= 2 * frames + pingsAndPongs, `${macs} tag computations for ${frames} frames sent and received over two links`);
  // A frame with a forged tag (right CRC) is checked and rejected, and a later genuine one still arrives.
  const forged = counting.encode({ type: MsgType.OutputVote, source: 1, epoch: 7, seq: a.nextSeq + 5 }, payloadOf(999));
  forged[forged.length - 5] = forged[forged.length - 5]! ^ 1; // inside the tag
  const crc = crc32c(forged, 0, forged.length - 4);
  forged.set([crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff], forged.length - 4);
  lan.enqueue(addrA, addrB, forged);
  lan.pump();
  t.is(transport(b, 'udp').counters.forged, 1);
  t.false(b.drain().some((f) => numberOf(f.payload) === 999));
});
