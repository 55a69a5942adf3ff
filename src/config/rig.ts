/**
 * Rig wiring description (hw/rigs/<name>.yaml): the boards, and the wires between them —
 * cross-connected UARTs, fencing reset lines, power-good inputs from the redundant supplies, and
 * the relay ladder that forms the 2-out-of-3 output stage. It documents the rig (rendered to
 * hw/wiring.svg) and every board config is checked against it (`checkBoardAgainstRig`).
 */
import { dirname, resolve } from 'node:path';
import { BOARD_IDS, type BoardConfig, type BoardId } from './board.ts';
import { HARDWARE_NAMES, loadHardwareDefs, type HardwareDef, type HardwareName } from './hardware.ts';
import { INVALID, bool, int, list, obj, oneOf, optional, reportDuplicates, str, withDefault, type Issues, type Path, type Spec } from './schema.ts';
import { applySpec, readYamlFile } from './yaml-source.ts';

export interface RigBoard {
  id: BoardId;
  rank: number;
  hardware: HardwareName;
  address: string;
  /** Path of this board's config, relative to the rig file (for the wiring drawing and checks). */
  config?: string;
}

export interface UartEnd {
  board: BoardId;
  uart: string;
}

export interface RigConfig {
  name: string;
  description?: string;
  boards: RigBoard[];
  psus: { id: string; label: string }[];
  /** Each cable crosses TX→RX both ways (and shares ground). */
  serial: { a: UartEnd; b: UartEnd }[];
  /** `from`'s GPIO drives an open-collector stage that holds `to` in reset (fencing). */
  reset: { from: BoardId; pin: number; to: BoardId; activeLow: boolean }[];
  powerGood: { psu: string; board: BoardId; pin: number; activeLow: boolean }[];
  outputStage: {
    load: string;
    supply: string;
    relays: { board: BoardId; name: string; pin: number; activeLow: boolean }[];
    /** Branches in parallel, contacts within a branch in series: `b1.voteA`. */
    branches: string[][];
  };
}

const boardId = oneOf(BOARD_IDS);
const pin = int({ min: 0, max: 4095 });
const uartEnd = obj({ board: boardId, uart: str({ pattern: /^[a-z0-9]+$/, expect: 'a UART name from the hardware definition, e.g. uart3' }) });
const contactRef = str({ pattern: /^b[1-3]\.[A-Za-z][A-Za-z0-9_-]*$/, expect: 'board.relay, e.g. b1.voteA' });

const rigSpec = obj({
  name: str({ pattern: /^[a-z0-9][a-z0-9_-]*$/, expect: 'a short lower-case name like lab', lengthMax: 32 }),
  description: optional(str()),
  boards: list(
    obj({ id: boardId, rank: int({ min: 1, max: 3 }), hardware: oneOf(HARDWARE_NAMES), address: str({ expect: 'the board IP address' }), config: optional(str()) }),
    { min: 2, max: 3 },
  ),
  psus: list(obj({ id: str({ pattern: /^[A-Z]$/, expect: 'one capital letter, e.g. A' }), label: str() }), { min: 1, max: 2 }),
  serial: list(obj({ a: uartEnd, b: uartEnd }), { min: 1, max: 3 }),
  reset: list(obj({ from: boardId, pin, to: boardId, activeLow: withDefault(bool(), false) }), { min: 0, max: 6 }),
  powerGood: list(obj({ psu: str(), board: boardId, pin, activeLow: withDefault(bool(), false) }), { min: 0, max: 6 }),
  outputStage: obj({
    load: str(),
    supply: str(),
    relays: list(obj({ board: boardId, name: str({ pattern: /^[A-Za-z][A-Za-z0-9_-]*$/, expect: 'a relay name like voteA' }), pin, activeLow: withDefault(bool(), false) }), { min: 1, max: 12 }),
    branches: list(list(contactRef, { min: 1, max: 3 }), { min: 1, max: 6 }),
  }),
}) satisfies Spec<RigConfig>;

