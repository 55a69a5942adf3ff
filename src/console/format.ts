/**
 * Human-readable renderings of the console's read commands (pure). Each returns lines of at most
 * `widthMax` (80) columns, no line ends: the session adds CRLF.
 */
import type {
  FaultInfo,
  LinkInfo,
  LogEvent,
  MemberInfo,
  NicInfo,
  PsuInfo,
  StatusInfo,
  VoteInfo,
  WdtInfo,
} from './backend.ts';
import { clip, formatAgo, num, table } from './text.ts';

const W = 80;

export function formatStatus(s: StatusInfo): string[] {
  const v = s.lastVote;
  const lines = [
    `board ${s.board}  boot ${s.boot}  up ${formatAgo(s.uptimeMs)}  health ${s.health}`,
    // On a line of its own: a watchdog reset reason is long, and it is what one looks for.
    `last start: ${s.bootReason}`,
    `role ${s.role}  active ${s.activeBoard ?? 'none'}  mode ${s.mode}  epoch ${s.epoch}`,
    `cycle ${s.cycle} at ${s.rateHz} Hz  members ${s.members.length > 0 ? s.members.join(',') : 'none'}`,
    v
      ? `last vote: cycle ${v.cycle} ${v.outcome}` +
        (v.dissent.length ? ` dissent ${v.dissent.join(',')}` : '') +
        (v.missing.length ? ` missing ${v.missing.join(',')}` : '') +
        (v.digest ? ` digest ${v.digest.slice(0, 16)}` : '')
      : 'last vote: none yet',
  ];
  return lines.map((l) => clip(l, W));
}

export function formatMembers(ms: MemberInfo[]): string[] {
  return table(
    [{ header: 'BOARD' }, { header: 'STATE' }, { header: 'ROLE' }, { header: 'BOOT', align: 'right' },
      { header: 'CYCLE', align: 'right' }, { header: 'LAST SEEN', align: 'right' }, { header: 'HEALTH' }],
    ms.map((m) => [m.board, m.state, m.role, num(m.boot), num(m.cycle), formatAgo(m.lastSeenAgoMs), m.health]),
    W,
  );
}

export function formatVotes(vs: VoteInfo[]): string[] {
  if (vs.length === 0) return ['no votes yet'];
  return table(
    [{ header: 'CYCLE', align: 'right' }, { header: 'OUTCOME' }, { header: 'AGREE' }, { header: 'DISSENT' },
      { header: 'MISSING' }, { header: 'DIGEST' }],
    vs.map((v) => [String(v.cycle), v.outcome, list(v.agree), list(v.dissent), list(v.missing), v.digest.slice(0, 16)]),
    W,
  );
}

export function formatLinks(ls: LinkInfo[]): string[] {
  if (ls.length === 0) return ['no links'];
  return table(
    [{ header: 'PEER' }, { header: 'MEDIUM' }, { header: 'STATE' }, { header: 'RTT ms', align: 'right' },
      { header: 'LOSS%', align: 'right' }, { header: 'CRC', align: 'right' }, { header: 'AUTH', align: 'right' },
      { header: 'RX', align: 'right' }, { header: 'TX', align: 'right' }, { header: 'LAST RX', align: 'right' }],
    ls.map((l) => [l.peer, l.medium, l.state, num(l.rttMs, 2), num(l.lossPct, 1), String(l.crcErrors),
      String(l.authErrors), String(l.framesRx), String(l.framesTx), formatAgo(l.lastRxAgoMs)]),
    W,
  );
}

export function formatWdt(w: WdtInfo): string[] {
  const head = [
    `watchdog ${w.device}  ${w.armed ? 'armed' : 'not armed'}  timeout ${formatAgo(w.timeoutMs)}` +
      `  left ${formatAgo(w.timeleftMs)}  last feed ${formatAgo(w.lastFeedAgoMs)} ago`,
    w.feeding ? 'gate: feeding' : `gate: WITHHELD (${w.withheldReason ?? 'no reason given'}): the board will reset`,
  ].map((l) => clip(l, W));
  if (w.checks.length === 0) return head;
  return [...head, ...table([{ header: 'CHECK' }, { header: 'OK' }, { header: 'DETAIL' }],
    w.checks.map((c) => [c.name, c.ok ? 'ok' : 'FAIL', c.detail]), W)];
}

export function formatPsu(p: PsuInfo): string[] {
  if (p.supplies.length === 0) return ['no supplies monitored'];
  return table(
    [{ header: 'SUPPLY' }, { header: 'OK' }, { header: 'VOLTS', align: 'right' }, { header: 'AMPS', align: 'right' },
      { header: 'DETAIL' }],
    p.supplies.map((s) => [s.name, s.ok ? 'ok' : 'FAIL', num(s.volts, 2), num(s.amps, 3), s.detail]),
    W,
  );
}

export function formatNic(n: NicInfo): string[] {
  const head = n.bond
    ? [clip(`bond ${n.bond}  mode ${n.mode ?? '-'}  active ${n.activeSlave ?? 'none'}`, W)]
    : ['no bond'];
  if (n.interfaces.length === 0) return head;
  return [...head, ...table(
    [{ header: 'IFACE' }, { header: 'LINK' }, { header: 'SPEED', align: 'right' }, { header: 'RX ERR', align: 'right' },
      { header: 'TX ERR', align: 'right' }],
    n.interfaces.map((i) => [i.name, i.up ? 'up' : 'DOWN', i.speedMbps === null ? '-' : `${i.speedMbps}M`,
      String(i.rxErrors), String(i.txErrors)]),
    W,
  )];
}

export function formatFaults(fs: FaultInfo[]): string[] {
  if (fs.length === 0) return ['no faults'];
  return table(
    [{ header: 'AT', align: 'right' }, { header: 'SOURCE' }, { header: 'STATE' }, { header: 'WHAT' }],
    fs.map((f) => [f.atMs === null ? '-' : `${(f.atMs / 1000).toFixed(1)}s`, f.source, f.state, f.what]),
    W,
  );
}

const ENVELOPE = new Set(['t', 'mono', 'board', 'boot', 'seq', 'kind']);

/** One line per event: time of day, boot, kind, then the event's own fields as k=v. */
export function formatLog(es: LogEvent[]): string[] {
  if (es.length === 0) return ['log is empty'];
  return es.map((e) => {
    const time = typeof e.t === 'string' ? e.t.slice(11, 23) : '?';
    const rest = Object.entries(e)
      .filter(([k]) => !ENVELOPE.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return clip(`${time} #${e.boot} ${e.kind} ${rest}`.trimEnd(), W);
  });
}

function list(xs: string[]): string {
  return xs.length === 0 ? '-' : xs.join(',');
}
