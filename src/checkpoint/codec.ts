/**
 * The checkpoint class's messages on the wire (pure), in frames of type MsgType.Checkpoint.
 * Little-endian: [kind u8][from u8][term u32] then the kind's fields. A chunk's data is at most
 * `CHUNK_DATA_BYTES_MAX`, so a chunk fits one frame payload (src/bus/frame.ts) with its header
 * and up to 32 outputs.
 */
import type { CkptMsg } from './core.ts';

const KIND = { ck: 1, ack: 2, q: 3, have: 4, pull: 5 } as const;
/** Data bytes in one chunk. The frame payload limit is 1024 bytes; the header and 32 outputs take 290 at most. */
export const CHUNK_DATA_BYTES_MAX = 700;
const OUTPUTS_MAX = 32;
/** NONE (-1) on the wire as u32 0xFFFFFFFF. */
const u32 = (x: number) => (x < 0 ? 0xffffffff : x >>> 0);
const i32 = (x: number) => (x === 0xffffffff ? -1 : x);

export function encodeCkpt(m: CkptMsg): Uint8Array {
  const dataLen = m.t === 'ck' ? m.data.length : 0;
  const outLen = m.t === 'ck' ? m.outputs.length : 0;
  if (dataLen > CHUNK_DATA_BYTES_MAX) throw new RangeError(`checkpoint codec: chunk of ${dataLen} bytes > ${CHUNK_DATA_BYTES_MAX}`);
  if (outLen > OUTPUTS_MAX) throw new RangeError(`checkpoint codec: ${outLen} outputs > ${OUTPUTS_MAX}`);
  const buf = new Uint8Array(64 + 8 * outLen + dataLen);
  const dv = new DataView(buf.buffer);
  let n = 0;
  const w8 = (x: number) => { dv.setUint8(n, x); n += 1; };
  const w16 = (x: number) => { dv.setUint16(n, x, true); n += 2; };
  const w32 = (x: number) => { dv.setUint32(n, u32(x), true); n += 4; };
  w8(KIND[m.t]); w8(m.from); w32(m.term);
  switch (m.t) {
    case 'ck':
      w32(m.epoch); w32(m.baseTerm); w32(m.base); w16(m.index); w16(m.count); w32(m.sum); w8(m.xfer ? 1 : 0);
      w8(m.outputs.length);
      for (const o of m.outputs) { dv.setFloat64(n, o, true); n += 8; }
      w16(m.data.length); buf.set(m.data, n); n += m.data.length;
      break;
    case 'ack': w32(m.epoch); break;
    case 'q': break;
    case 'have': w32(m.ckTerm); w32(m.epoch); break;
    case 'pull': w32(m.epoch); w32(m.baseTerm); w32(m.base); break;
  }
  return buf.slice(0, n);
}

export type CkptDecode = { ok: true; msg: CkptMsg } | { ok: false; reason: string };

/** Never throws: a malformed payload is an operating error the caller counts. */
export function decodeCkpt(bytes: Uint8Array): CkptDecode {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let n = 0;
  const need = (k: number) => { if (n + k > bytes.length) throw new RangeError('truncated'); };
  const r8 = () => { need(1); return dv.getUint8(n++); };
  const r16 = () => { need(2); const x = dv.getUint16(n, true); n += 2; return x; };
  const r32 = () => { need(4); const x = dv.getUint32(n, true); n += 4; return i32(x); };
  try {
    const kind = r8();
    const from = r8();
    const term = r32();
    let msg: CkptMsg;
    switch (kind) {
      case KIND.ck: {
        const epoch = r32(); const baseTerm = r32(); const base = r32(); const index = r16(); const count = r16(); const sum = dv.getUint32((need(4), n), true); n += 4;
        const xfer = r8() === 1;
        const k = r8();
        if (k > OUTPUTS_MAX) return { ok: false, reason: `${k} outputs > ${OUTPUTS_MAX}` };
        need(8 * k);
        const outputs: number[] = [];
        for (let i = 0; i < k; i++) { outputs.push(dv.getFloat64(n, true)); n += 8; }
        const len = r16();
        if (len > CHUNK_DATA_BYTES_MAX) return { ok: false, reason: `chunk of ${len} bytes > ${CHUNK_DATA_BYTES_MAX}` };
        need(len);
        const data = bytes.slice(n, n + len);
        n += len;
        msg = { t: 'ck', from, term, epoch, baseTerm, base, index, count, sum, outputs, data, xfer };
        break;
      }
      case KIND.ack: msg = { t: 'ack', from, term, epoch: r32() }; break;
      case KIND.q: msg = { t: 'q', from, term }; break;
      case KIND.have: { const ckTerm = r32(); msg = { t: 'have', from, term, ckTerm, epoch: r32() }; break; }
      case KIND.pull: { const epoch = r32(); const baseTerm = r32(); msg = { t: 'pull', from, term, epoch, baseTerm, base: r32() }; break; }
      default: return { ok: false, reason: `unknown checkpoint message kind ${kind}` };
    }
    if (n !== bytes.length) return { ok: false, reason: `${bytes.length - n} trailing bytes` };
    return { ok: true, msg };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
