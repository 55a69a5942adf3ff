/**
 * HA side by side: ftc's process class against keepalived (VRRPv3, Debian's package), the same
 * kill -9 of the serving node, the same client probing the service every 1 ms, in one run.
 *
 *   sudo npm run bench -- ha [--trials N] [--only ftc|keepalived]     (only when named: ~15 min)
 *
 * The network is network namespaces on this machine (bench/ha/netns.ts): three nodes and a client
 * on one bridge, the service a UDP echo, its address 10.99.0.100 following whoever serves. Each
 * trial starts the system afresh, waits for the first reply and 2 s more, kills every process of
 * the node that answers and takes its link down, and watches 6 s more. Per system: the client's
 * outage (the longest gap between replies across the kill) p50/p99/max, and the trials in which two
 * live nodes held the address at once (dual-active), from `ip monitor address` in each namespace.
 *
 * Skips with a message (no error) without root, `ip netns`, keepalived or arping.
 * Environment: FTC_BENCH_HA_RATE_HZ (ftc's cycle rate, default the simulator's).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SIM_RATE_HZ_DEFAULT } from '../src/rig/sim-timing.ts';
import { AddressMonitor, Client, judgeTrial, summarise, type TrialResult } from './ha/measure.ts';
import { cannotRun, resetNodes, setUp, tearDown, unplug } from './ha/netns.ts';
import { startFtc, startKeepalived, type System } from './ha/systems.ts';
import { BenchUsageError, envInt, intAtLeast, type BenchArgs, type BenchOptionSpecs } from './options.ts';

export const namedOnly = 'root and network namespaces; 20 trials of each system, ~15 minutes';

export const options: BenchOptionSpecs = {
  trials: { type: 'string', help: 'N: kills per system (default 20)', parse: intAtLeast('trials', 1) },
  only: {
    type: 'string', help: 'ftc or keepalived: run one system only',
    parse: (raw) => {
      if (raw !== 'ftc' && raw !== 'keepalived') throw new BenchUsageError(`--only: expected ftc or keepalived, got ${JSON.stringify(raw)}`);
      return raw;
    },
  },
};

/** The service answers within this after a system starts, or the trial fails. */
const FIRST_REPLY_TIMEOUT_MS = 30_000;
const STEADY_MS = 2000;
const WATCH_MS = 6000;

async function trial(name: string, start: () => Promise<System>): Promise<TrialResult> {
  resetNodes();
  const monitor = new AddressMonitor();
  await sleep(100); // the monitors listen before anything claims the address
  const system = await start();
  const client = new Client();
  try {
    await client.firstReply(FIRST_REPLY_TIMEOUT_MS);
    await sleep(STEADY_MS);
    const holder = client.current!;
    const killMs = Date.now();
    system.kill(holder);
    unplug(holder);
    await sleep(WATCH_MS);
    const endMs = Date.now();
    const replies = await client.stop();
    const r = judgeTrial(replies, monitor.events, holder, killMs, endMs);
    process.stderr.write(`ha: ${name}: ${r.from} -> ${r.to ?? 'none'}: outage ${r.outageMs}${r.censored ? '+' : ''} ms${r.dualActiveMs ? `, dual-active ${r.dualActiveMs} ms` : ''}\n`);
    return r;
  } finally {
    await client.stop().catch(() => undefined);
    await system.stop();
    monitor.stop();
  }
}

export default async function haBench(args: BenchArgs): Promise<Record<string, unknown>> {
  const why = cannotRun();
  if (why) {
    process.stderr.write(`ha: skipped: ${why}\n`);
    return { skipped: why };
  }
  const trials = (args.trials as number | undefined) ?? 20;
  const only = args.only as 'ftc' | 'keepalived' | undefined;
  const rateHz = envInt('FTC_BENCH_HA_RATE_HZ', SIM_RATE_HZ_DEFAULT);
  const dir = mkdtempSync(join(tmpdir(), 'ftc-bench-ha-'));
  const systems: Array<[string, (d: string) => Promise<System>]> = [
    ...(only !== 'keepalived' ? [[`ftc (${rateHz} Hz)`, (d: string) => startFtc(d, rateHz)] as [string, (d: string) => Promise<System>]] : []),
    ...(only !== 'ftc' ? [
      ['keepalived (advert 10 ms)', (d: string) => startKeepalived(d, 0.01)],
      ['keepalived (advert 1 s)', (d: string) => startKeepalived(d, 1)],
    ] as Array<[string, (d: string) => Promise<System>]> : []),
  ];
  const out: Record<string, unknown> = {};
  setUp();
  try {
    for (const [name, start] of systems) {
      const results: TrialResult[] = [];
      for (let i = 0; i < trials; i++) {
        const d = mkdtempSync(join(dir, 'trial-'));
        results.push(await trial(name, () => start(d)));
      }
      out[name] = summarise(results);
    }
  } finally {
    tearDown();
    rmSync(dir, { recursive: true, force: true });
  }
  return { method: `kill -9 of the serving node + its link down; client probe every 1 ms over UDP; ${trials} trials each`, ...out };
}
