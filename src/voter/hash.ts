/**
 * Pure hashing for digests and snapshot checksums: FNV-1a, as specified by its authors
 * (Fowler, Noll, Vo: http://www.isthe.com/chongo/tech/comp/fnv/ ; IETF draft-eastlake-fnv),
 * in its 32-bit and 64-bit sizes.
 *
 * The vote digest is the 64-bit one (Fnv64). A digest only has to make an accidental match of a
 * faulty board's wrong result with a healthy board's improbable, but the boards compare digests
 * every cycle: at 100 Hz a year is ~3.2e9 comparisons, so with 32 bits (2^-32 ≈ 2.3e-10 each) a
 * board wrong at every cycle would see ~0.7 wrong results a year pass as matches; with 64 bits
 * (2^-64 ≈ 5.4e-20 each), ~2e-10. The frame layer carries its own CRC and HMAC for the wire.
 * Snapshot chunks keep the 32-bit checksum (it only catches corruption; a joining board's state
 * is then checked by 64-bit digests, its replay and its observer votes, before it is voted in).
 */
const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/** What both FNV-1a widths add on top of bytes: numbers, and lists of them. */
abstract class ByteHash {
  abstract addByte(b: number): this;
  abstract addBytes(bytes: Uint8Array): this;
  /** Adds the IEEE-754 bytes of x, so -0 and 0 or two NaN payloads hash differently, as they are different states. */
  addF64(x: number): this {
    f64[0] = x;
    return this.addBytes(f64Bytes);
  }
  /** The count (one byte), then each value: ([a], [b, c]) and ([a, b], [c]) hash apart. */
  addF64s(xs: readonly number[]): this {
    this.addByte(xs.length);
    for (const x of xs) this.addF64(x);
    return this;
  }
}

export class Fnv32 extends ByteHash {
  #h = FNV32_OFFSET;
  addByte(b: number): this {
    this.#h = Math.imul(this.#h ^ (b & 0xff), FNV32_PRIME) >>> 0;
    return this;
  }
  addBytes(bytes: Uint8Array): this {
    let h = this.#h;
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, FNV32_PRIME) >>> 0;
    this.#h = h;
    return this;
  }
  value(): number {
    return this.#h;
  }
}

export function fnv1a32(bytes: Uint8Array): number {
  return new Fnv32().addBytes(bytes).value();
}

/**
 * A 64-bit digest as its two unsigned 32-bit halves. JavaScript numbers hold 53 bits exactly, so
 * one number cannot; a bigint could, but every bigint is a heap allocation and the halves are what
 * the hash computes and the codec writes anyway. Compare with sameDigest (two number compares),
 * never with ===, which compares the objects.
 */
export interface Digest {
  /** Bits 63..32, 0..0xffffffff. */
  readonly hi: number;
  /** Bits 31..0, 0..0xffffffff. */
  readonly lo: number;
}

export function sameDigest(a: Digest, b: Digest): boolean {
  return a.hi === b.hi && a.lo === b.lo;
}

/** 16 lowercase hex digits, most significant first (as FNV test vectors are written). */
export function digestHex(d: Digest): string {
  return d.hi.toString(16).padStart(8, '0') + d.lo.toString(16).padStart(8, '0');
}

const TWO_32 = 0x1_0000_0000;

/**
 * A digest from a number (a user's own hash): an integer taken as is, as the low 64 bits of its
 * two's complement, so 0..2^53-1 keep their value and a signed 32-bit hash (h | 0) is sign
 * extended. Throws a RangeError for a fraction, NaN, an infinity or a magnitude of 2^53 or more,
 * which would not be the same hash on every reading.
 */
export function digestOfNumber(n: number): Digest {
  if (!Number.isSafeInteger(n)) throw new RangeError(`digest: ${n} is not an integer of at most 53 bits`);
  return { hi: Math.floor(n / TWO_32) >>> 0, lo: n >>> 0 };
}

/** A Digest as is, a number through digestOfNumber. */
export function toDigest(d: Digest | number): Digest {
  return typeof d === 'number' ? digestOfNumber(d) : d;
}

const FNV64_OFFSET_HI = 0xcbf29ce4;
const FNV64_OFFSET_LO = 0x84222325;
/** The 64-bit prime is 2^40 + 0x1b3: see Fnv64.addBytes for how the product splits. */
const FNV64_PRIME_LOW = 0x1b3;

/**
 * FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3) on two int32 halves, without
 * BigInt: per byte, h = (h ^ b) * prime mod 2^64. With h = hi * 2^32 + lo and
 * prime = 2^40 + 0x1b3:
 *   h * prime mod 2^64 = h * 0x1b3 + (lo << 40)          (hi << 40 is beyond bit 63)
 *   new lo = low32(lo * 0x1b3)
 *   new hi = low32(hi * 0x1b3 + high32(lo * 0x1b3) + (lo << 8))
 * high32(lo * 0x1b3) (< 0x1b3) comes from the 16-bit halves of lo, so all of it is int32 arithmetic.
 */
export class Fnv64 extends ByteHash {
  // Kept as int32 (| 0) between bytes: V8 keeps them in registers, untagged; value() makes them unsigned.
  #hi = FNV64_OFFSET_HI | 0;
  #lo = FNV64_OFFSET_LO | 0;
  addByte(b: number): this {
    const lo = this.#lo ^ (b & 0xff);
    const carry = (Math.imul(lo >>> 16, FNV64_PRIME_LOW) + (Math.imul(lo & 0xffff, FNV64_PRIME_LOW) >>> 16)) >>> 16;
    this.#hi = (Math.imul(this.#hi, FNV64_PRIME_LOW) + (lo << 8) + carry) | 0;
    this.#lo = Math.imul(lo, FNV64_PRIME_LOW);
    return this;
  }
  addBytes(bytes: Uint8Array): this {
    let hi = this.#hi;
    let lo = this.#lo;
    for (let i = 0; i < bytes.length; i++) {
      lo ^= bytes[i]!;
      const carry = (Math.imul(lo >>> 16, FNV64_PRIME_LOW) + (Math.imul(lo & 0xffff, FNV64_PRIME_LOW) >>> 16)) >>> 16;
      hi = (Math.imul(hi, FNV64_PRIME_LOW) + (lo << 8) + carry) | 0;
      lo = Math.imul(lo, FNV64_PRIME_LOW);
    }
    this.#hi = hi;
    this.#lo = lo;
    return this;
  }
  value(): Digest {
    return { hi: this.#hi >>> 0, lo: this.#lo >>> 0 };
  }
}

export function fnv1a64(bytes: Uint8Array): Digest {
  return new Fnv64().addBytes(bytes).value();
}
