import test from 'ava';
import fc from 'fast-check';
import { digestHex, digestOfNumber, fnv1a32, fnv1a64, Fnv64, sameDigest, toDigest, type Digest } from '../../src/voter/hash.ts';

const ascii = (s: string) => new TextEncoder().encode(s);

/** FNV-1a 64 as the spec writes it, with BigInt: the reference the int32 implementation must match. */
function fnv1a64Reference(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h;
}
const asBigInt = (d: Digest) => (BigInt(d.hi) << 32n) | BigInt(d.lo);

// Test vectors of the FNV authors' test suite (http://www.isthe.com/chongo/tech/comp/fnv/, test_fnv.c;
// also draft-eastlake-fnv).
test('FNV-1a 64 gives the published test vectors', (t) => {
  const vectors: [string, string][] = [
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['b', 'af63df4c8601f1a5'],
    ['foobar', '85944171f73967e8'],
  ];
  for (const [s, hex] of vectors) {
    t.is(digestHex(fnv1a64(ascii(s))), hex, JSON.stringify(s));
    t.is(fnv1a64Reference(ascii(s)).toString(16).padStart(16, '0'), hex, `reference, ${JSON.stringify(s)}`);
  }
});

test('FNV-1a 32 still gives its published test vectors (snapshot checksums, claims)', (t) => {
  t.is(fnv1a32(ascii('')), 0x811c9dc5);
  t.is(fnv1a32(ascii('a')), 0xe40c292c);
  t.is(fnv1a32(ascii('foobar')), 0xbf9cf968);
});

test('the int32 FNV-1a 64 equals the BigInt reference, byte by byte or in pieces (fast-check, fixed seed)', (t) => {
  let runs = 0;
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cut) => {
      runs++;
      const want = fnv1a64Reference(bytes);
      const whole = fnv1a64(bytes);
      const k = bytes.length === 0 ? 0 : cut % bytes.length;
      const pieces = new Fnv64().addBytes(bytes.subarray(0, k)).addBytes(bytes.subarray(k)).value();
      const byByte = new Fnv64();
      for (const b of bytes) byByte.addByte(b);
      const one = byByte.value();
      const halvesOk = [whole, pieces, one].every((d) => Number.isInteger(d.hi) && d.hi >= 0 && d.hi <= 0xffffffff && Number.isInteger(d.lo) && d.lo >= 0 && d.lo <= 0xffffffff);
      return halvesOk && asBigInt(whole) === want && asBigInt(pieces) === want && asBigInt(one) === want;
    }),
    { seed: 6401, numRuns: 2000 },
  );
  t.is(runs, 2000);
});

test('a byte of all ones and a byte past 255 hash as their low 8 bits (addByte)', (t) => {
  t.true(sameDigest(new Fnv64().addByte(0x1ff).value(), fnv1a64(Uint8Array.of(0xff))));
  t.true(sameDigest(new Fnv64().addByte(0xff).value(), fnv1a64(Uint8Array.of(0xff))));
});

test('addF64 hashes the IEEE-754 bytes; addF64s prefixes the count, so vectors cannot run into each other', (t) => {
  const f = new Float64Array([-0]);
  t.true(sameDigest(new Fnv64().addF64(-0).value(), fnv1a64(new Uint8Array(f.buffer))));
  t.false(sameDigest(new Fnv64().addF64(-0).value(), new Fnv64().addF64(0).value()));
  const ab = new Fnv64().addF64s([1]).addF64s([2, 3]).value();
  const ba = new Fnv64().addF64s([1, 2]).addF64s([3]).value();
  t.false(sameDigest(ab, ba));
  t.true(sameDigest(new Fnv64().addF64s([1.5, 2]).value(), new Fnv64().addByte(2).addF64(1.5).addF64(2).value()));
});

test('sameDigest compares both halves; digestHex is 16 digits, high half first', (t) => {
  const d = { hi: 0x01234567, lo: 0x89abcdef };
  t.true(sameDigest(d, { hi: 0x01234567, lo: 0x89abcdef }));
  t.false(sameDigest(d, { hi: 0x01234567, lo: 0x89abcdee }));
  t.false(sameDigest(d, { hi: 0x01234566, lo: 0x89abcdef }));
  t.is(digestHex(d), '0123456789abcdef');
  t.is(digestHex({ hi: 0, lo: 1 }), '0000000000000001');
});

test('a number digest (a hand-built workload\'s own hash) is used as is: integers to 53 bits, negatives as two\'s complement', (t) => {
  t.deepEqual(digestOfNumber(0), { hi: 0, lo: 0 });
  t.deepEqual(digestOfNumber(0xdeadbeef), { hi: 0, lo: 0xdeadbeef });
  t.deepEqual(digestOfNumber(Number.MAX_SAFE_INTEGER), { hi: 0x1fffff, lo: 0xffffffff });
  t.deepEqual(digestOfNumber(-1), { hi: 0xffffffff, lo: 0xffffffff });
  t.deepEqual(digestOfNumber(0xdeadbeef | 0), { hi: 0xffffffff, lo: 0xdeadbeef });
  for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -(2 ** 53)]) {
    t.throws(() => digestOfNumber(bad), { instanceOf: RangeError }, String(bad));
  }
  const d = fnv1a64(ascii('a'));
  t.is(toDigest(d), d);
  t.deepEqual(toDigest(42), { hi: 0, lo: 42 });
});
