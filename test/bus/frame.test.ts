import test from 'ava';
import fc from 'fast-check';
import { createHmacSha256, hmacSha256Simple } from '../../src/bus/auth-node.ts';
import { crc32c } from '../../src/bus/crc32c.ts';
import { FrameCodec, frameBytesMax, frameHeaderBytes, framePayloadBytesMax, writeU32 } from '../../src/bus/frame.ts';
import { MsgType } from '../../src/bus/msgtypes.ts';
import { checkProperty } from './_property.ts';
import { keyedCodec, labCodec, otherKey, testKey } from './_frames.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ascii = (s: string) => new TextEncoder().encode(s);

test('the HMAC-SHA256 MacFn matches RFC 4231 test cases 1, 2 and 6 (long key)', (t) => {
  const mac = createHmacSha256();
  t.is(
    hex(mac(new Uint8Array(20).fill(0x0b), ascii('Hi There'))),
    'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
  );
  t.is(
    hex(mac(ascii('Jefe'), ascii('what do ya want for nothing?'))),
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  );
  t.is(
    hex(mac(new Uint8Array(131).fill(0xaa), ascii('Test Using Larger Than Block-Size Key - Hash Key First'))),
    '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  );
});

test('the cached-key HMAC equals plain createHmac for any key and message, including reused keys', (t) => {
  const mac = createHmacSha256();
  checkProperty(
    t,
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 4 }), (key, msgs) =>
      msgs.every((m) => hex(mac(key, m)) === hex(hmacSha256Simple(key, m))),
    ),
    200,
  );
});

const headerArb = fc.record({
  type: fc.constantFrom(...Object.values(MsgType)),
  source: fc.integer({ min: 1, max: 16 }),
  epoch: fc.nat({ max: 0xffffffff }),
  seq: fc.nat({ max: 0xffffffff }),
});

for (const [name, make] of [
  ['a tagged (hmac)', () => keyedCodec()],
  ['an untagged (none-lab)', labCodec],
] as const) {
  test(`${name} frame round-trips header and payload`, (t) => {
    const codec = make();
    checkProperty(
      t,
      fc.property(headerArb, fc.uint8Array({ maxLength: framePayloadBytesMax }), (h, payload) => {
        const bytes = codec.encode(h, payload);
        const f = codec.verify(bytes);
        return (
          typeof f !== 'string' &&
          bytes.length <= frameBytesMax &&
          f.type === h.type &&
          f.source === h.source &&
          f.epoch === h.epoch &&
          f.seq === h.seq &&
          f.authenticated === (codec.authMode === 'hmac') &&
          Buffer.from(f.payload).equals(Buffer.from(payload))
        );
      }),
      300,
    );
  });

  test(`any single-bit error in ${name} frame is caught by the CRC`, (t) => {
    const codec = make();
    checkProperty(
      t,
      fc.property(headerArb, fc.uint8Array({ maxLength: 64 }), fc.nat(), (h, payload, bitSeed) => {
        const bytes = codec.encode(h, payload);
        const bit = bitSeed % (bytes.length * 8);
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        return codec.verify(bytes) === 'crc';
      }),
      500,
    );
  });
}

test('a keyed receiver rejects untagged frames, and a lab receiver rejects tagged ones with a clear reason', (t) => {
  const h = { type: MsgType.Heartbeat, source: 2, epoch: 1, seq: 1 };
  t.is(keyedCodec().verify(labCodec().encode(h, ascii('x'))), 'unauthenticated');
  t.is(labCodec().verify(keyedCodec().encode(h, ascii('x'))), 'unexpectedTag');
  t.is(labCodec().authMode, 'none-lab');
  t.is(keyedCodec().authMode, 'hmac');
});

test('a frame tagged with another key, or altered and re-checksummed, is forged', (t) => {
  const h = { type: MsgType.Input, source: 3, epoch: 9, seq: 42 };
  const rx = keyedCodec(testKey);
  t.is(rx.verify(keyedCodec(otherKey).encode(h, ascii('setpoint=5'))), 'forged');
  // An attacker without the key flips a payload byte and fixes up the CRC: the tag catches it.
  const good = keyedCodec(testKey).encode(h, ascii('setpoint=5'));
  const altered = good.slice();
  altered[frameHeaderBytes] = 'X'.charCodeAt(0);
  t.is(rx.verify(fixCrc(altered)), 'forged');
});

/** Recomputes the CRC after tampering, as an attacker without the key could. */
function fixCrc(bytes: Uint8Array): Uint8Array {
  writeU32(bytes, bytes.length - 4, crc32c(bytes, 0, bytes.length - 4));
  return bytes;
}

test('the fixed header is checked before the tag: bad version, reserved flags, wrong length', (t) => {
  const codec = labCodec();
  const h = { type: MsgType.Health, source: 1, epoch: 1, seq: 1 };
  const v2 = codec.encode(h, ascii('abc'));
  v2[0] = 2;
  t.is(codec.verify(fixCrc(v2)), 'badVersion');
  const flags = codec.encode(h, ascii('abc'));
  flags[2] = 0x80;
  t.is(codec.verify(fixCrc(flags)), 'badVersion');
  const len = codec.encode(h, ascii('abc'));
  len[13] = 2;
  t.is(codec.verify(fixCrc(len)), 'truncated');
  t.is(codec.verify(new Uint8Array(5)), 'truncated');
  t.is(codec.verify(new Uint8Array(frameBytesMax + 1)), 'oversize');
});

test('bad configuration and bad frames to send name the field and the fix', (t) => {
  const e = t.throws(() => new FrameCodec({ mode: 'hmac', key: new Uint8Array(4), mac: hmacSha256Simple }));
  t.regex(e.message, /auth\.key.*16 bytes.*got 4 bytes.*none-lab/);
  t.throws(() => new FrameCodec({ mode: 'open' } as never), { message: /auth\.mode/ });
  const codec = labCodec();
  t.throws(() => codec.encode({ type: 1, source: 1, epoch: 1, seq: 1 }, new Uint8Array(framePayloadBytesMax + 1)), {
    message: /framePayloadBytesMax/,
  });
  t.throws(() => codec.encode({ type: 1, source: 256, epoch: 1, seq: 1 }, new Uint8Array(0)), { message: /source/ });
});
