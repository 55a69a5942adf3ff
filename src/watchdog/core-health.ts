/**
 * A board's health summary, exchanged with peers (MsgType.Health payload) so the voter can prefer
 * the healthiest board as active and the console can show why. Pure.
 */
import type { NicState } from './core-nic.ts';
import type { PsuState } from './core-psu.ts';
import type { SupervisionStatus } from './core-supervisor.ts';

export interface HealthSummary {
  supervision: SupervisionStatus;
  psu: PsuState;
  nic: NicState;
  /** Board temperature in °C; undefined when no sensor is configured. Sent in 0.1 °C steps. */
  temperatureC: number | undefined;
  /** Worst recent event-loop delay in ms; undefined when not monitored. Sent as whole ms, capped. */
  eventLoopDelayMs: number | undefined;
  /** Error rate per link, in errors per million frames (index = link number). */
  linkErrorRatesPpm: number[];
}

export const healthLinksMax = 8;
export const healthFormatVersion = 1;
const ppmMax = 1_000_000;
const loopDelayMaxMs = 0xffff;

export interface HealthThresholds {
  /** Above this temperature points are deducted progressively. */
  temperatureWarnC: number;
  /** At or above this temperature the board is treated as about to fail. */
  temperatureCritC: number;
  /** Event-loop delay considered normal. */
  eventLoopDelayOkMs: number;
}

/** Typical SBC limits: a Raspberry Pi throttles at 80-85 °C. */
export const defaultHealthThresholds: HealthThresholds = { temperatureWarnC: 70, temperatureCritC: 85, eventLoopDelayOkMs: 20 };

export interface HealthDeduction {
  points: number;
  reason: string;
}

/** Score of a perfectly healthy board. */
export const healthScoreMax = 1000;

const supervisionPoints: Record<SupervisionStatus, number> = { OK: 0, FAILED: 400, EXPIRED: 1000 };
const psuPoints: Record<PsuState, number> = { redundant: 0, degraded: 200, lost: 500, unknown: 50 };
const nicPoints: Record<NicState, number> = { redundant: 0, degraded: 200, down: 500, unknown: 50 };

/** Why a board is less than perfectly healthy, largest deductions first (for the console). */
export function healthDeductions(h: HealthSummary, th: HealthThresholds = defaultHealthThresholds): HealthDeduction[] {
  const out: HealthDeduction[] = [];
  const add = (points: number, reason: string) => {
    if (points > 0) out.push({ points: Math.round(points), reason });
  };
  add(supervisionPoints[h.supervision], `supervision ${h.supervision}`);
  add(psuPoints[h.psu], `power ${h.psu}`);
  add(nicPoints[h.nic], `network bond ${h.nic}`);
  if (h.temperatureC !== undefined) {
    if (h.temperatureC >= th.temperatureCritC) add(300, `temperature ${h.temperatureC} °C at or above ${th.temperatureCritC} °C`);
    else if (h.temperatureC > th.temperatureWarnC) add(Math.min(200, (h.temperatureC - th.temperatureWarnC) * 10), `temperature ${h.temperatureC} °C above ${th.temperatureWarnC} °C`);
  }
  if (h.eventLoopDelayMs !== undefined && h.eventLoopDelayMs > th.eventLoopDelayOkMs) {
    add(Math.min(100, (h.eventLoopDelayMs - th.eventLoopDelayOkMs) / 2), `event-loop delay ${h.eventLoopDelayMs} ms`);
  }
  h.linkErrorRatesPpm.forEach((ppm, i) => {
    // 1 % frame errors (10 000 ppm) costs 100 points, the cap.
    add(Math.min(100, ppm / 100), `link ${i} errors ${ppm} ppm`);
  });
  return out.sort((a, b) => b.points - a.points);
}

/** Higher is healthier; `healthScoreMax` for a perfect board. The voter ranks boards by it. */
export function healthScore(h: HealthSummary, th: HealthThresholds = defaultHealthThresholds): number {
  return healthDeductions(h, th).reduce((s, d) => s - d.points, healthScoreMax);
}

