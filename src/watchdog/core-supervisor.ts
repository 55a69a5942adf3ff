/**
 * Pure supervision core, after AUTOSAR's Watchdog Manager (WdgM, AUTOSAR_SWS_WatchdogManager):
 * supervised entities report checkpoints; alive, deadline and logical supervision judge them;
 * each entity has a local status and all of them feed one global status.
 *
 * Pure and stepped: the caller passes the time (ms, monotonic) into every call. No timers, no I/O.
 *
 * Status semantics (WdgM §7.1.6, simplified):
 * - A failed check makes its entity FAILED. Consecutive failures beyond the check's tolerance make
 *   it EXPIRED. A passing check brings a FAILED entity back to OK.
 * - EXPIRED is latched: only a reset (a new Supervisor, i.e. a new process) clears it.
 * - Global status: EXPIRED if any entity expired, else FAILED if any failed, else OK.
 *
 * Node-specific additions: measurement supervision (a sampled value against a limit, e.g. the
 * event-loop delay from perf_hooks or the heap in use), which also fails when samples stop coming.
 */
import { WatchdogConfigError, requireIntIn, requireNumberIn } from './core-config-error.ts';

export type SupervisionStatus = 'OK' | 'FAILED' | 'EXPIRED';

/** Alive supervision: `checkpoint` reached expectedIndications (−minMargin, +maxMargin) times per reference cycle. */
export interface AliveSupervision {
  checkpoint: string;
  referenceCycleMs: number;
  expectedIndications: number;
  minMargin: number;
  maxMargin: number;
  /** Consecutive failed reference cycles tolerated (entity FAILED) before EXPIRED (WdgMFailedAliveSupervisionRefCycleTol). */
  failedCyclesTolerance: number;
}

/**
 * Deadline supervision: from `start` to `end` within [minMs, maxMs]. An overrun is detected by
 * `step()` as soon as maxMs has passed, without waiting for `end` (a hung task never reaches it).
 * `start === end` supervises the interval between consecutive occurrences of one checkpoint.
 */
export interface DeadlineSupervision {
  start: string;
  end: string;
  minMs: number;
  maxMs: number;
  /** Consecutive failures tolerated before EXPIRED. WdgM expires at once: default 0. */
  failuresTolerance?: number;
}

/** Logical supervision: checkpoints must follow the declared graph. */
export interface LogicalSupervision {
  /** Checkpoints a run may begin with. */
  initial: string[];
  /** Checkpoints that end a run (the next checkpoint must be an initial one again). */
  final: string[];
  transitions: ReadonlyArray<readonly [from: string, to: string]>;
  /** Consecutive failures tolerated before EXPIRED. Default 0. */
  failuresTolerance?: number;
}

export interface EntityConfig {
  name: string;
  checkpoints: string[];
  alive?: AliveSupervision[];
  deadline?: DeadlineSupervision[];
  logical?: LogicalSupervision[];
}

/** A sampled value supervised against a limit (event-loop delay, heap in use). */
export interface MeasurementSupervision {
  /** Entity name, e.g. `eventLoopDelayMs` or `heapUsedBytes`. */
  name: string;
  /** A sample above this fails. */
  limit: number;
  /** Consecutive failing samples (or stale periods) tolerated before EXPIRED. */
  exceededTolerance: number;
  /** No sample for this long counts as a failure: the monitor itself stopped. */
  staleMs: number;
}

export interface SupervisorConfig {
  entities: EntityConfig[];
  measurements?: MeasurementSupervision[];
}

export type FaultKind = 'alive' | 'deadline' | 'logical' | 'measurement' | 'stale';

export interface SupervisionFault {
  entity: string;
  kind: FaultKind;
  detail: string;
  atMs: number;
}

export interface EntityReport {
  name: string;
  status: SupervisionStatus;
}

export interface SupervisorReport {
  global: SupervisionStatus;
  entities: EntityReport[];
  /** The fault that first made an entity EXPIRED (what bootstatus / the console should show). */
  expiredBy: SupervisionFault | undefined;
  /** The most recent faults, oldest first, at most `faultsKeptMax`. */
  recentFaults: SupervisionFault[];
  faultCount: number;
}

