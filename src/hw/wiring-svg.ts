/**
 * Render a rig wiring description (hw/rigs/*.yaml) as an SVG drawing:
 *   node --import=tsx src/hw/wiring-svg.ts hw/rigs/lab.yaml > hw/wiring.svg
 *
 * Layout: supplies and their power-good buses on top, the boards in a row (local I/O listed
 * inside, wired terminals on their edges), point-to-point wires (serial cables, fencing reset
 * lines) routed on horizontal tracks below the boards, shortest first, and the relay ladder of the
 * 2-out-of-3 output stage at the bottom. Wires cross without joining unless a dot marks a joint.
 */
import { pathToFileURL } from 'node:url';
import type { BoardConfig, BoardId } from '../config/board.ts';
import { loadBoardConfig } from '../config/board.ts';
import { loadHardwareDefs, pinLabel, type HardwareDef, type HardwareName } from '../config/hardware.ts';
import { loadRig, rigBoardConfigPath, type RigConfig } from '../config/rig.ts';

const COLOR = {
  serial: '#1f5fbf',
  reset: '#c0392b',
  power: '#1e8449',
  relay: '#b9770e',
  ink: '#1b1b1b',
  muted: '#5d6d7e',
  boardFill: '#f4f6f7',
  boardStroke: '#34495e',
};
const FONT = "DejaVu Sans, Verdana, Arial, sans-serif";

const MARGIN = 40;
const BOARD_W = 470;
const BOARD_GAP = 70;
const TERMINAL_W = 62;
const PG_TERMINAL_GAP = 110;
const TRACK_GAP = 24;
const LINE_H = 17;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

class Svg {
  readonly parts: string[] = [];
  text(x: number, y: number, s: string, opts: { size?: number; weight?: string; anchor?: 'start' | 'middle' | 'end'; color?: string; halo?: boolean } = {}): void {
    const halo = opts.halo ? ' stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"' : '';
    this.parts.push(
      `<text x="${x}" y="${y}" font-size="${opts.size ?? 12}" font-weight="${opts.weight ?? 'normal'}" text-anchor="${opts.anchor ?? 'start'}" fill="${opts.color ?? COLOR.ink}"${halo}>${esc(s)}</text>`,
    );
  }
  rect(x: number, y: number, w: number, h: number, opts: { fill?: string; stroke?: string; rx?: number; width?: number } = {}): void {
    this.parts.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="${opts.rx ?? 0}" fill="${opts.fill ?? 'none'}" stroke="${opts.stroke ?? COLOR.ink}" stroke-width="${opts.width ?? 1.5}"/>`);
  }
  path(d: string, color: string, opts: { width?: number; dash?: string } = {}): void {
    this.parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${opts.width ?? 2}"${opts.dash ? ` stroke-dasharray="${opts.dash}"` : ''} stroke-linejoin="round"/>`);
  }
  dot(x: number, y: number, color: string): void {
    this.parts.push(`<circle cx="${x}" cy="${y}" r="4" fill="${color}"/>`);
  }
}

interface Terminal {
  key: string;
  board: BoardId;
  side: 'top' | 'bottom';
  label: string;
  sub: string;
  color: string;
  x: number;
}

interface Track {
  from: Terminal;
  to: Terminal;
  label: string;
  color: string;
  dash?: string;
}

