import test from 'ava';
import fc from 'fast-check';
import { decodeMsg, encodeMsg, JOIN_IN_SERVICE, msgTypeOf, NO_CLAIM, valuesMax, type Msg, type VoteMsg } from '../../src/voter/codec.ts';
import { MsgType } from '../../src/bus/msgtypes.ts';
import { framePayloadBytesMax } from '../../src/bus/frame.ts';

const samples: Msg[] = [
  { t: 'input', from: 1, cycle: 4711, values: [0.5, 1, -0, Number.NaN], offsetsUs: [0, -120, -32768] },
  {
    t: 'vote', from: 2, cycle: 99, digest: { hi: 0xdeadbeef, lo: 0x80000001 }, role: 1, heardMask: 7, membersMask: 3, accuseMask: 4, admitMask: 0,
    propose: 255, failSafe: 0, inputs: [0.51, 0], outputs: [0.7001, 1],
  },
  { t: 'proposal', from: 0, cycle: 5, select: 1, candMask: 6 },
  { t: 'join', from: 2, cycle: 1 << 30, claimCycle: NO_CLAIM, claimDigest: 0, ready: 1, workloadId: 0 },
  { t: 'join', from: 1, cycle: 77, claimCycle: 75, claimDigest: 0xdeadbeef, ready: 0, workloadId: 0x1234abcd },
  { t: 'join', from: 0, cycle: 78, claimCycle: 75, claimDigest: 0xdeadbeef, ready: JOIN_IN_SERVICE, workloadId: 0xffffffff },
  { t: 'reform', from: 0, cycle: 500, startCycle: 503, membersMask: 0b011, claimCycle: 498, claimDigest: 0x12345678 },
  { t: 'chunk', from: 0, to: 2, snapCycle: 77, index: 1, count: 3, totalCrc: 1, chunkCrc: 2, bytes: new Uint8Array([1, 2, 3]) },
  { t: 'handover', from: 1, cycle: 12, to: 2 },
];

test('every voter message survives a round trip through its binary payload', (t) => {
  for (const m of samples) {
    const d = decodeMsg(encodeMsg(m));
    t.true(d.ok, m.t);
    if (d.ok) t.deepEqual(d.msg, m);
  }
});

test('payloads carry the frame type numbers of src/bus/msgtypes.ts', (t) => {
  t.is(encodeMsg(samples[0]!)[0], MsgType.Input);
  t.is(encodeMsg(samples[1]!)[0], MsgType.OutputVote);
  t.is(msgTypeOf(samples[2]!), MsgType.Heartbeat);
  t.is(msgTypeOf(samples.find((m) => m.t === 'chunk')!), MsgType.StateChunk);
  t.is(msgTypeOf(samples.find((m) => m.t === 'reform')!), MsgType.Membership);
});

test('truncated, extended or foreign payloads are rejected with a reason, never thrown', (t) => {
  for (const m of samples) {
    const b = encodeMsg(m);
    for (let n = 0; n < b.length; n++) t.false(decodeMsg(b.subarray(0, n)).ok);
    const longer = new Uint8Array(b.length + 1);
    longer.set(b);
    const r = decodeMsg(longer);
    t.false(r.ok);
  }
  const foreign = decodeMsg(new Uint8Array([MsgType.Ping, 0, 0, 0, 0, 0]));
  t.false(foreign.ok);
  if (!foreign.ok) t.regex(foreign.reason, /not a voter message/);
});

test('a Join is ready 0, 1 or 2 (in service); any other value is a malformed frame', (t) => {
  const b = encodeMsg({ t: 'join', from: 2, cycle: 9, claimCycle: NO_CLAIM, claimDigest: 0, ready: JOIN_IN_SERVICE, workloadId: 7 });
  // ready, then the workload id (u32): ready is the fifth byte from the end.
  const at = b.length - 5;
  t.is(b[at], 2, 'ready precedes the workload id');
  for (const ready of [3, 255]) {
    b[at] = ready;
    const d = decodeMsg(b);
    t.false(d.ok);
    if (!d.ok) t.regex(d.reason, new RegExp(`join ready ${ready} not 0\\|1\\|2`));
  }
});

test('a vote carries its 64-bit digest as a little-endian u64 after the cycle; the largest vote fits a frame', (t) => {
  const vote: VoteMsg = {
    t: 'vote', from: 1, cycle: 7, digest: { hi: 0x01234567, lo: 0x89abcdef }, role: 0, heardMask: 7, membersMask: 7, accuseMask: 0,
    admitMask: 0, propose: 255, failSafe: 0, inputs: [], outputs: [],
  };
  const b = encodeMsg(vote);
  // [type u8][from u8][cycle u32][digest u64]...
  t.deepEqual([...b.subarray(6, 14)], [0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01]);
  t.is(new DataView(b.buffer, b.byteOffset).getBigUint64(6, true), 0x0123456789abcdefn);
  // type, from, cycle, digest, 7 one-byte fields, then two vectors (count u8 + f64 each).
  const values = new Array<number>(valuesMax).fill(1.5);
  const largest = encodeMsg({ ...vote, inputs: values, outputs: values });
  t.is(largest.length, 1 + 1 + 4 + 8 + 7 + 2 * (1 + 8 * valuesMax));
  t.true(largest.length <= framePayloadBytesMax);
});

test('random bytes never make the decoder throw (fast-check, fixed seed)', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const r = decodeMsg(bytes);
      return r.ok ? typeof r.msg.t === 'string' : typeof r.reason === 'string';
    }),
    { seed: 4711, numRuns: 3000 },
  );
  t.is(decodeMsg(new Uint8Array()).ok, false);
});

test('any vote round-trips (fast-check, fixed seed)', (t) => {
  const u8 = fc.integer({ min: 0, max: 255 });
  const vote = fc.record({
    t: fc.constant('vote' as const), from: fc.integer({ min: 0, max: 7 }), cycle: fc.nat(),
    digest: fc.record({ hi: fc.nat({ max: 0xffffffff }), lo: fc.nat({ max: 0xffffffff }) }),
    role: fc.constantFrom(0 as const, 1 as const), heardMask: u8, membersMask: u8, accuseMask: u8, admitMask: u8, propose: u8,
    failSafe: fc.constantFrom(0 as const, 1 as const), inputs: fc.array(fc.double(), { maxLength: 8 }), outputs: fc.array(fc.double(), { maxLength: 8 }),
  });
  let runs = 0;
  fc.assert(fc.property(vote, (m) => {
    runs++;
    const d = decodeMsg(encodeMsg(m));
    return d.ok && Object.is(JSON.stringify(d.msg), JSON.stringify(m));
  }), { seed: 42, numRuns: 1000 });
  t.is(runs, 1000);
});
