/**
 * `process.user`: a name or uid to run the program as, resolved from /etc/passwd (shell: reads a
 * file). Node's spawn takes numbers only (uid, gid).
 */
import { readFileSync } from 'node:fs';

export class UnknownUser extends Error {
  override name = 'UnknownUser';
}

/** The passwd entry of `user` (a name, or a uid given as digits). Throws UnknownUser. */
export function lookupUser(user: string, passwd = '/etc/passwd'): { uid: number; gid: number } {
  for (const line of readFileSync(passwd, 'utf8').split('\n')) {
    const f = line.split(':');
    if (f.length < 4) continue;
    if (f[0] === user || (/^\d+$/.test(user) && f[2] === user)) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new UnknownUser(`process.user: ${JSON.stringify(user)} is not in ${passwd}; fix: create the user (useradd --system ${user}) or name one that exists`);
}