/** Bound on the fault history kept in memory. */
export const faultsKeptMax = 32;
/** Bounds on configuration sizes (a limit on everything). */
export const entitiesMax = 64;
export const checkpointsPerEntityMax = 64;
/** Longest period any supervision may use (1 hour): beyond that a hardware watchdog is moot. */
const periodMaxMs = 3_600_000;

/** Counts consecutive failures of one check against its tolerance; EXPIRED latches. */
class FailureCounter {
  consecutive = 0;
  expired = false;
  constructor(readonly tolerance: number) {}
  /** Returns true when this failure made the check expire. */
  fail(): boolean {
    this.consecutive++;
    if (!this.expired && this.consecutive > this.tolerance) {
      this.expired = true;
      return true;
    }
    return false;
  }
  pass(): void {
    if (!this.expired) this.consecutive = 0;
  }
  get status(): SupervisionStatus {
    if (this.expired) return 'EXPIRED';
    return this.consecutive > 0 ? 'FAILED' : 'OK';
  }
}

interface Check {
  readonly counter: FailureCounter;
  /** Called for every checkpoint of the entity, in order. */
  onCheckpoint(cp: string, nowMs: number): void;
  /** Called on every step, to notice what did not happen. */
  onStep(nowMs: number): void;
}

type FaultSink = (kind: FaultKind, detail: string, atMs: number, counter: FailureCounter) => void;

