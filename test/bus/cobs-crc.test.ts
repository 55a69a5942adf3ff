import test from 'ava';
import fc from 'fast-check';
import { cobsDecode, cobsDecodeInto, cobsEncode, cobsEncodedBytesMax, cobsFrame } from '../../src/bus/cobs.ts';
import { crc32c, crc32cBytewise } from '../../src/bus/crc32c.ts';
import { checkProperty } from './_property.ts';

const ascii = (s: string) => new TextEncoder().encode(s);

test('CRC-32C of "123456789" is the catalogue check value 0xE3069283', (t) => {
  t.is(crc32c(ascii('123456789')), 0xe3069283);
  t.is(crc32cBytewise(ascii('123456789')), 0xe3069283);
});

test('CRC-32C matches the RFC 3720 iSCSI test vectors', (t) => {
  // RFC 3720 §B.4: 32 bytes of zeros, of 0xFF, ascending and descending.
  t.is(crc32c(new Uint8Array(32)), 0x8a9136aa);
  t.is(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  t.is(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  t.is(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
});

test('slice-by-8 CRC equals the byte-wise CRC on any range and can be continued piecewise', (t) => {
  checkProperty(
    t,
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (data, a, b) => {
      const start = data.length ? a % (data.length + 1) : 0;
      const end = start + (data.length - start ? b % (data.length - start + 1) : 0);
      if (crc32c(data, start, end) !== crc32cBytewise(data, start, end)) return false;
      return crc32c(data, end, data.length, crc32c(data, 0, end)) === crc32c(data);
    }),
    500,
  );
});

test('COBS encoding never contains 0x00, stays within its bound, and decodes back', (t) => {
  checkProperty(
    t,
    fc.property(
      fc.oneof(fc.uint8Array({ maxLength: 1200 }), fc.uint8Array({ maxLength: 600 }).map((a) => a.map((b) => (b < 200 ? 0 : b)))),
      (data) => {
        const enc = cobsEncode(data);
        if (enc.includes(0) || enc.length > cobsEncodedBytesMax(data.length)) return false;
        const dec = cobsDecode(enc);
        return dec !== null && Buffer.from(dec).equals(Buffer.from(data));
      },
    ),
    500,
  );
});

test('COBS decodes in place, and rejects a zero byte or a group that runs past the end', (t) => {
  const data = Uint8Array.from([1, 0, 2, 3, 0, 0, 4]);
  const enc = cobsEncode(data).slice();
  const n = cobsDecodeInto(enc, 0, enc.length, enc, 0);
  t.deepEqual([...enc.subarray(0, n)], [...data]);
  t.is(cobsDecode(Uint8Array.from([3, 1, 0, 1])), null);
  t.is(cobsDecode(Uint8Array.from([5, 1, 2])), null);
});

test('a COBS-framed frame is delimited by 0x00 on both sides and by no other zero', (t) => {
  const wire = cobsFrame(Uint8Array.from([0, 0, 7]));
  t.is(wire[0], 0);
  t.is(wire[wire.length - 1], 0);
  t.false(wire.subarray(1, -1).includes(0));
});

test('COBS decoding of arbitrary bytes never throws', (t) => {
  checkProperty(
    t,
    fc.property(fc.uint8Array({ maxLength: 600 }), (junk) => {
      const r = cobsDecode(junk);
      return r === null || r.length <= junk.length;
    }),
    1000,
  );
});
