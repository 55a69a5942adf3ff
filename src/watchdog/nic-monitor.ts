/**
 * Bonded-NIC monitor (adapter): reads /proc/net/bonding/<bond> or /sys/class/net/<bond>/bonding/*
 * under a configurable root (fixtures in tests, `/` on a board) and feeds the pure NicMonitorCore.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../ports/clock.ts';
import { BondingParseError, bondingFileBytesMax, parseProcBonding, parseSysfsBonding } from './core-bonding-parse.ts';
import type { BondInfo, SysfsBondingFiles } from './core-bonding-parse.ts';
import { NicMonitorCore } from './core-nic.ts';
import type { NicState } from './core-nic.ts';
import type { RedundancyChange } from './core-redundancy.ts';

export type BondSource = 'proc' | 'sysfs' | 'auto';

export interface NicMonitorOptions {
  bond: string;
  /** Filesystem root holding proc/ and sys/. Default `/`. */
  root?: string;
  /** Which view to read; `auto` prefers /proc. Default `auto`. */
  source?: BondSource;
  /**
   * Reads a file under `root` (undefined when it does not exist). Default: the filesystem; the
   * seeded simulator hands in the bond's files from memory.
   */
  files?: BondFiles;
}

/** How bonding files are read: the real filesystem, or the simulator's memory. */
export interface BondFiles {
  read(path: string): string | undefined;
  exists(path: string): boolean;
}

const diskFiles: BondFiles = { read: readOptional, exists: existsSync };

function readOptional(path: string): string | undefined {
  try {
    // Bounded read: a bonding file is small; a huge one is rejected by the parser's size check.
    return readFileSync(path, 'utf8').slice(0, bondingFileBytesMax + 1);
  } catch {
    return undefined;
  }
}

function procPath(root: string, bond: string): string {
  return join(root, 'proc/net/bonding', bond);
}

/** Reads and parses one bond. Throws BondingParseError (naming the file, cause and fix). */
export function readBond(root: string, bond: string, source: BondSource = 'auto', files: BondFiles = diskFiles): BondInfo {
  const readOptional = files.read;
  const existsSync = files.exists;
  if (!/^[\w.:@-]{1,15}$/.test(bond)) throw new BondingParseError('nic.bond', undefined, `"${bond}" is not an interface name`);
  const proc = procPath(root, bond);
  if (source === 'proc' || (source === 'auto' && existsSync(proc))) {
    const text = readOptional(proc);
    if (text === undefined) throw new BondingParseError(proc, undefined, `file missing: no bond "${bond}" here (is the bonding module loaded and the bond configured?)`);
    return parseProcBonding(bond, text, proc);
  }
  const dir = join(root, 'sys/class/net', bond, 'bonding');
  const read = (name: string) => readOptional(join(dir, name));
  const slavesText = read('slaves');
  if (slavesText === undefined && !existsSync(dir)) {
    throw new BondingParseError(dir, undefined, `neither ${proc} nor ${dir} exists: no bond "${bond}" here (is the bonding module loaded and the bond configured?)`);
  }
  const slaveFiles: SysfsBondingFiles['slaveFiles'] = {};
  for (const name of (slavesText ?? '').split(/\s+/).filter((s) => s !== '' && /^[\w.:@-]{1,15}$/.test(s))) {
    const sdir = join(root, 'sys/class/net', name, 'bonding_slave');
    slaveFiles[name] = {
      mii_status: readOptional(join(sdir, 'mii_status')),
      link_failure_count: readOptional(join(sdir, 'link_failure_count')),
      ad_aggregator_id: readOptional(join(sdir, 'ad_aggregator_id')),
    };
  }
  return parseSysfsBonding(bond, {
    dir,
    mode: read('mode'),
    slaves: slavesText,
    active_slave: read('active_slave'),
    mii_status: read('mii_status'),
    ad_aggregator: read('ad_aggregator'),
    slaveFiles,
  });
}

export type NicListener = (change: RedundancyChange<NicState>) => void;

export class NicMonitor {
  readonly core: NicMonitorCore;
  readonly #listeners: NicListener[] = [];
  #lastInfo: BondInfo | null = null;
  /** The bond as last read successfully (for the console), or null. */
  get lastInfo(): BondInfo | null {
    return this.#lastInfo;
  }
  /** `opts` is read at every poll. */
  constructor(readonly opts: NicMonitorOptions, readonly clock: Clock) {
    this.core = new NicMonitorCore(opts.bond, clock.nowMs());
  }
  onChange(listener: NicListener): void {
    this.#listeners.push(listener);
  }
  /** Reads the bond once. Read/parse failures become state `unknown` with the message (counted). */
  poll(): RedundancyChange<NicState> | undefined {
    let reading: BondInfo | Error;
    try {
      reading = readBond(this.opts.root ?? '/', this.opts.bond, this.opts.source ?? 'auto', this.opts.files);
    } catch (e) {
      reading = e instanceof Error ? e : new Error(String(e));
    }
    if (!(reading instanceof Error)) this.#lastInfo = reading;
    const change = this.core.update(reading, this.clock.nowMs());
    if (change) for (const l of this.#listeners) l(change);
    return change;
  }
  get state(): NicState {
    return this.core.state;
  }
}