/** Local I/O lines listed inside a board box (from its config, when the rig names one). */
function localIoLines(config: BoardConfig | undefined, hw: HardwareDef): string[] {
  if (!config) return ['(no board config linked from the rig)'];
  const g = config.gpio;
  const pin = (p: { pin: number; activeLow: boolean }) => `${pinLabel(hw, p.pin)}${p.activeLow ? ' active-low' : ''}`;
  const lines = [`role LED ${pin(g.statusLeds.role)}`];
  if (g.statusLeds.fault) lines.push(`fault LED ${pin(g.statusLeds.fault)}`);
  lines.push(`service button ${pin(g.maintenanceButton)}, hold ${g.maintenanceButton.holdMs / 1000} s`);
  if (g.alarm) lines.push(`alarm buzzer ${pin(g.alarm)}`);
  const hex = (n: number) => `0x${n.toString(16)}`;
  const i2c = [
    ...config.i2c.ina219.map((d) => `INA219 ${hex(d.address)} ${d.rail}`),
    ...(config.i2c.eeprom24c02 ? [`24C02 ${hex(config.i2c.eeprom24c02.address)}`] : []),
    ...(config.i2c.mcp23017 ? [`MCP23017 ${hex(config.i2c.mcp23017.address)}`] : []),
  ];
  if (i2c.length) {
    lines.push(`I²C-${config.i2c.bus}: ${i2c.slice(0, 2).join(', ')}`);
    if (i2c.length > 2) lines.push(`        ${i2c.slice(2).join(', ')}`);
  }
  lines.push(`watchdog ${config.watchdog.kind} ${config.watchdog.kind === 'dev' ? config.watchdog.device : ''} ${config.watchdog.timeoutMs / 1000} s`.replace(/\s+/g, ' '));
  if (config.console.serialPath) lines.push(`console ${config.console.serialPath}`);
  return lines;
}

