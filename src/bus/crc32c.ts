/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of iSCSI (RFC 3720 §B.4),
 * SCTP (RFC 4960 App. B) and ext4 metadata. Chosen over CRC-32 (IEEE) for its better Hamming
 * distance at our frame lengths (HD 6 up to ~5 kbit; Koopman, DSN 2002).
 *
 * Slice-by-8 tables (8 x 256 u32 = 8 KiB): eight bytes per step, about 3-4x faster than the
 * byte-at-a-time loop in V8 for frames over ~32 bytes. Known answer: "123456789" -> 0xE3069283.
 */

const POLY_REFLECTED = 0x82f63b78;

function buildTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    let c = t[i]!;
    for (let s = 1; s < 8; s++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[s * 256 + i] = c >>> 0;
    }
  }
  return t;
}

const T = buildTables();

/**
 * CRC-32C of `data[start, end)`. `crc` continues a previous result (pass the value returned for
 * the preceding bytes) so a frame can be checksummed in pieces. Returns an unsigned 32-bit value.
 */
export function crc32c(data: Uint8Array, start = 0, end = data.length, crc = 0): number {
  let c = ~crc;
  let i = start;
  const end8 = end - 8;
  while (i <= end8) {
    const lo = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c =
      T[7 * 256 + (lo & 0xff)]! ^
      T[6 * 256 + ((lo >>> 8) & 0xff)]! ^
      T[5 * 256 + ((lo >>> 16) & 0xff)]! ^
      T[4 * 256 + (lo >>> 24)]! ^
      T[3 * 256 + data[i + 4]!]! ^
      T[2 * 256 + data[i + 5]!]! ^
      T[256 + data[i + 6]!]! ^
      T[data[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = T[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** Byte-at-a-time reference implementation, for tests and the benchmark baseline. */
export function crc32cBytewise(data: Uint8Array, start = 0, end = data.length, crc = 0): number {
  let c = ~crc;
  for (let i = start; i < end; i++) c = T[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
