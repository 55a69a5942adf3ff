/**
 * OpenMetrics for Prometheus from one board (shell ring), through prom-client: read from the
 * board's own counters and state when scraped, nothing computed per cycle. Names follow the
 * Prometheus conventions (https://prometheus.io/docs/practices/naming/): an `ftc_` prefix, base
 * units as suffixes (`_seconds`, `_bytes`), `_total` on counters, labels for board, peer and
 * transport. prom-client's default metrics add the process's CPU, memory, heap and event-loop lag.
 */
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { BoardController } from '../shell/board.ts';

export interface MetricsServer {
  /** host:port it listens on (the port chosen by the OS when 0 was asked for). */
  readonly address: string;
  readonly registry: Registry;
  close(): Promise<void>;
}

const MODES = ['triplex', 'duplex', 'failSafe'] as const;
const ROLES = ['member', 'observer', 'joining', 'service'] as const;
const HEALTH = ['redundant', 'degraded', 'failed', 'unknown'] as const;

/** The board's metrics in `registry` (default: a new one). */
export function boardRegistry(board: BoardController<unknown>, name: string, registry = new Registry()): Registry {
  registry.setDefaultLabels({ board: name });
  collectDefaultMetrics({ register: registry, prefix: 'ftc_' });
  // prom-client names three gauges `_total`, which promtool's lint refuses for a gauge ("non-counter
  // metrics should not have _total suffix"); the handle counts they give are not ours to watch anyway.
  for (const g of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(`ftc_${g}`);
  const r = [registry];
  /** A counter read from the board at scrape time (prom-client counters only go up: reset, then set). */
  const counter = (nameSuffix: string, help: string, labelNames: string[], read: (set: (labels: Record<string, string>, v: number) => void) => void) =>
    new Counter({
      name: `ftc_${nameSuffix}_total`, help, labelNames, registers: r,
      collect() {
        this.reset();
        read((labels, v) => this.inc(labels, v));
      },
    });
  const gauge = (fullName: string, help: string, labelNames: string[], read: (set: (labels: Record<string, string>, v: number) => void) => void) =>
    new Gauge({ name: `ftc_${fullName}`, help, labelNames, registers: r, collect() { this.reset(); read((labels, v) => this.set(labels, v)); } });

  counter('cycles', 'Cycles this board has stepped through', [], (set) => set({}, board.core.cycle));
  counter('votes', 'Vote counts by outcome (agree, outvoted, ...)', ['outcome'], (set) => { for (const [outcome, n] of Object.entries(board.counts.votes)) set({ outcome }, n); });
  counter('late_wakes', 'Ticks woken more than 5 ms late', [], (set) => set({}, board.timing.lateOver5Ms));
  counter('failovers', 'Failovers this board took over in (the active role came to it)', [], (set) => set({}, board.counts.failovers));
  counter('handovers', 'Handovers this board took over in', [], (set) => set({}, board.counts.handovers));
  counter('fences', 'Reset lines this board pulled on a majority decision', [], (set) => set({}, board.counts.fences));
  gauge('boot_info', 'This boot: its number and why it happened (power-on, watchdog reset, restart)', ['reason'], (set) => set({ reason: board.bootInfo.reason }, board.bootInfo.boot));
  gauge('member', '1 while this board is in the voting set', [], (set) => set({}, board.core.role === 'member' ? 1 : 0));
  gauge('role', 'This board\'s role (1 for the current one)', ['role'], (set) => { for (const role of ROLES) set({ role }, board.core.role === role ? 1 : 0); });
  gauge('mode', 'The rig\'s redundancy mode as this board sees it (1 for the current one)', ['mode'], (set) => { for (const mode of MODES) set({ mode }, board.core.mode === mode ? 1 : 0); });
  gauge('members', 'Boards in the voting set as this board sees it', [], (set) => { let n = 0; for (let m = board.core.members; m; m >>= 1) n += m & 1; set({}, n); });
  gauge('active', '1 when this board is the active one (drives the outputs, or is the checkpoint primary)', [], (set) => set({}, board.core.active === board.selfIdx ? 1 : 0));
  gauge('watchdog_margin_seconds', 'Time left before the hardware watchdog fires', [], (set) => set({}, board.watchdogMarginMs() / 1000));
  gauge('psu_state', 'Power supply redundancy (1 for the current state)', ['state'], (set) => { const s = String(board.statusLine().psu); for (const st of HEALTH) set({ state: st }, s === st ? 1 : 0); });
  gauge('nic_state', 'Bonded NIC redundancy (1 for the current state)', ['state'], (set) => { const s = String(board.statusLine().nic); for (const st of HEALTH) set({ state: st }, s === st ? 1 : 0); });
  const links = () => board.linkInfos();
  const linkLabels = ['peer', 'transport'];
  counter('link_frames_received', 'Good frames received per peer and transport', linkLabels, (set) => { for (const l of links()) set({ peer: l.peer, transport: l.medium }, l.framesRx); });
  counter('link_frames_sent', 'Frames sent per peer and transport', linkLabels, (set) => { for (const l of links()) set({ peer: l.peer, transport: l.medium }, l.framesTx); });
  counter('link_crc_errors', 'Frames with a bad CRC per peer and transport', linkLabels, (set) => { for (const l of links()) set({ peer: l.peer, transport: l.medium }, l.crcErrors); });
  counter('link_auth_failures', 'Frames that failed authentication (forged, untagged, unexpected tag)', linkLabels, (set) => { for (const l of links()) set({ peer: l.peer, transport: l.medium }, l.authErrors); });
  gauge('link_up', '1 while the transport to the peer is up', linkLabels, (set) => { for (const l of links()) set({ peer: l.peer, transport: l.medium }, l.state === 'down' ? 0 : 1); });
  gauge('link_rtt_seconds', 'Round-trip time of the last ping', linkLabels, (set) => { for (const l of links()) if (l.rttMs !== null) set({ peer: l.peer, transport: l.medium }, l.rttMs / 1000); });
  counter('checkpoint_epochs', 'Checkpoint epochs stepped on this board as primary', [], (set) => set({}, Number((board.checkpoint?.statusLine.epochs as number | undefined) ?? 0)));
  counter('checkpoint_released', 'Checkpoint epochs released on commit by this board', [], (set) => set({}, Number((board.checkpoint?.statusLine.released as number | undefined) ?? 0)));
  counter('program_starts', 'Starts of the process class\'s program on this board', [], (set) => set({}, Number((board.process?.statusLine.starts as number | undefined) ?? 0)));
  counter('program_exits', 'Exits of the process class\'s program on this board (a failed probe counts as one)', [], (set) => set({}, Number((board.process?.statusLine.exits as number | undefined) ?? 0)));
  counter('program_probe_failures', 'Failed liveness probes of the program on this board', [], (set) => set({}, Number((board.process?.statusLine.probeFailures as number | undefined) ?? 0)));
  gauge('soc_temperature_celsius', 'The SoC\'s temperature (its thermal zone); a board at thermal.handOverC hands its work over', [], (set) => {
    const c = board.statusLine().tempC;
    if (typeof c === 'number') set({}, c);
  });
  return registry;
}

/** Serves the board's metrics at http://listen/metrics (404 elsewhere). */
export function startMetricsServer(board: BoardController<unknown>, name: string, listen: { host: string; port: number }): Promise<MetricsServer> {
  const registry = boardRegistry(board, name);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('ftc: metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`ftc: metrics failed: ${(e as Error).message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : listen.port;
      resolve({ address: `${listen.host}:${port}`, registry, close: () => new Promise<void>((res) => server.close(() => res())) });
    });
  });
}
