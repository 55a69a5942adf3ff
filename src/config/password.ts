/**
 * Console password hashes: scrypt (RFC 7914), so a config file that leaks does not give the
 * password away cheaply. Format: `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>`.
 *
 * Make one with `hashConsolePassword('secret')` (or from a shell:
 * `node --import=tsx -e "import('./src/config/password.ts').then(m => console.log(m.hashConsolePassword(process.argv[1])))" 'secret'`).
 */
import { randomBytes, scryptSync } from 'node:crypto';

export const PASSWORD_HASH_PATTERN = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/;

/** N = 2^14, r = 8, p = 1: ~16 MiB and ~50 ms on a Pi 4 per check; the console rate-limits logins anyway. */
const SCRYPT_DEFAULT = { N: 16384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
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

// Verifying is the console's job (src/console/password.ts: async scrypt, so a login never blocks
// the tick loop for the ~50 ms a check costs on a Pi 4).
