/**
 * Checking the console password on the board: `scrypt$N$r$p$<salt base64>$<hash base64>`, the
 * format of src/config/password.ts (`hashConsolePassword`, which `ftc console-passwd` uses).
 *
 * Why a second verifier: config's `verifyConsolePassword` uses scryptSync, which blocks the board's
 * tick loop for the whole check (~50 ms at N=2^14 on a Pi 4: five missed 100 Hz cycles). Here
 * crypto.scrypt runs on libuv's thread pool and the tick loop keeps going.
 */
import { scrypt, timingSafeEqual } from 'node:crypto';
import { PASSWORD_HASH_PATTERN } from '../config/password.ts';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** Refuse hashes whose parameters would take more memory than an SBC can spare (128 * N * r). */
const SCRYPT_MEM_BYTES_MAX = 256 * 1024 * 1024;
/** Same bound as src/config/password.ts (the console's line limit is lower anyway). */
const PASSWORD_CHARS_MAX = 1024;

export class PasswordHashError extends Error {
  override name = 'PasswordHashError';
}

export interface ParsedHash extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

/** Parse and validate a stored hash; throws PasswordHashError saying what is wrong and how to fix it. */
export function parsePasswordHash(text: string): ParsedHash {
  const fix = 'make one with `ftc console-passwd`';
  const parts = text.split('$');
  if (!PASSWORD_HASH_PATTERN.test(text) || parts.length !== 6) {
    throw new PasswordHashError(`console password hash must look like scrypt$N$r$p$salt$hash; ${fix}`);
  }
  const [, nText, rText, pText, saltText, hashText] = parts as [string, string, string, string, string, string];
  const N = Number(nText);
  const r = Number(rText);
  const p = Number(pText);
  if (!(Number.isInteger(N) && N >= 2 && (N & (N - 1)) === 0)) throw new PasswordHashError(`scrypt N must be a power of two >= 2, got "${nText}"; ${fix}`);
  if (!(Number.isInteger(r) && r >= 1 && r <= 32)) throw new PasswordHashError(`scrypt r must be an integer in [1, 32], got "${rText}"; ${fix}`);
  if (!(Number.isInteger(p) && p >= 1 && p <= 16)) throw new PasswordHashError(`scrypt p must be an integer in [1, 16], got "${pText}"; ${fix}`);
  if (128 * N * r > SCRYPT_MEM_BYTES_MAX) throw new PasswordHashError(`scrypt N*r too large (needs ${(128 * N * r) >> 20} MiB); ${fix}`);
  const salt = Buffer.from(saltText, 'base64');
  const hash = Buffer.from(hashText, 'base64');
  if (salt.length < 8) throw new PasswordHashError(`scrypt salt must be at least 8 bytes of base64; ${fix}`);
  if (hash.length < 16 || hash.length > 64) throw new PasswordHashError(`scrypt hash must be 16 to 64 bytes of base64; ${fix}`);
  return { N, r, p, salt, hash };
}

function derive(password: string, salt: Buffer, keyBytes: number, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyBytes, { ...params, maxmem: SCRYPT_MEM_BYTES_MAX + (1 << 20) }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Constant-time check. A malformed stored hash throws PasswordHashError (config error). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parsePasswordHash(stored);
  if (password.length > PASSWORD_CHARS_MAX) return false;
  const key = await derive(password, h.salt, h.hash.length, h);
  return timingSafeEqual(key, h.hash);
}
