/**
 * What the HA bench measures, from outside both systems: the client's replies (the outage is the
 * longest gap between two replies across the kill) and which live node holds the service
 * address when (`ip -ts monitor address` in each node's namespace): two at once is dual-active.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CLIENT_NS, NODES, nsOf, SERVICE_PORT, VIP } from './netns.ts';

const clientScript = fileURLToPath(new URL('./client.mjs', import.meta.url));

export interface Replies {
  sent: number;
  names: string[];
  /** Arrival of each reply, wall-clock ms. */
  t: number[];
  who: number[];
}

export class Client {
  readonly #proc: ChildProcess;
  readonly #done: Promise<Replies>;
  current: string | null = null;
  #waiters: Array<() => void> = [];

  constructor() {
    this.#proc = spawn('ip', ['netns', 'exec', CLIENT_NS, process.execPath, clientScript, VIP, String(SERVICE_PORT)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: this.#proc.stdout! });
    this.#done = new Promise((resolve, reject) => {
      lines.on('line', (line) => {
        const m = JSON.parse(line) as { node?: string } & Partial<Replies>;
        if (m.node !== undefined) {
          this.current = m.node;
          for (const w of this.#waiters.splice(0)) w();
        } else resolve(m as Replies);
      });
      this.#proc.once('exit', (code) => reject(new Error(`the client exited (${code}) without its replies`)));
    });
  }

  /** Resolves at the first reply; rejects after `timeoutMs` without one. */
  firstReply(timeoutMs: number): Promise<void> {
    if (this.current !== null) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no reply from the service within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  stop(): Promise<Replies> {
    this.#proc.kill('SIGTERM');
    return this.#done;
  }
}

export interface AddressEvent { node: string; atMs: number; held: boolean }

/** `ip -ts monitor address` in each node's namespace, keeping the service address's comings and goings. */
export class AddressMonitor {
  readonly events: AddressEvent[] = [];
  readonly #procs: ChildProcess[] = [];

  constructor() {
    for (const node of NODES) {
      const p = spawn('ip', ['-n', nsOf(node), '-ts', '-o', 'monitor', 'address'], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, TZ: 'UTC' } });
      createInterface({ input: p.stdout! }).on('line', (line) => {
        // [2026-12-02T21:20:00.123456] Deleted 2: eth0    inet 10.99.0.100/24 ...
        const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d+)\]\s+(Deleted\s+)?.*\sinet\s+([\d.]+)\//.exec(line);
        if (!m || m[4] !== VIP) return;
        const atMs = Date.parse(`${m[1]}Z`) + Number(`0.${m[2]}`) * 1000;
        this.events.push({ node, atMs, held: m[3] === undefined });
      });
      this.#procs.push(p);
    }
  }

  stop(): void {
    for (const p of this.#procs) p.kill('SIGKILL');
  }
}

export interface TrialResult {
  /** The longest gap between replies from just before the kill to the end of the trial, ms. */
  outageMs: number;
  /** No reply came after the kill: the outage is at least outageMs. */
  censored: boolean;
  /** The longest gap in the second before the kill: the probe's own resolution on this machine. */
  baselineGapMs: number;
  /** Time during which two live nodes held the service address at once, ms. */
  dualActiveMs: number;
  from: string;
  to: string | null;
}

export function judgeTrial(r: Replies, addr: readonly AddressEvent[], killed: string, killMs: number, endMs: number): TrialResult {
  let before = -1;
  for (let i = 0; i < r.t.length && r.t[i]! < killMs; i++) before = i;
  let baselineGapMs = 0;
  for (let i = 1; i <= before; i++) if (r.t[i]! >= killMs - 1000) baselineGapMs = Math.max(baselineGapMs, r.t[i]! - r.t[i - 1]!);
  const lastBefore = before >= 0 ? r.t[before]! : killMs;
  let outageMs = 0;
  let prev = lastBefore;
  for (let i = before + 1; i < r.t.length; i++) {
    outageMs = Math.max(outageMs, r.t[i]! - prev);
    prev = r.t[i]!;
  }
  const censored = before + 1 >= r.t.length;
  if (censored) outageMs = endMs - lastBefore;
  const toIdx = r.who[r.t.length - 1];
  return {
    outageMs: Math.round(outageMs * 10) / 10, censored, baselineGapMs: Math.round(baselineGapMs * 10) / 10,
    dualActiveMs: Math.round(dualActiveMs(addr, killed, killMs, endMs) * 10) / 10,
    from: killed, to: censored || toIdx === undefined ? null : r.names[toIdx]!,
  };
}

/** Overlap of the address's holders among live nodes (the killed one is dead from killMs on). */
export function dualActiveMs(addr: readonly AddressEvent[], killed: string, killMs: number, endMs: number): number {
  const points = [...addr].filter((e) => e.atMs <= endMs).sort((a, b) => a.atMs - b.atMs);
  const held = new Set<string>();
  let total = 0;
  let t = Number.NEGATIVE_INFINITY;
  const liveHolders = (at: number) => [...held].filter((n) => n !== killed || at < killMs).length;
  // Step through every change, and the kill itself (the dead node stops counting then).
  const marks = [...points.map((e) => ({ at: e.atMs, e })), { at: killMs, e: null as AddressEvent | null }].sort((a, b) => a.at - b.at);
  for (const { at, e } of marks) {
    if (t !== Number.NEGATIVE_INFINITY && liveHolders(t) >= 2) total += at - t;
    if (e) { if (e.held) held.add(e.node); else held.delete(e.node); }
    t = at;
  }
  if (liveHolders(t) >= 2) total += endMs - t;
  return total;
}

export function summarise(trials: readonly TrialResult[]): Record<string, unknown> {
  const o = trials.map((x) => x.outageMs).sort((a, b) => a - b);
  const pct = (q: number) => o[Math.min(o.length - 1, Math.max(0, Math.ceil(q * o.length) - 1))] ?? null;
  return {
    trials: trials.length,
    outageMs: { p50: pct(0.5), p99: pct(0.99), max: o[o.length - 1] ?? null },
    noReplyAfterKill: trials.filter((x) => x.censored).length,
    dualActiveTrials: trials.filter((x) => x.dualActiveMs > 0).length,
    dualActiveMsMax: Math.max(0, ...trials.map((x) => x.dualActiveMs)),
    baselineGapMsMax: Math.max(0, ...trials.map((x) => x.baselineGapMs)),
    each: trials.map((x) => `${x.from}->${x.to ?? 'none'} ${x.outageMs}${x.censored ? '+' : ''} ms${x.dualActiveMs > 0 ? ` dual ${x.dualActiveMs} ms` : ''}`),
  };
}