class AliveCheck implements Check {
  readonly counter: FailureCounter;
  #count = 0;
  #cycleStartMs: number;
  constructor(
    readonly cfg: AliveSupervision,
    startMs: number,
    readonly fault: FaultSink,
  ) {
    this.counter = new FailureCounter(cfg.failedCyclesTolerance);
    this.#cycleStartMs = startMs;
  }
  #rollOver(nowMs: number): void {
    const { referenceCycleMs, expectedIndications, minMargin, maxMargin, checkpoint } = this.cfg;
    while (nowMs >= this.#cycleStartMs + referenceCycleMs) {
      const endMs = this.#cycleStartMs + referenceCycleMs;
      const lo = expectedIndications - minMargin;
      const hi = expectedIndications + maxMargin;
      if (this.#count < lo || this.#count > hi) {
        this.fault(
          'alive',
          `checkpoint "${checkpoint}" reached ${this.#count} times in ${referenceCycleMs} ms, expected ${lo}..${hi}`,
          endMs,
          this.counter,
        );
      } else {
        this.counter.pass();
      }
      this.#count = 0;
      this.#cycleStartMs = endMs;
      if (this.counter.expired) {
        // Expiry is latched: skip the remaining empty cycles of a long gap in O(1).
        const cycles = Math.floor((nowMs - this.#cycleStartMs) / referenceCycleMs);
        this.#cycleStartMs += cycles * referenceCycleMs;
      }
    }
  }
  onCheckpoint(cp: string, nowMs: number): void {
    this.#rollOver(nowMs);
    if (cp === this.cfg.checkpoint) this.#count++;
  }
  onStep(nowMs: number): void {
    this.#rollOver(nowMs);
  }
}

class DeadlineCheck implements Check {
  readonly counter: FailureCounter;
  #startedAtMs: number | undefined;
  #overrunReported = false;
  constructor(
    readonly cfg: DeadlineSupervision,
    readonly fault: FaultSink,
  ) {
    this.counter = new FailureCounter(cfg.failuresTolerance ?? 0);
  }
  onCheckpoint(cp: string, nowMs: number): void {
    const { start, end, minMs, maxMs } = this.cfg;
    if (cp === end && this.#startedAtMs !== undefined) {
      const elapsedMs = nowMs - this.#startedAtMs;
      if (elapsedMs < minMs) {
        this.fault('deadline', `"${start}" -> "${end}" took ${elapsedMs} ms, faster than the minimum ${minMs} ms`, nowMs, this.counter);
      } else if (elapsedMs > maxMs) {
        if (!this.#overrunReported) {
          this.fault('deadline', `"${start}" -> "${end}" took ${elapsedMs} ms, over the maximum ${maxMs} ms`, nowMs, this.counter);
        }
      } else {
        this.counter.pass();
      }
      this.#startedAtMs = undefined;
    }
    if (cp === start) {
      this.#startedAtMs = nowMs;
      this.#overrunReported = false;
    }
  }
  onStep(nowMs: number): void {
    const { start, end, maxMs } = this.cfg;
    if (this.#startedAtMs !== undefined && !this.#overrunReported && nowMs - this.#startedAtMs > maxMs) {
      this.#overrunReported = true;
      this.fault('deadline', `"${end}" not reached within ${maxMs} ms of "${start}"`, nowMs, this.counter);
    }
  }
}

class LogicalCheck implements Check {
  readonly counter: FailureCounter;
  readonly #members: Set<string>;
  readonly #initial: Set<string>;
  readonly #final: Set<string>;
  readonly #next = new Map<string, Set<string>>();
  #last: string | undefined;
  constructor(
    cfg: LogicalSupervision,
    readonly fault: FaultSink,
  ) {
    this.counter = new FailureCounter(cfg.failuresTolerance ?? 0);
    this.#initial = new Set(cfg.initial);
    this.#final = new Set(cfg.final);
    this.#members = new Set([...cfg.initial, ...cfg.final]);
    for (const [from, to] of cfg.transitions) {
      this.#members.add(from);
      this.#members.add(to);
      let set = this.#next.get(from);
      if (!set) this.#next.set(from, (set = new Set()));
      set.add(to);
    }
  }
  onCheckpoint(cp: string, nowMs: number): void {
    if (!this.#members.has(cp)) return;
    const last = this.#last;
    const ok = last === undefined ? this.#initial.has(cp) : (this.#next.get(last)?.has(cp) ?? false);
    if (ok) {
      this.counter.pass();
    } else {
      const detail =
        last === undefined
          ? `"${cp}" cannot begin a run (initial: ${[...this.#initial].join(', ')})`
          : `"${cp}" may not follow "${last}"`;
      this.fault('logical', detail, nowMs, this.counter);
    }
    // After a wrong step, resynchronise on the checkpoint seen so the next error is judged fresh.
    this.#last = this.#final.has(cp) ? undefined : cp;
  }
  onStep(): void {}
}

class MeasurementCheck implements Check {
  readonly counter: FailureCounter;
  #lastSampleMs: number;
  constructor(
    readonly cfg: MeasurementSupervision,
    startMs: number,
    readonly fault: FaultSink,
  ) {
    this.counter = new FailureCounter(cfg.exceededTolerance);
    this.#lastSampleMs = startMs;
  }
  sample(value: number, nowMs: number): void {
    this.#lastSampleMs = nowMs;
    if (!(value <= this.cfg.limit)) {
      this.fault('measurement', `${this.cfg.name} = ${value}, over the limit ${this.cfg.limit}`, nowMs, this.counter);
    } else {
      this.counter.pass();
    }
  }
  onCheckpoint(): void {}
  onStep(nowMs: number): void {
    const { staleMs, name } = this.cfg;
    while (nowMs - this.#lastSampleMs > staleMs && !this.counter.expired) {
      // Each stale period counts as one failed sample.
      this.#lastSampleMs += staleMs;
      this.fault('stale', `no ${name} sample for ${staleMs} ms`, nowMs, this.counter);
    }
  }
}

interface Entity {
  readonly name: string;
  readonly checkpoints: ReadonlySet<string>;
  readonly checks: Check[];
}

export class Supervisor {
  readonly #entities = new Map<string, Entity>();
  readonly #measurements = new Map<string, MeasurementCheck>();
  readonly #faults: SupervisionFault[] = [];
  #faultCount = 0;
  #expiredBy: SupervisionFault | undefined;
  #lastMs: number;

  /** Validates `config` (throws WatchdogConfigError naming the field and the fix). */
  constructor(config: SupervisorConfig, startMs: number) {
    validateSupervisorConfig(config);
    this.#lastMs = startMs;
    for (const e of config.entities) {
      const entityName = e.name;
      const sink: FaultSink = (kind, detail, atMs, counter) => this.#recordFault(entityName, kind, detail, atMs, counter);
      const checks: Check[] = [
        ...(e.alive ?? []).map((a) => new AliveCheck(a, startMs, sink)),
        ...(e.deadline ?? []).map((d) => new DeadlineCheck(d, sink)),
        ...(e.logical ?? []).map((l) => new LogicalCheck(l, sink)),
      ];
      this.#entities.set(e.name, { name: e.name, checkpoints: new Set(e.checkpoints), checks });
    }
    for (const m of config.measurements ?? []) {
      const sink: FaultSink = (kind, detail, atMs, counter) => this.#recordFault(m.name, kind, detail, atMs, counter);
      this.#measurements.set(m.name, new MeasurementCheck(m, startMs, sink));
    }
  }