export function renderWiringSvg(
  rig: RigConfig,
  hardwareDefs: ReadonlyMap<HardwareName, HardwareDef>,
  boardConfigs: ReadonlyMap<BoardId, BoardConfig> = new Map(),
): string {
  const svg = new Svg();
  const boards = rig.boards;
  const hwOf = (id: BoardId): HardwareDef => {
    const hw = hardwareDefs.get(boards.find((b) => b.id === id)!.hardware);
    if (!hw) throw new Error(`no hardware definition for board ${id}`);
    return hw;
  };
  const boardX = (i: number) => MARGIN + i * (BOARD_W + BOARD_GAP);
  const width = MARGIN * 2 + boards.length * BOARD_W + (boards.length - 1) * BOARD_GAP;

  // ---- terminals on each board's edges
  const terminals: Terminal[] = [];
  boards.forEach((b, i) => {
    const hw = hwOf(b.id);
    const bottom: Omit<Terminal, 'x'>[] = [];
    for (const s of rig.serial) {
      for (const [mine, theirs] of [[s.a, s.b], [s.b, s.a]] as const) {
        if (mine.board !== b.id) continue;
        const u = hw.uarts.find((x) => x.name === mine.uart);
        const pins = u?.txPin !== undefined && u.rxPin !== undefined ? `TX${u.txPin}/RX${u.rxPin}` : (u?.device ?? '');
        bottom.push({ key: `${b.id}.${mine.uart}`, board: b.id, side: 'bottom', label: `${mine.uart}→${theirs.board}`, sub: pins, color: COLOR.serial });
      }
    }
    for (const r of rig.reset.filter((x) => x.from === b.id)) {
      bottom.push({ key: `${b.id}.rst.${r.to}`, board: b.id, side: 'bottom', label: `RST→${r.to}`, sub: `GPIO${r.pin}`, color: COLOR.reset });
    }
    bottom.push({ key: `${b.id}.run`, board: b.id, side: 'bottom', label: 'RUN in', sub: 'reset', color: COLOR.reset });
    for (const r of rig.outputStage.relays.filter((x) => x.board === b.id)) {
      bottom.push({ key: `${b.id}.${r.name}`, board: b.id, side: 'bottom', label: r.name, sub: `GPIO${r.pin}`, color: COLOR.relay });
    }
    const x0 = boardX(i) + (BOARD_W - bottom.length * TERMINAL_W) / 2 + TERMINAL_W / 2;
    bottom.forEach((t, k) => terminals.push({ ...t, x: x0 + k * TERMINAL_W }));
    // Power-good terminals at the top right, clear of the board title and of the PSU boxes.
    const top = rig.powerGood.filter((p) => p.board === b.id);
    const xt = boardX(i) + BOARD_W - 50 - (top.length - 1) * PG_TERMINAL_GAP;
    top.forEach((p, k) =>
      terminals.push({ key: `${b.id}.pg.${p.psu}`, board: b.id, side: 'top', label: `PG ${p.psu}`, sub: pinLabel(hw, p.pin), color: COLOR.power, x: xt + k * PG_TERMINAL_GAP }),
    );
  });
  const term = (key: string) => {
    const t = terminals.find((x) => x.key === key);
    if (!t) throw new Error(`wiring: no terminal ${key}`);
    return t;
  };

  // ---- vertical layout
  const titleY = 34;
  const psuTop = 70;
  const psuH = 34;
  const busY = rig.psus.map((_, k) => psuTop + psuH / 2 + k * (psuH + 14));
  const boardTop = psuTop + rig.psus.length * (psuH + 14) + 50;
  const ioLines = boards.map((b) => localIoLines(boardConfigs.get(b.id), hwOf(b.id)));
  const boardH = 64 + Math.max(...ioLines.map((l) => l.length)) * LINE_H + 58;
  const boardBottom = boardTop + boardH;

  // ---- tracks: serial cables and reset lines, shortest span first (fewest crossings)
  const tracks: Track[] = [];
  for (const s of rig.serial) {
    tracks.push({ from: term(`${s.a.board}.${s.a.uart}`), to: term(`${s.b.board}.${s.b.uart}`), label: `${s.a.board}.${s.a.uart} ⇄ ${s.b.board}.${s.b.uart}  (TX↔RX crossed + GND)`, color: COLOR.serial });
  }
  for (const r of rig.reset) {
    tracks.push({ from: term(`${r.from}.rst.${r.to}`), to: term(`${r.to}.run`), label: `${r.from} GPIO${r.pin} → opto → ${r.to} RUN`, color: COLOR.reset, dash: '7 4' });
  }
  tracks.sort((p, q) => Math.abs(p.from.x - p.to.x) - Math.abs(q.from.x - q.to.x) || p.from.x - q.from.x);
  const trackTop = boardBottom + 56;
  tracks.forEach((tr, k) => {
    const y = trackTop + k * TRACK_GAP;
    svg.path(`M${tr.from.x},${boardBottom} V${y} H${tr.to.x} V${boardBottom}`, tr.color, tr.dash ? { dash: tr.dash } : {});
    // Label beside the source drop, on the side the wire runs, so labels never stack.
    const right = tr.to.x > tr.from.x;
    svg.text(tr.from.x + (right ? 8 : -8), y - 5, tr.label, { size: 11, anchor: right ? 'start' : 'end', color: tr.color, halo: true });
  });
  const tracksBottom = trackTop + (tracks.length - 1) * TRACK_GAP;
  // Joints where two reset lines land on one RUN pin.
  for (const b of boards) {
    const run = term(`${b.id}.run`);
    const n = tracks.filter((t) => t.to === run).length;
    if (n > 1) {
      const ys = tracks.map((t, k) => (t.to === run ? trackTop + k * TRACK_GAP : undefined)).filter((y): y is number => y !== undefined);
      for (const y of ys.slice(0, -1)) svg.dot(run.x, y, COLOR.reset);
    }
  }

  // ---- power supplies and power-good buses
  rig.psus.forEach((p, k) => {
    const y = psuTop + k * (psuH + 14);
    svg.rect(MARGIN, y, 190, psuH, { fill: '#eafaf1', stroke: COLOR.power, rx: 4 });
    svg.text(MARGIN + 95, y + 22, p.label, { size: 13, weight: 'bold', anchor: 'middle', color: COLOR.power });
    const drops = terminals.filter((t) => t.key.endsWith(`.pg.${p.id}`));
    if (!drops.length) return;
    const by = busY[k]!;
    const xEnd = Math.max(...drops.map((d) => d.x));
    svg.path(`M${MARGIN + 190},${by} H${xEnd}`, COLOR.power);
    const activeLow = rig.powerGood.some((g) => g.psu === p.id && g.activeLow);
    svg.text(MARGIN + 198, by - 5, `PG ${p.id}: open drain → one optocoupler per board${activeLow ? ' → GPIO low = power good' : ''}`, { size: 11, color: COLOR.power, halo: true });
    for (const d of drops) {
      svg.path(`M${d.x},${by} V${boardTop}`, COLOR.power);
      if (d.x !== xEnd) svg.dot(d.x, by, COLOR.power);
    }
  });

  // ---- boards (drawn after the wires so terminals sit on top)
  boards.forEach((b, i) => {
    const x = boardX(i);
    const hw = hwOf(b.id);
    svg.rect(x, boardTop, BOARD_W, boardH, { fill: COLOR.boardFill, stroke: COLOR.boardStroke, rx: 8, width: 2 });
    svg.text(x + 16, boardTop + 42, `${b.id}`, { size: 22, weight: 'bold' });
    svg.text(x + 56, boardTop + 28, `rank ${b.rank} · ${b.address}`, { size: 12, color: COLOR.muted });
    svg.text(x + 56, boardTop + 45, hw.model.replace(/\s*\(.*\)$/, ''), { size: 12, weight: 'bold' });
    ioLines[i]!.forEach((line, k) => svg.text(x + 16, boardTop + 80 + k * LINE_H, line, { size: 11.5, color: COLOR.ink }));
    for (const t of terminals.filter((z) => z.board === b.id)) {
      if (t.side === 'bottom') {
        svg.rect(t.x - 5, boardBottom - 5, 10, 10, { fill: t.color, stroke: t.color, width: 1 });
        svg.text(t.x, boardBottom - 30, t.label, { size: 10.5, weight: 'bold', anchor: 'middle', color: t.color });
        svg.text(t.x, boardBottom - 15, t.sub, { size: 10, anchor: 'middle', color: COLOR.muted });
      } else {
        svg.rect(t.x - 5, boardTop - 5, 10, 10, { fill: t.color, stroke: t.color, width: 1 });
        svg.text(t.x, boardTop + 20, t.label, { size: 10.5, weight: 'bold', anchor: 'middle', color: t.color });
        svg.text(t.x, boardTop + 34, t.sub, { size: 10, anchor: 'middle', color: COLOR.muted });
      }
    }
    // Relay coils hang off the relay terminals; their contacts are in the ladder below.
    for (const t of terminals.filter((z) => z.board === b.id && z.color === COLOR.relay)) {
      svg.path(`M${t.x},${boardBottom} V${boardBottom + 16}`, COLOR.relay);
      svg.rect(t.x - 9, boardBottom + 16, 18, 18, { fill: '#fef5e7', stroke: COLOR.relay, width: 1.5 });
      svg.text(t.x, boardBottom + 29, 'K', { size: 10, weight: 'bold', anchor: 'middle', color: COLOR.relay });
    }
  });

  // ---- 2-out-of-3 relay ladder
  const ladderTop = tracksBottom + 70;
  const rungGap = 44;
  const branches = rig.outputStage.branches;
  const railL = MARGIN + 120;
  const railR = railL + 520;
  svg.text(MARGIN, ladderTop - 22, `Output stage: relay ladder, 2-out-of-3 (${rig.outputStage.load} energised when any two boards close their relays)`, { size: 13, weight: 'bold', color: COLOR.relay });
  const rungY = (k: number) => ladderTop + 18 + k * rungGap;
  const lastY = rungY(branches.length - 1);
  svg.text(MARGIN, rungY(0) + 4, rig.outputStage.supply, { size: 13, weight: 'bold', color: COLOR.relay });
  svg.path(`M${MARGIN + 56},${rungY(0)} H${railL} M${railL},${rungY(0)} V${lastY} M${railR},${rungY(0)} V${lastY}`, COLOR.relay);
  branches.forEach((branch, k) => {
    const y = rungY(k);
    const n = branch.length;
    const seg = (railR - railL) / n;
    let d = `M${railL},${y}`;
    branch.forEach((ref, j) => {
      const cx = railL + seg * (j + 0.5);
      d += ` H${cx - 8} M${cx + 8},${y}`;
      svg.path(`M${cx - 8},${y - 11} V${y + 11} M${cx + 8},${y - 11} V${y + 11}`, COLOR.relay, { width: 2.5 });
      svg.text(cx, y - 15, `K ${ref}`, { size: 11, weight: 'bold', anchor: 'middle', color: COLOR.relay });
    });
    d += ` H${railR}`;
    svg.path(d, COLOR.relay);
    if (k > 0) {
      svg.dot(railL, y, COLOR.relay);
      if (k < branches.length - 1) svg.dot(railR, y, COLOR.relay);
    }
  });
  const loadY = (rungY(0) + lastY) / 2;
  svg.dot(railR, rungY(0), COLOR.relay);
  svg.path(`M${railR},${loadY} H${railR + 50}`, COLOR.relay);
  svg.rect(railR + 50, loadY - 18, 150, 36, { fill: '#fef5e7', stroke: COLOR.relay, rx: 4 });
  svg.text(railR + 125, loadY + 5, rig.outputStage.load, { size: 12, weight: 'bold', anchor: 'middle', color: COLOR.relay });
  svg.path(`M${railR + 200},${loadY} H${railR + 240}`, COLOR.relay);
  svg.text(railR + 246, loadY + 4, '0 V', { size: 13, weight: 'bold', color: COLOR.relay });
  svg.text(railL, lastY + 32, 'One board alone can neither energise the load nor, with its contacts welded, hold it against the other two.', { size: 11, color: COLOR.muted });

  // ---- legend
  const legendX = railR + 330;
  const legend: [string, string, string | undefined][] = [
    ['serial cable (3.3 V UART)', COLOR.serial, undefined],
    ['fencing: GPIO → optocoupler → peer RUN', COLOR.reset, '7 4'],
    ['power-good input', COLOR.power, undefined],
    ['relay coil K / contact', COLOR.relay, undefined],
  ];
  legend.forEach(([label, color, dash], k) => {
    const y = ladderTop + 4 + k * 22;
    svg.path(`M${legendX},${y} H${legendX + 34}`, color, dash ? { dash, width: 2.5 } : { width: 2.5 });
    svg.text(legendX + 42, y + 4, label, { size: 11.5 });
  });
  svg.text(legendX, ladderTop + 4 + legend.length * 22 + 4, '● joint; crossing wires without a dot do not connect', { size: 11, color: COLOR.muted });

  const height = lastY + 60;
  const title = `ftc rig “${rig.name}” — wiring`;
  const head = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  const titleSvg = new Svg();
  titleSvg.text(MARGIN, titleY, title, { size: 20, weight: 'bold' });
  if (rig.description) titleSvg.text(MARGIN + 330, titleY, rig.description, { size: 12, color: COLOR.muted });
  return [...head, ...titleSvg.parts, ...svg.parts, '</svg>', ''].join('\n');
}

/** Load a rig file and the board configs it links, and render. Throws with every config error. */
export function renderWiringSvgFromFile(rigPath: string): string {
  const defs = loadHardwareDefs();
  const rig = loadRig(rigPath, defs);
  if (!rig.ok) throw new Error(rig.errors.join('\n'));
  const configs = new Map<BoardId, BoardConfig>();
  for (const b of rig.rig.boards) {
    const path = rigBoardConfigPath(rigPath, b);
    if (!path) continue;
    const c = loadBoardConfig(path, { hardwareDefs: defs });
    if (!c.ok) throw new Error(c.errors.join('\n'));
    configs.set(b.id, c.config);
  }
  return renderWiringSvg(rig.rig, defs, configs);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rigPath = process.argv[2];
  if (!rigPath) {
    process.stderr.write('usage: node --import=tsx src/hw/wiring-svg.ts <rig.yaml> > wiring.svg\n');
    process.exit(2);
  }
  try {
    process.stdout.write(renderWiringSvgFromFile(rigPath));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
}
