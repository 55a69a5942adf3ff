/**
 * The service address that follows the program (shell ring): `ip addr add` before it starts and
 * `ip addr del` once it has stopped, in the program's network namespace if it has one. After the
 * add, one gratuitous ARP (arping -U, iputils) so that the neighbours' caches point at this board
 * at once instead of when their entries age out (RFC 5227 §3 calls it an ARP announcement; the
 * kernel updates an existing neighbour entry on it, see arp_accept in Documentation/networking/
 * ip-sysctl.rst). keepalived does the same on a VRRP master transition.
 */
import { spawn } from 'node:child_process';

export interface AddressLog {
  append(type: string, data: Record<string, unknown>): void;
}

/** The command run in `netns` (ip netns exec), or as it is. */
export function inNetns(netns: string | undefined, argv: readonly string[]): string[] {
  return netns ? ['ip', 'netns', 'exec', netns, ...argv] : [...argv];
}

/** Runs argv; resolves to null on exit 0, else the reason. Bounded: killed after `timeoutMs`. */
function run(argv: readonly string[], timeoutMs = 2000): Promise<string | null> {
  return new Promise((resolve) => {
    const c = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr!.on('data', (d: Buffer) => { if (err.length < 512) err += d.toString(); });
    const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.once('error', (e) => { clearTimeout(t); resolve(e.message); });
    c.once('exit', (code, signal) => { clearTimeout(t); resolve(code === 0 ? null : `${argv.join(' ')}: ${signal ?? `exit ${code}`} ${err.trim()}`); });
  });
}

export async function claimAddress(a: { cidr: string; dev: string }, netns: string | undefined, log: AddressLog): Promise<boolean> {
  const ip = a.cidr.split('/')[0]!;
  const add = await run(inNetns(netns, ['ip', 'addr', 'replace', a.cidr, 'dev', a.dev]));
  if (add !== null) {
    log.append('address-error', { cidr: a.cidr, dev: a.dev, error: add });
    return false;
  }
  log.append('address-claimed', { cidr: a.cidr, dev: a.dev });
  // The announcement is not waited for: the address answers already.
  void run(inNetns(netns, ['arping', '-U', '-c', '1', '-w', '1', '-I', a.dev, ip])).then((e) => {
    if (e !== null) log.append('address-arp-error', { cidr: a.cidr, error: e });
  });
  return true;
}

export async function releaseAddress(a: { cidr: string; dev: string }, netns: string | undefined, log: AddressLog): Promise<void> {
  const e = await run(inNetns(netns, ['ip', 'addr', 'del', a.cidr, 'dev', a.dev]));
  // Not there (never claimed, or the interface is gone): nothing to release.
  if (e !== null && !/Cannot assign|not found|No such/i.test(e)) log.append('address-error', { cidr: a.cidr, dev: a.dev, error: e });
  else log.append('address-released', { cidr: a.cidr, dev: a.dev });
}
