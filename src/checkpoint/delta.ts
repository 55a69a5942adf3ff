/**
 * Byte deltas between two encodings of a workload's state (pure). A checkpoint is sent as the
 * spans of bytes that changed since the backup's last acknowledged one, when that is smaller
 * than the state: a controller's state changes in a few fields per epoch.
 *
 * Format: u32 new length, then spans of (u32 offset, u16 length, bytes), little-endian. Spans
 * closer than `gapBytesMin` are merged (a span header costs 6 bytes).
 */
const gapBytesMin = 8;
/** One span's length field is 16 bits. */
const spanBytesMax = 0xffff;

export function makeDelta(base: Uint8Array, next: Uint8Array): Uint8Array {
  const spans: [number, number][] = [];
  let i = 0;
  while (i < next.length) {
    if (i < base.length && base[i] === next[i]) { i++; continue; }
    const start = i;
    let end = i + 1;
    // Extend while bytes differ, or the equal run is too short to be worth a new header.
    while (end < next.length && end - start < spanBytesMax) {
      if (end >= base.length || base[end] !== next[end]) { end++; continue; }
      let same = 0;
      while (end + same < next.length && end + same < base.length && base[end + same] === next[end + same] && same < gapBytesMin) same++;
      if (same >= gapBytesMin || end + same >= next.length) break;
      end += same;
    }
    spans.push([start, end - start]);
    i = end;
  }
  let size = 4;
  for (const [, n] of spans) size += 6 + n;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, next.length, true);
  let o = 4;
  for (const [off, n] of spans) {
    dv.setUint32(o, off, true);
    dv.setUint16(o + 4, n, true);
    out.set(next.subarray(off, off + n), o + 6);
    o += 6 + n;
  }
  return out;
}

/** The state `makeDelta(base, next)` was made from; null when the delta is malformed or too big. */
export function applyDelta(base: Uint8Array, delta: Uint8Array, bytesMax: number): Uint8Array | null {
  if (delta.length < 4) return null;
  const dv = new DataView(delta.buffer, delta.byteOffset, delta.byteLength);
  const length = dv.getUint32(0, true);
  if (length > bytesMax) return null;
  const out = new Uint8Array(length);
  out.set(base.subarray(0, Math.min(length, base.length)));
  let o = 4;
  while (o < delta.length) {
    if (o + 6 > delta.length) return null;
    const off = dv.getUint32(o, true);
    const n = dv.getUint16(o + 4, true);
    if (o + 6 + n > delta.length || off + n > length) return null;
    out.set(delta.subarray(o + 6, o + 6 + n), off);
    o += 6 + n;
  }
  return out;
}
