/**
 * Parsers for Linux bonding status (pure: the adapter reads the files and passes their text).
 *
 * - `/proc/net/bonding/<bond>`: written by drivers/net/bonding/bond_procfs.c. Mode names come
 *   from bond_main.c `bond_mode_name()`. In 802.3ad mode a slave whose MII is up but that sits in
 *   another aggregator than the active one carries no traffic, so the aggregator IDs are kept.
 * - `/sys/class/net/<bond>/bonding/{mode,slaves,active_slave,mii_status,ad_aggregator}` and
 *   `/sys/class/net/<slave>/bonding_slave/{mii_status,link_failure_count,ad_aggregator_id}`
 *   (Documentation/networking/bonding.rst §3.2 and bond_sysfs*.c).
 *
 * Unknown lines are ignored (kernels add fields); missing essentials are a BondingParseError whose
 * message names the file, the line, the cause and the fix.
 */

export type BondMode = 'balance-rr' | 'active-backup' | 'balance-xor' | 'broadcast' | '802.3ad' | 'balance-tlb' | 'balance-alb';

export interface BondSlave {
  name: string;
  miiUp: boolean;
  linkFailureCount: number | undefined;
  /** 802.3ad only. */
  aggregatorId: number | undefined;
}

export interface BondInfo {
  bond: string;
  mode: BondMode;
  miiUp: boolean;
  activeSlave: string | undefined;
  /** 802.3ad only: the aggregator that carries traffic. */
  activeAggregatorId: number | undefined;
  slaves: BondSlave[];
}

/** Bound on what we accept: a bonding file is a few kB; more is not a bonding file. */
export const bondingFileBytesMax = 64 * 1024;
export const bondSlavesMax = 32;

const fixBond =
  'check that nic.bond names a bonding interface (ls /proc/net/bonding) and that nic.root points at the root of a filesystem holding proc/ and sys/ (default "/")';

export class BondingParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly problem: string,
  ) {
    super(`${file}${line === undefined ? '' : ` line ${line}`}: ${problem}. Fix: ${fixBond}.`);
    this.name = 'BondingParseError';
  }
}

/** bond_mode_name() in drivers/net/bonding/bond_main.c. */
const procModeNames: Record<string, BondMode> = {
  'load balancing (round-robin)': 'balance-rr',
  'fault-tolerance (active-backup)': 'active-backup',
  'load balancing (xor)': 'balance-xor',
  'fault-tolerance (broadcast)': 'broadcast',
  'IEEE 802.3ad Dynamic link aggregation': '802.3ad',
  'transmit load balancing': 'balance-tlb',
  'adaptive load balancing': 'balance-alb',
};
const sysfsModes = new Set<string>(Object.values(procModeNames));

function parseMii(file: string, line: number | undefined, value: string): boolean {
  if (value === 'up') return true;
  if (value === 'down' || value === 'going down' || value === 'going back') return false;
  throw new BondingParseError(file, line, `MII status "${value}" is neither "up" nor "down"`);
}

function parseCount(file: string, line: number | undefined, what: string, value: string): number {
  if (!/^\d{1,10}$/.test(value)) throw new BondingParseError(file, line, `${what} "${value}" is not a number`);
  return Number(value);
}

function checkSize(file: string, text: string): void {
  if (text.length > bondingFileBytesMax) {
    throw new BondingParseError(file, undefined, `${text.length} bytes, more than the ${bondingFileBytesMax} a bonding status file can hold`);
  }
}

