/**
 * HMAC-SHA256 for the frame codec, on node:crypto (kept out of the pure core: frame.ts only
 * knows the `MacFn` signature).
 *
 * Node's Hmac objects cannot be reused after digest(), so each tag costs one createHmac().
 * Measured here (Node 20, 46-byte messages, 2-core EPYC, shared): createHmac with a raw key,
 * with a cached KeyObject, and a hand-rolled HMAC that copies precomputed K^ipad / K^opad
 * SHA-256 states (Hash.copy()) all land at 0.4-0.5 M tags/s; the per-call object overhead
 * dominates, and the state-copy variant was the slowest (two objects per tag). We keep the
 * simplest fast one: createHmac with a KeyObject cached per key (WeakMap: no leak).
 * bench/codec.bench.ts reports it against the raw-key form in every run.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { MacFn } from './frame.ts';

/** Returns a MacFn computing HMAC-SHA256, caching a KeyObject per key array. */
export function createHmacSha256(): MacFn {
  const keys = new WeakMap<Uint8Array, KeyObject>();
  return (key, data) => {
    let k = keys.get(key);
    if (!k) {
      k = createSecretKey(key);
      keys.set(key, k);
    }
    return createHmac('sha256', k).update(data).digest();
  };
}

/** createHmac with the raw key on every call: the reference for tests and the benchmark. */
export const hmacSha256Simple: MacFn = (key, data) => createHmac('sha256', key).update(data).digest();

/** Shared default instance. */
export const hmacSha256: MacFn = createHmacSha256();
