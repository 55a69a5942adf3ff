/**
 * Console password hashes: scrypt (RFC 7914), so a config file that leaks does not give the
 * password away cheaply. Format: `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>`.
 *
 * Make one with `hashConsolePassword('secret')` (or from a shell:
 * `node --import=tsx -e "import('./src/config/password.ts').then(m => console.log(m.hashConsolePassword(process.argv[1])))" 'secret'`).
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

export const PASSWORD_HASH_PATTERN = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/;

/** N = 2^14, r = 8, p = 1: ~16 MiB and ~50 ms on a Pi 4 per check; the console rate-limits logins anyway. */
const SCRYPT_DEFAULT = { N: 16384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Refuse hashes asking for absurd work (a hostile config must not hang the board): N <= 2^20, r*p <= 64. */
const SCRYPT_N_MAX = 1 << 20;
const SCRYPT_RP_MAX = 64;
const PASSWORD_CHARS_MAX = 1024;

export function hashConsolePassword(password: string, params: { N?: number; r?: number; p?: number } = {}): string {
  if (password.length === 0 || password.length > PASSWORD_CHARS_MAX) throw new RangeError(`password length must be 1..${PASSWORD_CHARS_MAX}`);
  const N = params.N ?? SCRYPT_DEFAULT.N;
  const r = params.r ?? SCRYPT_DEFAULT.r;
  const p = params.p ?? SCRYPT_DEFAULT.p;
  const salt = randomBytes(SALT_BYTES);
  const hash = scryptSync(password, salt, HASH_BYTES, { N, r, p, maxmem: 256 * N * r + (1 << 20) });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Constant-time check. A malformed or absurd hash is a config error: returns false (config validation reports it). */
export function verifyConsolePassword(password: string, stored: string): boolean {
  if (!PASSWORD_HASH_PATTERN.test(stored) || password.length > PASSWORD_CHARS_MAX) return false;
  const [, n, r, p, saltB64, hashB64] = stored.split('$') as [string, string, string, string, string, string];
  const N = Number(n);
  const R = Number(r);
  const P = Number(p);
  if (N < 2 || N > SCRYPT_N_MAX || (N & (N - 1)) !== 0 || R < 1 || P < 1 || R * P > SCRYPT_RP_MAX) return false;
  const expected = Buffer.from(hashB64, 'base64');
  if (expected.length < 16) return false;
  const actual = scryptSync(password, Buffer.from(saltB64, 'base64'), expected.length, { N, r: R, p: P, maxmem: 256 * N * R + (1 << 20) });
  return timingSafeEqual(actual, expected);
}