function checkRig(rig: RigConfig, defs: ReadonlyMap<HardwareName, HardwareDef>, issues: Issues): void {
  const ids = rig.boards.map((b) => b.id);
  reportDuplicates(rig.boards.map((b, i) => ({ path: ['boards', i, 'id'], value: b.id, what: `boards[${i}]` })), issues, () => 'list each board once');
  reportDuplicates(rig.boards.map((b, i) => ({ path: ['boards', i, 'rank'], value: b.rank, what: `boards[${i}] (${b.id})` })), issues, () => 'give each board its own rank');
  const known = (path: Path, id: BoardId) => {
    if (!ids.includes(id)) issues.add(path, id, 'is not in boards', `use one of ${ids.join(', ')}`);
  };

  // Serial: UART names exist on that board's hardware, each pair of boards linked exactly once.
  const uartUse: { path: Path; value: string; what: string }[] = [];
  rig.serial.forEach((s, i) => {
    for (const side of ['a', 'b'] as const) {
      const end = s[side];
      const path: Path = ['serial', i, side];
      known([...path, 'board'], end.board);
      const hw = defs.get(rig.boards.find((b) => b.id === end.board)?.hardware ?? 'rpi4');
      if (hw && !hw.uarts.some((u) => u.name === end.uart)) {
        issues.add([...path, 'uart'], end.uart, `is not a UART of ${hw.name}`, `use one of ${hw.uarts.map((u) => u.name).join(', ')}`);
      }
      uartUse.push({ path: [...path, 'uart'], value: `${end.board}.${end.uart}`, what: `serial[${i}].${side}` });
    }
    if (s.a.board === s.b.board) issues.add(['serial', i], `${s.a.board}-${s.b.board}`, 'links a board to itself', 'connect two different boards');
  });
  reportDuplicates(uartUse, issues, () => 'give each cable its own UART');
  reportDuplicates(rig.serial.map((s, i) => ({ path: ['serial', i], value: [s.a.board, s.b.board].sort().join('-'), what: `serial[${i}]` })), issues, () => 'one cable per pair of boards');
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const pair = [ids[i]!, ids[j]!].sort().join('-');
      if (!rig.serial.some((s) => [s.a.board, s.b.board].sort().join('-') === pair)) {
        issues.add(['serial'], rig.serial.length, `has no cable between ${pair.replace('-', ' and ')}`, `add { a: { board: ${ids[i]}, uart: … }, b: { board: ${ids[j]}, uart: … } }`);
      }
    }
  }

  // Fencing: every board can reset every other board.
  rig.reset.forEach((r, i) => {
    known(['reset', i, 'from'], r.from);
    known(['reset', i, 'to'], r.to);
    if (r.from === r.to) issues.add(['reset', i, 'to'], r.to, 'is the board driving the line', 'a board fences its peers, not itself');
  });
  for (const from of ids) {
    for (const to of ids) {
      if (from !== to && !rig.reset.some((r) => r.from === from && r.to === to)) {
        issues.add(['reset'], rig.reset.length, `has no line from ${from} to reset ${to}`, `add { from: ${from}, pin: <GPIO>, to: ${to} }`);
      }
    }
  }

  // Power good: each board reads every supply.
  const psuIds = rig.psus.map((p) => p.id);
  rig.powerGood.forEach((p, i) => {
    known(['powerGood', i, 'board'], p.board);
    if (!psuIds.includes(p.psu)) issues.add(['powerGood', i, 'psu'], p.psu, 'is not in psus', `use one of ${psuIds.join(', ')}`);
  });

  // Output stage: contacts name declared relays; every pair of boards shares one branch (2oo3).
  const relayKeys = rig.outputStage.relays.map((r) => `${r.board}.${r.name}`);
  reportDuplicates(rig.outputStage.relays.map((r, i) => ({ path: ['outputStage', 'relays', i, 'name'], value: `${r.board}.${r.name}`, what: `outputStage.relays[${i}]` })), issues, () => 'declare each relay once');
  const contacts: { path: Path; value: string; what: string }[] = [];
  rig.outputStage.branches.forEach((branch, i) =>
    branch.forEach((ref, j) => {
      if (!relayKeys.includes(ref)) issues.add(['outputStage', 'branches', i, j], ref, 'is not a declared relay', `use one of ${relayKeys.join(', ')}`);
      contacts.push({ path: ['outputStage', 'branches', i, j], value: ref, what: `branches[${i}][${j}]` });
    }),
  );
  reportDuplicates(contacts, issues, () => 'each relay has one contact in the ladder; use the board\'s other relay');
  if (ids.length === 3) {
    for (let i = 0; i < 3; i++) {
      for (let j = i + 1; j < 3; j++) {
        const a = ids[i]!;
        const b = ids[j]!;
        const n = rig.outputStage.branches.filter((br) => br.some((c) => c.startsWith(`${a}.`)) && br.some((c) => c.startsWith(`${b}.`))).length;
        if (n !== 1) {
          issues.add(['outputStage', 'branches'], rig.outputStage.branches.map((br) => br.join('+')), `has ${n} branches closing on ${a} and ${b} together`, 'for 2-out-of-3 give each pair of boards exactly one series branch');
        }
      }
    }
  }
}

export type RigResult = { ok: true; rig: RigConfig } | { ok: false; errors: string[] };

export function parseRig(text: string, sourceName: string, hardwareDefs: ReadonlyMap<HardwareName, HardwareDef> = loadHardwareDefs()): RigResult {
  const { value, issues } = applySpec(text, sourceName, rigSpec);
  if (value !== INVALID) checkRig(value, hardwareDefs, issues);
  return value === INVALID || !issues.ok ? { ok: false, errors: issues.messages } : { ok: true, rig: value };
}

