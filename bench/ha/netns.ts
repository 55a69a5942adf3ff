/**
 * The HA bench's network (needs root and iproute2): three nodes and a client, each a network
 * namespace with one veth (eth0) to a bridge in a namespace of its own, so nothing touches the
 * machine's own interfaces. Nodes 10.99.0.1-3, client 10.99.0.10, the service address .100.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export const NODES = ['b1', 'b2', 'b3'] as const;
export type Node = (typeof NODES)[number];
const PREFIX = 'ftcha';
export const nsOf = (node: string): string => `${PREFIX}-${node}`;
const HUB = `${PREFIX}-hub`;
export const CLIENT_NS = `${PREFIX}-c`;
export const VIP = '10.99.0.100';
export const VIP_CIDR = `${VIP}/24`;
export const SERVICE_PORT = 7777;

export function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Why the bench cannot run here, or null. */
export function cannotRun(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, addresses, keepalived)';
  if (!has('ip') || spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status !== 0) return 'needs `ip netns` (iproute2)';
  if (!has('keepalived')) return 'needs keepalived (Debian: apt-get install keepalived)';
  if (!has('arping')) return 'needs arping for the gratuitous ARP (Debian: apt-get install iputils-arping)';
  return null;
}

export function tearDown(): void {
  for (const ns of [...NODES.map(nsOf), CLIENT_NS, HUB]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}

export function setUp(): void {
  tearDown();
  ip('netns', 'add', HUB);
  ip('-n', HUB, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', HUB, 'link', 'set', 'br0', 'up');
  const ends: [string, string, string][] = [...NODES.map((n, i): [string, string, string] => [n, nsOf(n), `10.99.0.${i + 1}`]), ['c', CLIENT_NS, '10.99.0.10']];
  for (const [port, ns, addr] of ends) {
    ip('netns', 'add', ns);
    ip('link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', HUB);
    ip('-n', HUB, 'link', 'set', port, 'master', 'br0', 'up');
    ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
}

/** Between trials: every node up again, and the service address on none. */
export function resetNodes(): void {
  for (const n of NODES) {
    spawnSync('ip', ['-n', nsOf(n), 'addr', 'del', VIP_CIDR, 'dev', 'eth0'], { stdio: 'ignore' });
    ip('-n', nsOf(n), 'link', 'set', 'eth0', 'up');
  }
  // The client forgets the old holder's MAC: each trial starts from the same ARP state.
  spawnSync('ip', ['-n', CLIENT_NS, 'neigh', 'flush', 'dev', 'eth0'], { stdio: 'ignore' });
}

/** A dead node: unplugged (its link down), as a crashed board's NIC goes silent. */
export function unplug(node: string): void {
  ip('-n', nsOf(node), 'link', 'set', 'eth0', 'down');
}
