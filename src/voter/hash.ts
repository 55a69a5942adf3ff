/**
 * Pure hashing for digests and snapshot checksums. FNV-1a (32 bit) is enough here: a digest
 * only has to make an accidental match between a faulty and a healthy board improbable
 * (2^-32 per comparison); the frame layer carries its own CRC and HMAC for the wire.
 */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

export class Fnv32 {
  #h = FNV_OFFSET;
  addByte(b: number): this {
    this.#h = Math.imul(this.#h ^ (b & 0xff), FNV_PRIME) >>> 0;
    return this;
  }
  addBytes(bytes: Uint8Array): this {
    let h = this.#h;
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME) >>> 0;
    this.#h = h;
    return this;
  }
  /** Adds the IEEE-754 bytes of x, so -0 and 0 or two NaN payloads hash differently, as they are different states. */
  addF64(x: number): this {
    f64[0] = x;
    return this.addBytes(f64Bytes);
  }
  addF64s(xs: readonly number[]): this {
    this.addByte(xs.length);
    for (const x of xs) this.addF64(x);
    return this;
  }
  value(): number {
    return this.#h;
  }
}

export function fnv1a32(bytes: Uint8Array): number {
  return new Fnv32().addBytes(bytes).value();
}
