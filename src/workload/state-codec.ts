/**
 * The default encoding of a workload's state: deterministic CBOR (RFC 8949 section 4.2: map keys
 * in bytewise order, shortest forms), by cborg, with typed arrays kept as themselves (RFC 8746
 * tags). Equal states give equal bytes on every board, which is what the vote digests.
 *
 * Allowed in a state: numbers, strings, booleans, null, arrays, plain objects, typed arrays.
 * Anything else (undefined, functions, Map, Set, Date, bigint, class instances) is refused with
 * the path to the value: it would not round-trip, or not identically on every board.
 */
import { decode, encode, rfc8949EncodeOptions, type EncodeOptions, type TagDecoder } from 'cborg';
import {
  TAG_FLOAT32_ARRAY_LE, TAG_FLOAT64_ARRAY_LE, TAG_INT16_ARRAY_LE, TAG_INT32_ARRAY_LE, TAG_INT8_ARRAY, TAG_UINT16_ARRAY_LE,
  TAG_UINT32_ARRAY_LE, TAG_UINT8_ARRAY, TAG_UINT8_CLAMPED_ARRAY,
  float32ArrayDecoder, float32ArrayEncoder, float64ArrayDecoder, float64ArrayEncoder, int16ArrayDecoder, int16ArrayEncoder,
  int32ArrayDecoder, int32ArrayEncoder, int8ArrayDecoder, int8ArrayEncoder, uint16ArrayDecoder, uint16ArrayEncoder,
  uint32ArrayDecoder, uint32ArrayEncoder, uint8ArrayDecoder, uint8ArrayEncoder, uint8ClampedArrayDecoder, uint8ClampedArrayEncoder,
} from 'cborg/taglib';

/** A state's encoding may not exceed this: it travels as a snapshot (src/voter/snapshot chunks). */
export const STATE_BYTES_MAX = 64 * 1024;
/** Nesting depth of a state: deeper is a runaway structure, not a control state. */
const DEPTH_MAX = 32;

export class StateShapeError extends Error {
  constructor(readonly path: string, problem: string) {
    super(`state${path}: ${problem}`);
    this.name = 'StateShapeError';
  }
}

/** Throws StateShapeError at the first value the default encoding cannot carry faithfully. */
export function checkStateValue(v: unknown, path = '', depth = 0): void {
  if (depth > DEPTH_MAX) throw new StateShapeError(path, `nested deeper than ${DEPTH_MAX}`);
  switch (typeof v) {
    case 'number': case 'string': case 'boolean': return;
    case 'object': break;
    default: throw new StateShapeError(path, `a ${typeof v} cannot be encoded; use numbers, strings, booleans, null, arrays, plain objects or typed arrays`);
  }
  if (v === null || ArrayBuffer.isView(v)) {
    if (v instanceof DataView) throw new StateShapeError(path, 'a DataView cannot be encoded; use a typed array');
    if (v instanceof BigInt64Array || v instanceof BigUint64Array) throw new StateShapeError(path, 'a 64-bit integer array cannot be encoded; use Float64Array or two Uint32Arrays');
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => checkStateValue(x, `${path}[${i}]`, depth + 1));
    return;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    const name = (v as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    throw new StateShapeError(path, `a ${name} cannot be encoded; use a plain object or an array`);
  }
  for (const [k, x] of Object.entries(v)) checkStateValue(x, `${path}.${k}`, depth + 1);
}

const encodeOptions: EncodeOptions = {
  ...rfc8949EncodeOptions,
  typeEncoders: {
    Uint8Array: uint8ArrayEncoder, Uint8ClampedArray: uint8ClampedArrayEncoder, Int8Array: int8ArrayEncoder,
    Uint16Array: uint16ArrayEncoder, Int16Array: int16ArrayEncoder, Uint32Array: uint32ArrayEncoder, Int32Array: int32ArrayEncoder,
    Float32Array: float32ArrayEncoder, Float64Array: float64ArrayEncoder,
  },
};

const tags: TagDecoder[] = [];
tags[TAG_UINT8_ARRAY] = uint8ArrayDecoder;
tags[TAG_UINT8_CLAMPED_ARRAY] = uint8ClampedArrayDecoder;
tags[TAG_INT8_ARRAY] = int8ArrayDecoder;
tags[TAG_UINT16_ARRAY_LE] = uint16ArrayDecoder;
tags[TAG_INT16_ARRAY_LE] = int16ArrayDecoder;
tags[TAG_UINT32_ARRAY_LE] = uint32ArrayDecoder;
tags[TAG_INT32_ARRAY_LE] = int32ArrayDecoder;
tags[TAG_FLOAT32_ARRAY_LE] = float32ArrayDecoder;
tags[TAG_FLOAT64_ARRAY_LE] = float64ArrayDecoder;

/** The state as deterministic CBOR. Throws StateShapeError on a value it cannot carry, RangeError past STATE_BYTES_MAX. */
export function encodeState(state: unknown): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = encode(state, encodeOptions);
  } catch (e) {
    // cborg refuses some values itself (undefined in strict modes, functions): say where.
    checkStateValue(state);
    throw e;
  }
  if (bytes.length > STATE_BYTES_MAX) throw new RangeError(`state: ${bytes.length} bytes encoded, at most ${STATE_BYTES_MAX}`);
  return bytes;
}

/** The state back from encodeState's bytes; throws on bytes that are not one strict CBOR item. */
export function decodeState(bytes: Uint8Array): unknown {
  return decode(bytes, { tags, strict: true, allowUndefined: false, rejectDuplicateMapKeys: true });
}
