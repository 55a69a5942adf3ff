/**
 * Shared by the PSU and NIC monitors: a redundant resource (two PSUs, two bonded NICs) is
 * `redundant` while at least two units are good, degraded with one, and lost/down with none.
 * A board that degrades without dying must hand its active role away before it fails, so every
 * change into a non-redundant state carries `handOver: true` for the voter.
 *
 * Pure: the caller passes the time.
 */

export type Redundancy = 'redundant' | 'degraded' | 'none' | 'unknown';

export interface RedundancyChange<S extends string> {
  from: S;
  to: S;
  atMs: number;
  /** Human-readable cause, for the console and logs. */
  cause: string;
  /** Ask the voter to hand the active role to a healthier board. */
  handOver: boolean;
}

/** Bound on the change history kept. */
export const changesKeptMax = 32;

/** Classifies by the number of good units: >= 2 redundant, 1 degraded, 0 none. */
export function redundancyOf(goodUnits: number): Exclude<Redundancy, 'unknown'> {
  if (goodUnits >= 2) return 'redundant';
  return goodUnits === 1 ? 'degraded' : 'none';
}

/**
 * Tracks one resource's state, names it with the resource's own words (`names.none` is "lost"
 * for power, "down" for a NIC) and reports changes.
 */
export class RedundancyTracker<S extends string> {
  #state: S;
  #sinceMs: number;
  #cause = 'start';
  readonly changes: RedundancyChange<S>[] = [];
  constructor(
    readonly names: Record<Redundancy, S>,
    startMs: number,
  ) {
    this.#state = names.unknown;
    this.#sinceMs = startMs;
  }
  get state(): S {
    return this.#state;
  }
  get sinceMs(): number {
    return this.#sinceMs;
  }
  get cause(): string {
    return this.#cause;
  }
  /** The voter should prefer another board while this resource is not redundant. */
  get handOver(): boolean {
    return this.#state !== this.names.redundant;
  }
  /** Sets the state; returns the change (also kept in `changes`) or undefined if none. */
  set(r: Redundancy, cause: string, nowMs: number): RedundancyChange<S> | undefined {
    const to = this.names[r];
    if (to === this.#state) {
      this.#cause = cause; // same state, perhaps for another reason: keep the console current
      return undefined;
    }
    const change: RedundancyChange<S> = { from: this.#state, to, atMs: nowMs, cause, handOver: to !== this.names.redundant };
    this.#state = to;
    this.#sinceMs = nowMs;
    this.#cause = cause;
    this.changes.push(change);
    if (this.changes.length > changesKeptMax) this.changes.shift();
    return change;
  }
}