/** Parses the text of `/proc/net/bonding/<bond>`; `file` is its path, for messages. */
export function parseProcBonding(bond: string, text: string, file = `/proc/net/bonding/${bond}`): BondInfo {
  checkSize(file, text);
  const lines = text.split('\n');
  if (!/^Ethernet Channel Bonding Driver: /.test(lines[0] ?? '')) {
    throw new BondingParseError(file, 1, 'does not begin with "Ethernet Channel Bonding Driver:", so it is not a bonding status file');
  }
  let mode: BondMode | undefined;
  let bondMii: boolean | undefined;
  let activeSlave: string | undefined;
  let activeAggregatorId: number | undefined;
  let inActiveAggregator = false;
  const slaves: BondSlave[] = [];
  let slave: BondSlave | undefined;
  let slaveMiiSeen = false;
  let slaveLine = 0;
  const closeSlave = () => {
    if (slave && !slaveMiiSeen) throw new BondingParseError(file, slaveLine, `slave "${slave.name}" has no "MII Status" line (file truncated?)`);
  };

  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    if (i === 0 || raw.trim() === '') return;
    const indented = /^\s/.test(raw);
    const m = /^\s*([^:]+):\s*(.*?)\s*$/.exec(raw);
    if (!m) return; // section titles such as "802.3ad info"
    const key = m[1] as string;
    const value = m[2] as string;
    if (key === 'Slave Interface') {
      closeSlave();
      if (slaves.length >= bondSlavesMax) throw new BondingParseError(file, lineNo, `more than ${bondSlavesMax} slaves`);
      if (!/^[\w.:@-]{1,15}$/.test(value)) throw new BondingParseError(file, lineNo, `slave name "${value}" is not an interface name`);
      slave = { name: value, miiUp: false, linkFailureCount: undefined, aggregatorId: undefined };
      slaves.push(slave);
      slaveMiiSeen = false;
      slaveLine = lineNo;
      return;
    }
    if (!slave) {
      if (key === 'Active Aggregator Info' && !indented) {
        inActiveAggregator = true;
        return;
      }
      if (!indented) inActiveAggregator = false;
      if (key === 'Bonding Mode') {
        mode = procModeNames[value];
        if (!mode) throw new BondingParseError(file, lineNo, `unknown bonding mode "${value}"`);
      } else if (key === 'MII Status' && !indented) {
        bondMii = parseMii(file, lineNo, value);
      } else if (key === 'Currently Active Slave') {
        activeSlave = value === 'None' ? undefined : value;
      } else if (key === 'Aggregator ID' && inActiveAggregator) {
        activeAggregatorId = parseCount(file, lineNo, 'Aggregator ID', value);
      }
      return;
    }
    if (indented) return; // LACP PDU details of the slave
    if (key === 'MII Status') {
      slave.miiUp = parseMii(file, lineNo, value);
      slaveMiiSeen = true;
    } else if (key === 'Link Failure Count') {
      slave.linkFailureCount = parseCount(file, lineNo, 'Link Failure Count', value);
    } else if (key === 'Aggregator ID') {
      slave.aggregatorId = parseCount(file, lineNo, 'Aggregator ID', value);
    }
  });
  closeSlave();
  if (mode === undefined) throw new BondingParseError(file, undefined, 'no "Bonding Mode" line (file truncated?)');
  if (bondMii === undefined) throw new BondingParseError(file, undefined, 'no "MII Status" line for the bond (file truncated?)');
  return { bond, mode, miiUp: bondMii, activeSlave, activeAggregatorId, slaves };
}

/** The sysfs files of one bond, as read by the adapter (undefined = file absent). */
export interface SysfsBondingFiles {
  /** Directory they came from, for messages, e.g. `/sys/class/net/bond0/bonding`. */
  dir: string;
  mode: string | undefined;
  slaves: string | undefined;
  active_slave: string | undefined;
  mii_status: string | undefined;
  ad_aggregator: string | undefined;
  /** Per slave: the files of `/sys/class/net/<slave>/bonding_slave/`. */
  slaveFiles: Record<string, { mii_status: string | undefined; link_failure_count: string | undefined; ad_aggregator_id: string | undefined }>;
}

function required(dir: string, name: string, text: string | undefined): string {
  if (text === undefined) throw new BondingParseError(`${dir}/${name}`, undefined, 'file missing');
  checkSize(`${dir}/${name}`, text);
  return text.trim();
}

/** Parses the sysfs view of a bond. */
export function parseSysfsBonding(bond: string, f: SysfsBondingFiles): BondInfo {
  const modeText = required(f.dir, 'mode', f.mode);
  // "active-backup 1": the name then the numeric mode.
  const modeName = modeText.split(/\s+/)[0] ?? '';
  if (!sysfsModes.has(modeName)) throw new BondingParseError(`${f.dir}/mode`, 1, `unknown bonding mode "${modeText}"`);
  const mode = modeName as BondMode;
  const miiUp = parseMii(`${f.dir}/mii_status`, 1, required(f.dir, 'mii_status', f.mii_status));
  const slaveNames = required(f.dir, 'slaves', f.slaves).split(/\s+/).filter((s) => s !== '');
  if (slaveNames.length > bondSlavesMax) throw new BondingParseError(`${f.dir}/slaves`, 1, `more than ${bondSlavesMax} slaves`);
  const active = f.active_slave?.trim();
  const agg = f.ad_aggregator?.trim();
  const slaveDir = (name: string) => f.dir.replace(/[^/]+\/bonding$/, `${name}/bonding_slave`);
  const slaves = slaveNames.map((name): BondSlave => {
    const sf = f.slaveFiles[name];
    const dir = slaveDir(name);
    const mii = required(dir, 'mii_status', sf?.mii_status);
    const lfc = sf?.link_failure_count?.trim();
    const aggId = sf?.ad_aggregator_id?.trim();
    return {
      name,
      miiUp: parseMii(`${dir}/mii_status`, 1, mii),
      linkFailureCount: lfc ? parseCount(`${dir}/link_failure_count`, 1, 'link_failure_count', lfc) : undefined,
      aggregatorId: aggId ? parseCount(`${dir}/ad_aggregator_id`, 1, 'ad_aggregator_id', aggId) : undefined,
    };
  });
  return {
    bond,
    mode,
    miiUp,
    activeSlave: active ? active : undefined,
    activeAggregatorId: agg ? parseCount(`${f.dir}/ad_aggregator`, 1, 'ad_aggregator', agg) : undefined,
    slaves,
  };
}