export function loadRig(path: string, hardwareDefs: ReadonlyMap<HardwareName, HardwareDef> = loadHardwareDefs()): RigResult {
  const { value, issues } = readYamlFile(path, rigSpec);
  if (value !== INVALID) checkRig(value, hardwareDefs, issues);
  return value === INVALID || !issues.ok ? { ok: false, errors: issues.messages } : { ok: true, rig: value };
}

/** Absolute path of a rig board's config file, if the rig names one. */
export function rigBoardConfigPath(rigPath: string, board: RigBoard): string | undefined {
  return board.config === undefined ? undefined : resolve(dirname(rigPath), board.config);
}

/**
 * Does this board config match the rig's wiring? Returns one message per disagreement (a pin, a
 * UART, a peer address), each naming the config field, what the rig says and the fix.
 */
export function checkBoardAgainstRig(rig: RigConfig, config: BoardConfig, hardwareDefs: ReadonlyMap<HardwareName, HardwareDef> = loadHardwareDefs()): string[] {
  const out: string[] = [];
  const me = config.board;
  const say = (field: string, found: unknown, rigSays: string, fix: string) =>
    out.push(`${me}: ${field}: ${JSON.stringify(found) ?? '(missing)'} disagrees with rig ${rig.name} (${rigSays}); fix: ${fix}`);
  const rb = rig.boards.find((b) => b.id === me);
  if (!rb) {
    say('board', me, `boards are ${rig.boards.map((b) => b.id).join(', ')}`, 'use a board id of the rig');
    return out;
  }
  if (config.rig.name !== rig.name) say('rig.name', config.rig.name, `name ${rig.name}`, `write rig.name: ${rig.name}`);
  if (config.hardware !== rb.hardware) say('hardware', config.hardware, `${me} is a ${rb.hardware}`, `write hardware: ${rb.hardware}`);
  for (const b of rig.boards) {
    const p = config.rig.peers.find((x) => x.id === b.id);
    if (!p || p.rank !== b.rank) say(`rig.peers(${b.id}).rank`, p?.rank, `${b.id} has rank ${b.rank}`, `write { id: ${b.id}, rank: ${b.rank} }`);
  }
  const hw = hardwareDefs.get(rb.hardware);
  for (const s of rig.serial) {
    const [mine, theirs] = s.a.board === me ? [s.a, s.b] : s.b.board === me ? [s.b, s.a] : [undefined, undefined];
    if (!mine || !theirs) continue;
    const device = hw?.uarts.find((u) => u.name === mine.uart)?.device;
    const link = config.links.serial.find((l) => l.peer === theirs.board);
    if (link?.path !== device) say(`links.serial(${theirs.board}).path`, link?.path, `${me}.${mine.uart} is cabled to ${theirs.board}.${theirs.uart}`, `write path: ${device}`);
  }
  for (const b of rig.boards) {
    if (b.id === me) continue;
    const u = config.links.udp.peers.find((p) => p.id === b.id);
    if (u?.address !== b.address) say(`links.udp.peers(${b.id}).address`, u?.address, `${b.id} is at ${b.address}`, `write address: ${b.address}`);
  }
  for (const r of rig.reset.filter((x) => x.from === me)) {
    const line = config.gpio.resetLines.find((l) => l.peer === r.to);
    if (line?.pin !== r.pin || line.activeLow !== r.activeLow) say(`gpio.resetLines(${r.to})`, line, `GPIO${r.pin} activeLow ${r.activeLow} resets ${r.to}`, `write { peer: ${r.to}, pin: ${r.pin}, activeLow: ${r.activeLow} }`);
  }
  const psuField: Record<string, 'powerGoodA' | 'powerGoodB'> = { A: 'powerGoodA', B: 'powerGoodB' };
  for (const p of rig.powerGood.filter((x) => x.board === me)) {
    const field = psuField[p.psu];
    const mine = field ? config.gpio[field] : undefined;
    if (mine?.pin !== p.pin || mine.activeLow !== p.activeLow) say(`gpio.${field ?? `powerGood${p.psu}`}`, mine, `PSU ${p.psu} PG on GPIO${p.pin} activeLow ${p.activeLow}`, `write { pin: ${p.pin}, activeLow: ${p.activeLow} }`);
  }
  for (const r of rig.outputStage.relays.filter((x) => x.board === me)) {
    const mine = config.gpio.outputSelect.find((o) => o.name === r.name);
    if (mine?.pin !== r.pin || mine.activeLow !== r.activeLow) say(`gpio.outputSelect(${r.name})`, mine, `relay ${r.name} coil on GPIO${r.pin}`, `write { name: ${r.name}, pin: ${r.pin}, activeLow: ${r.activeLow} }`);
  }
  return out;
}
