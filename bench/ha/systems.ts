/**
 * The two systems of the HA bench, started the same way for each trial and killed the same way:
 * every process of the serving node gets SIGKILL, then its link goes down (a dead board).
 *
 * - ftc: `ftc sim --process FILE.yaml`, the echo service as the process class's program in each
 *   board's namespace, the service address claimed by ftc when the program starts there. The
 *   killed board's process group is the board and its program (src/rig/supervisor.ts).
 * - keepalived (Debian's, VRRPv3): one per node namespace, the echo service on every node, the
 *   address on the VRRP master. The VRRP child is killed before its parent: killed the other
 *   way round, the child is stopped in order and resigns with a priority-0 advert (RFC 5798
 *   §5.2.4: the master "has stopped participating"), a failover faster than any crash gives.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { NODES, nsOf, SERVICE_PORT, VIP_CIDR } from './netns.ts';

const echoScript = fileURLToPath(new URL('./echo.mjs', import.meta.url));
const ftcBin = fileURLToPath(new URL('../../bin/ftc.js', import.meta.url));

export interface System {
  /** SIGKILL to every process of `node`'s side of the service. */
  kill(node: string): void;
  stop(): Promise<void>;
}

function exited(p: ChildProcess, ms: number): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => { p.kill('SIGKILL'); resolve(); }, ms);
    p.once('exit', () => { clearTimeout(t); resolve(); });
  });
}

const killQuietly = (pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL') => {
  if (pid === undefined) return;
  try { process.kill(pid, signal); } catch { /* gone already */ }
};

export async function startFtc(dir: string, rateHz: number): Promise<System> {
  const cfg = join(dir, 'echo-process.yaml');
  writeFileSync(cfg, [
    `command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(echoScript)}]`,
    `env: { FTC_HA_PORT: "${SERVICE_PORT}" }`,
    'netns: ftcha-{board}',
    `address: { cidr: ${VIP_CIDR}, dev: eth0 }`,
    // A killed program is started again at once; the bench kills whole boards.
    'stopGraceMs: 500',
    '',
  ].join('\n'));
  const sim = spawn(process.execPath, [ftcBin, 'sim', '--process', cfg, '--rate-hz', String(rateHz), '--duration', '10m', '--json', '--log-dir', join(dir, 'logs'), '--run-dir', join(dir, 'run')], { stdio: ['ignore', 'pipe', 'ignore'] });
  const pids = new Map<string, number>();
  createInterface({ input: sim.stdout! }).on('line', (line) => {
    if (!line.includes('process-spawn')) return;
    const e = JSON.parse(line) as { kind?: string; child?: string; pid?: number };
    if (e.kind === 'process-spawn' && e.child && e.pid) pids.set(e.child, e.pid);
  });
  return {
    kill(node) {
      const pid = pids.get(node);
      if (pid === undefined) throw new Error(`no pid seen for board ${node}`);
      // The board is its process group's leader: the board and the program it runs.
      killQuietly(-pid);
    },
    async stop() {
      sim.kill('SIGTERM');
      await exited(sim, 15_000);
    },
  };
}

export async function startKeepalived(dir: string, advertS: number): Promise<System> {
  const procs: ChildProcess[] = [];
  const echo = new Map<string, ChildProcess>();
  const parent = new Map<string, ChildProcess>();
  const vrrpPidFile = (node: string) => join(dir, `${node}-vrrp.pid`);
  NODES.forEach((node, i) => {
    const conf = join(dir, `${node}-keepalived.conf`);
    writeFileSync(conf, [
      'global_defs {',
      `  router_id ${node}`,
      '  vrrp_version 3',
      '}',
      'vrrp_instance ftcha {',
      '  state BACKUP',
      '  interface eth0',
      '  virtual_router_id 51',
      `  priority ${150 - 50 * i}`,
      `  advert_int ${advertS}`,
      `  virtual_ipaddress { ${VIP_CIDR} dev eth0 }`,
      '}',
      '',
    ].join('\n'));
    const k = spawn('ip', ['netns', 'exec', nsOf(node), 'keepalived', '--dont-fork', '--log-console', '--vrrp', '--use-file', conf, '--pid', join(dir, `${node}.pid`), '--vrrp_pid', vrrpPidFile(node)], { stdio: 'ignore' });
    parent.set(node, k);
    const e = spawn('ip', ['netns', 'exec', nsOf(node), process.execPath, echoScript, node], { stdio: 'ignore', env: { ...process.env, FTC_HA_PORT: String(SERVICE_PORT) } });
    echo.set(node, e);
    procs.push(k, e);
  });
  const vrrpPid = (node: string): number | undefined => {
    try { return Number(readFileSync(vrrpPidFile(node), 'utf8').trim()) || undefined; } catch { return undefined; }
  };
  return {
    kill(node) {
      killQuietly(vrrpPid(node));
      killQuietly(parent.get(node)!.pid);
      killQuietly(echo.get(node)!.pid);
    },
    async stop() {
      for (const node of NODES) killQuietly(vrrpPid(node));
      for (const p of procs) p.kill('SIGKILL');
      await Promise.all(procs.map((p) => exited(p, 5000)));
    },
  };
}
