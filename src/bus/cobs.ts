/**
 * Consistent Overhead Byte Stuffing (Cheshire & Baker, IEEE/ACM ToN 7(2), 1999) with 0x00 as the
 * frame delimiter: the encoded bytes never contain 0x00, so a receiver that lost sync (garbage,
 * a reset mid-frame) resynchronises at the next 0x00. Overhead is at most 1 byte per 254 bytes
 * plus 1.
 *
 * Pure code, no allocation beyond the output buffer. Decoding can run in place (the decoded
 * bytes are never longer than the encoded ones and the write position never passes the read
 * position), which is what the stream deframer does: zero-copy.
 */

/** Largest encoding of `n` bytes, without delimiters. */
export function cobsEncodedBytesMax(n: number): number {
  return n + Math.floor(n / 254) + 1;
}

/**
 * Encodes `src` into `dst` at `dstOffset` (no delimiter written). Returns the number of bytes
 * written. `dst` must have room for `cobsEncodedBytesMax(src.length)` bytes (programmer error
 * otherwise: throws RangeError).
 */
export function cobsEncodeInto(src: Uint8Array, dst: Uint8Array, dstOffset = 0): number {
  const n = src.length;
  if (dst.length - dstOffset < cobsEncodedBytesMax(n)) {
    throw new RangeError(`cobsEncodeInto: dst has ${dst.length - dstOffset} bytes free, needs ${cobsEncodedBytesMax(n)}`);
  }
  let codeAt = dstOffset;
  let w = dstOffset + 1;
  let code = 1;
  for (let i = 0; i < n; i++) {
    const b = src[i]!;
    if (b === 0) {
      dst[codeAt] = code;
      codeAt = w++;
      code = 1;
    } else {
      dst[w++] = b;
      code++;
      if (code === 0xff) {
        dst[codeAt] = code;
        codeAt = w++;
        code = 1;
      }
    }
  }
  dst[codeAt] = code;
  return w - dstOffset;
}

/** Encodes `src` into a new array (no delimiter). */
export function cobsEncode(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsEncodedBytesMax(src.length));
  const n = cobsEncodeInto(src, out, 0);
  return out.subarray(0, n);
}

/**
 * Decodes `src[start, end)` (no delimiter inside) into `dst` at `dstOffset`; `dst` may be `src`
 * itself with `dstOffset <= start` (in-place decoding). Returns the decoded length, or -1 if the
 * input is not valid COBS (a 0x00 byte inside, or a code byte that runs past the end: the frame
 * was truncated or corrupted). Never throws on bad input.
 */
export function cobsDecodeInto(
  src: Uint8Array,
  start: number,
  end: number,
  dst: Uint8Array,
  dstOffset = 0,
): number {
  let r = start;
  let w = dstOffset;
  while (r < end) {
    const code = src[r]!;
    if (code === 0) return -1;
    r++;
    const groupEnd = r + code - 1;
    if (groupEnd > end) return -1;
    if (w + (groupEnd - r) > dst.length) return -1;
    while (r < groupEnd) {
      const b = src[r++]!;
      if (b === 0) return -1;
      dst[w++] = b;
    }
    // A group shorter than 254 data bytes ends with an implicit zero, except at the very end.
    if (code !== 0xff && r < end) {
      if (w >= dst.length) return -1;
      dst[w++] = 0;
    }
  }
  return w - dstOffset;
}

/** Decodes `src` (no delimiter) into a new array; null if invalid. */
export function cobsDecode(src: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(src.length);
  const n = cobsDecodeInto(src, 0, src.length, out, 0);
  return n < 0 ? null : out.subarray(0, n);
}

/**
 * Stream framing for a serial link: 0x00, COBS(frame), 0x00. The leading delimiter ends any
 * garbage the receiver holds (noise, a peer reset mid-frame) so this frame is not glued to it.
 */
export function cobsWireBytesMax(frameBytes: number): number {
  return cobsEncodedBytesMax(frameBytes) + 2;
}

export function cobsFrameInto(frame: Uint8Array, dst: Uint8Array, dstOffset = 0): number {
  if (dst.length - dstOffset < cobsWireBytesMax(frame.length)) {
    throw new RangeError(`cobsFrameInto: dst has ${dst.length - dstOffset} bytes free, needs ${cobsWireBytesMax(frame.length)}`);
  }
  dst[dstOffset] = 0;
  const n = cobsEncodeInto(frame, dst, dstOffset + 1);
  dst[dstOffset + 1 + n] = 0;
  return n + 2;
}

export function cobsFrame(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsWireBytesMax(frame.length));
  return out.subarray(0, cobsFrameInto(frame, out, 0));
}
