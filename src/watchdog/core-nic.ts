/**
 * Bonded-NIC health (pure): from a parsed bond (core-bonding-parse.ts) to redundant / degraded /
 * down. A slave counts as usable when its MII is up and, in 802.3ad mode, it belongs to the
 * active aggregator (a slave in another aggregator carries no traffic, bonding.rst §3.3 ad_select).
 */
import type { BondInfo, BondSlave } from './core-bonding-parse.ts';
import { RedundancyTracker, redundancyOf } from './core-redundancy.ts';
import type { Redundancy, RedundancyChange } from './core-redundancy.ts';

export type NicState = 'redundant' | 'degraded' | 'down' | 'unknown';
export const nicStateNames: Record<Redundancy, NicState> = { redundant: 'redundant', degraded: 'degraded', none: 'down', unknown: 'unknown' };

export interface BondAssessment {
  redundancy: Exclude<Redundancy, 'unknown'>;
  usable: string[];
  cause: string;
}

function whyUnusable(info: BondInfo, s: BondSlave): string | undefined {
  if (!s.miiUp) return `${s.name} down`;
  if (info.mode === '802.3ad' && info.activeAggregatorId !== undefined && s.aggregatorId !== info.activeAggregatorId) {
    return `${s.name} up but in aggregator ${s.aggregatorId ?? '?'}, not the active aggregator ${info.activeAggregatorId}`;
  }
  return undefined;
}

export function assessBond(info: BondInfo): BondAssessment {
  const usable: string[] = [];
  const problems: string[] = [];
  for (const s of info.slaves) {
    const why = whyUnusable(info, s);
    if (why === undefined) usable.push(s.name);
    else problems.push(why);
  }
  // The bond's own MII status is down when no slave carries traffic, whatever the slaves say.
  const good = info.miiUp ? usable.length : 0;
  if (!info.miiUp) problems.unshift(`${info.bond} MII down`);
  const redundancy = redundancyOf(good);
  const summary = `${info.bond} (${info.mode}): ${good} of ${info.slaves.length} slaves usable`;
  return { redundancy, usable: info.miiUp ? usable : [], cause: problems.length ? `${summary}; ${problems.join('; ')}` : summary };
}

export class NicMonitorCore {
  readonly #tracker: RedundancyTracker<NicState>;
  #readErrors = 0;
  #lastError: string | undefined;
  #last: BondInfo | undefined;
  constructor(
    readonly bond: string,
    startMs: number,
  ) {
    this.#tracker = new RedundancyTracker(nicStateNames, startMs);
  }
  /** A fresh reading: the parsed bond, or the error reading/parsing it (an operating error, counted). */
  update(reading: BondInfo | Error, nowMs: number): RedundancyChange<NicState> | undefined {
    if (reading instanceof Error) {
      this.#readErrors++;
      this.#lastError = reading.message;
      this.#last = undefined;
      return this.#tracker.set('unknown', reading.message, nowMs);
    }
    this.#last = reading;
    this.#lastError = undefined;
    const a = assessBond(reading);
    return this.#tracker.set(a.redundancy, a.cause, nowMs);
  }
  get state(): NicState {
    return this.#tracker.state;
  }
  get cause(): string {
    return this.#tracker.cause;
  }
  get handOver(): boolean {
    return this.#tracker.handOver;
  }
  get changes(): readonly RedundancyChange<NicState>[] {
    return this.#tracker.changes;
  }
  get readErrors(): number {
    return this.#readErrors;
  }
  get lastError(): string | undefined {
    return this.#lastError;
  }
  /** Sum of the slaves' link failure counts in the last good reading (a flapping-link indicator). */
  get linkFailures(): number {
    return (this.#last?.slaves ?? []).reduce((n, s) => n + (s.linkFailureCount ?? 0), 0);
  }
}