  #recordFault(entity: string, kind: FaultKind, detail: string, atMs: number, counter: FailureCounter): void {
    const fault: SupervisionFault = { entity, kind, detail, atMs };
    const expiredNow = counter.fail();
    if (expiredNow && this.#expiredBy === undefined) this.#expiredBy = fault;
    this.#faultCount++;
    this.#faults.push(fault);
    if (this.#faults.length > faultsKeptMax) this.#faults.shift();
  }

  #advance(nowMs: number): void {
    if (!(nowMs >= this.#lastMs)) throw new RangeError(`Supervisor: time went backwards (${nowMs} < ${this.#lastMs})`);
    this.#lastMs = nowMs;
  }

  /** A supervised entity reached `checkpoint`. Unknown names are programmer errors and throw. */
  checkpoint(entity: string, checkpoint: string, nowMs: number): void {
    const e = this.#entities.get(entity);
    if (!e) throw new Error(`Supervisor.checkpoint: unknown entity "${entity}"`);
    if (!e.checkpoints.has(checkpoint)) throw new Error(`Supervisor.checkpoint: entity "${entity}" has no checkpoint "${checkpoint}"`);
    this.#advance(nowMs);
    for (const c of e.checks) c.onCheckpoint(checkpoint, nowMs);
  }

  /** A sample for measurement supervision `name` (e.g. event-loop delay p99 in ms). */
  measure(name: string, value: number, nowMs: number): void {
    const m = this.#measurements.get(name);
    if (!m) throw new Error(`Supervisor.measure: unknown measurement "${name}"`);
    this.#advance(nowMs);
    m.sample(value, nowMs);
  }

  /** Notices what did not happen by `nowMs` (missed alive cycles, overruns, stale monitors). */
  step(nowMs: number): SupervisionStatus {
    this.#advance(nowMs);
    for (const e of this.#entities.values()) for (const c of e.checks) c.onStep(nowMs);
    for (const m of this.#measurements.values()) m.onStep(nowMs);
    return this.globalStatus;
  }

  entityStatus(name: string): SupervisionStatus {
    const e = this.#entities.get(name);
    if (e) return worst(e.checks.map((c) => c.counter.status));
    const m = this.#measurements.get(name);
    if (m) return m.counter.status;
    throw new Error(`Supervisor.entityStatus: unknown entity "${name}"`);
  }

  get globalStatus(): SupervisionStatus {
    return worst(this.#allNames().map((n) => this.entityStatus(n)));
  }

  #allNames(): string[] {
    return [...this.#entities.keys(), ...this.#measurements.keys()];
  }

  report(): SupervisorReport {
    const entities = this.#allNames().map((name) => ({ name, status: this.entityStatus(name) }));
    return {
      global: worst(entities.map((e) => e.status)),
      entities,
      expiredBy: this.#expiredBy,
      recentFaults: [...this.#faults],
      faultCount: this.#faultCount,
    };
  }
}

const rank: Record<SupervisionStatus, number> = { OK: 0, FAILED: 1, EXPIRED: 2 };

export function worst(statuses: Iterable<SupervisionStatus>): SupervisionStatus {
  let w: SupervisionStatus = 'OK';
  for (const s of statuses) if (rank[s] > rank[w]) w = s;
  return w;
}

const fixCheckpoints = 'list every checkpoint the supervisions name in the entity\'s "checkpoints"';

/** Throws WatchdogConfigError naming the first bad field and its fix. */
export function validateSupervisorConfig(config: SupervisorConfig): void {
  const base = 'supervision';
  if (!Array.isArray(config.entities)) {
    throw new WatchdogConfigError(`${base}.entities`, config.entities, 'must be a list', 'give a list of supervised entities');
  }
  if (config.entities.length > entitiesMax) {
    throw new WatchdogConfigError(`${base}.entities`, `${config.entities.length} entities`, `more than ${entitiesMax}`, 'merge entities');
  }
  const names = new Set<string>();
  const claim = (field: string, name: string) => {
    if (typeof name !== 'string' || name === '') {
      throw new WatchdogConfigError(field, name, 'must be a non-empty string', 'name each entity and measurement');
    }
    if (names.has(name)) throw new WatchdogConfigError(field, name, 'is used twice', 'give each entity and measurement its own name');
    names.add(name);
  };
  config.entities.forEach((e, i) => {
    const at = `${base}.entities[${i}]`;
    claim(`${at}.name`, e.name);
    if (!Array.isArray(e.checkpoints) || e.checkpoints.length === 0 || e.checkpoints.length > checkpointsPerEntityMax) {
      throw new WatchdogConfigError(`${at}.checkpoints`, e.checkpoints, `must list 1..${checkpointsPerEntityMax} checkpoints`, fixCheckpoints);
    }
    const cps = new Set(e.checkpoints);
    const known = (field: string, cp: string) => {
      if (!cps.has(cp)) throw new WatchdogConfigError(field, cp, `is not one of entity "${e.name}"'s checkpoints`, fixCheckpoints);
    };
    (e.alive ?? []).forEach((a, j) => {
      const f = `${at}.alive[${j}]`;
      known(`${f}.checkpoint`, a.checkpoint);
      requireNumberIn(`${f}.referenceCycleMs`, a.referenceCycleMs, 1, periodMaxMs, 'use the period (ms) over which indications are counted');
      requireIntIn(`${f}.expectedIndications`, a.expectedIndications, 1, 1_000_000, 'count the checkpoint\'s indications per reference cycle');
      requireIntIn(`${f}.minMargin`, a.minMargin, 0, a.expectedIndications - 1, 'keep expectedIndications - minMargin >= 1, or a dead entity passes');
      requireIntIn(`${f}.maxMargin`, a.maxMargin, 0, 1_000_000, 'use a non-negative integer');
      requireIntIn(`${f}.failedCyclesTolerance`, a.failedCyclesTolerance, 0, 1000, 'use a small non-negative integer (0 = expire on the first failed cycle)');
    });
    (e.deadline ?? []).forEach((d, j) => {
      const f = `${at}.deadline[${j}]`;
      known(`${f}.start`, d.start);
      known(`${f}.end`, d.end);
      requireNumberIn(`${f}.minMs`, d.minMs, 0, periodMaxMs, 'use 0 for no lower bound');
      requireNumberIn(`${f}.maxMs`, d.maxMs, Math.max(d.minMs, 1e-3), periodMaxMs, 'make maxMs greater than minMs');
      if (d.failuresTolerance !== undefined) requireIntIn(`${f}.failuresTolerance`, d.failuresTolerance, 0, 1000, 'use a small non-negative integer');
    });
    (e.logical ?? []).forEach((l, j) => {
      const f = `${at}.logical[${j}]`;
      if (!Array.isArray(l.initial) || l.initial.length === 0) {
        throw new WatchdogConfigError(`${f}.initial`, l.initial, 'must list at least one checkpoint', 'name the checkpoints a run may begin with');
      }
      l.initial.forEach((cp, k) => known(`${f}.initial[${k}]`, cp));
      (l.final ?? []).forEach((cp, k) => known(`${f}.final[${k}]`, cp));
      l.transitions.forEach(([from, to], k) => {
        known(`${f}.transitions[${k}][0]`, from);
        known(`${f}.transitions[${k}][1]`, to);
      });
      if (l.failuresTolerance !== undefined) requireIntIn(`${f}.failuresTolerance`, l.failuresTolerance, 0, 1000, 'use a small non-negative integer');
    });
  });
  (config.measurements ?? []).forEach((m, i) => {
    const f = `${base}.measurements[${i}]`;
    claim(`${f}.name`, m.name);
    requireNumberIn(`${f}.limit`, m.limit, 0, Number.MAX_SAFE_INTEGER, 'use the largest acceptable sample value');
    requireIntIn(`${f}.exceededTolerance`, m.exceededTolerance, 0, 1000, 'use a small non-negative integer');
    requireNumberIn(`${f}.staleMs`, m.staleMs, 1, periodMaxMs, 'use a few sampling periods');
  });
}