const supervisionCodes: SupervisionStatus[] = ['OK', 'FAILED', 'EXPIRED'];
const psuCodes: PsuState[] = ['unknown', 'redundant', 'degraded', 'lost'];
const nicCodes: NicState[] = ['unknown', 'redundant', 'degraded', 'down'];

export class HealthDecodeError extends Error {
  constructor(message: string) {
    super(`Health payload: ${message}`);
    this.name = 'HealthDecodeError';
  }
}

/**
 * Layout (big-endian), version 1, 7 + 4n bytes:
 *   0 version | 1 supervision:2 psu:2 nic:2 hasTemp:1 hasLoop:1 | 2-3 int16 temperature 0.1 °C |
 *   4-5 uint16 event-loop delay ms | 6 link count n (<= 8) | n × uint32 error rate ppm
 */
export function encodeHealth(h: HealthSummary): Uint8Array {
  if (h.linkErrorRatesPpm.length > healthLinksMax) throw new RangeError(`encodeHealth: ${h.linkErrorRatesPpm.length} links, at most ${healthLinksMax}`);
  const buf = new Uint8Array(7 + 4 * h.linkErrorRatesPpm.length);
  const dv = new DataView(buf.buffer);
  const code = <T>(codes: T[], v: T, what: string) => {
    const c = codes.indexOf(v);
    if (c < 0) throw new RangeError(`encodeHealth: bad ${what} ${String(v)}`);
    return c;
  };
  const hasTemp = h.temperatureC !== undefined;
  const hasLoop = h.eventLoopDelayMs !== undefined;
  dv.setUint8(0, healthFormatVersion);
  dv.setUint8(
    1,
    code(supervisionCodes, h.supervision, 'supervision') |
      (code(psuCodes, h.psu, 'psu') << 2) |
      (code(nicCodes, h.nic, 'nic') << 4) |
      (hasTemp ? 0x40 : 0) |
      (hasLoop ? 0x80 : 0),
  );
  dv.setInt16(2, hasTemp ? Math.max(-32768, Math.min(32767, Math.round((h.temperatureC as number) * 10))) : 0);
  dv.setUint16(4, hasLoop ? Math.max(0, Math.min(loopDelayMaxMs, Math.round(h.eventLoopDelayMs as number))) : 0);
  dv.setUint8(6, h.linkErrorRatesPpm.length);
  h.linkErrorRatesPpm.forEach((ppm, i) => dv.setUint32(7 + 4 * i, Math.max(0, Math.min(ppmMax, Math.round(ppm)))));
  return buf;
}

/** Decodes a Health payload; malformed input (a peer's bug, a corrupted frame) throws HealthDecodeError. */
export function decodeHealth(bytes: Uint8Array): HealthSummary {
  if (bytes.length < 7) throw new HealthDecodeError(`${bytes.length} bytes, at least 7 needed`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint8(0);
  if (version !== healthFormatVersion) throw new HealthDecodeError(`version ${version}, this board speaks ${healthFormatVersion}`);
  const flags = dv.getUint8(1);
  const supervision = supervisionCodes[flags & 3];
  if (supervision === undefined) throw new HealthDecodeError(`supervision code ${flags & 3} unknown`);
  const psu = psuCodes[(flags >> 2) & 3] as PsuState;
  const nic = nicCodes[(flags >> 4) & 3] as NicState;
  const n = dv.getUint8(6);
  if (n > healthLinksMax) throw new HealthDecodeError(`${n} links, at most ${healthLinksMax}`);
  if (bytes.length !== 7 + 4 * n) throw new HealthDecodeError(`${bytes.length} bytes for ${n} links, expected ${7 + 4 * n}`);
  const linkErrorRatesPpm: number[] = [];
  for (let i = 0; i < n; i++) {
    const ppm = dv.getUint32(7 + 4 * i);
    if (ppm > ppmMax) throw new HealthDecodeError(`link ${i} error rate ${ppm} ppm above ${ppmMax}`);
    linkErrorRatesPpm.push(ppm);
  }
  return {
    supervision,
    psu,
    nic,
    temperatureC: flags & 0x40 ? dv.getInt16(2) / 10 : undefined,
    eventLoopDelayMs: flags & 0x80 ? dv.getUint16(4) : undefined,
    linkErrorRatesPpm,
  };
}
