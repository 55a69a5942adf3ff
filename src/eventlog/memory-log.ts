/**
 * A board's event log kept in memory, for the seeded simulator: the same events and envelope as
 * EventLog (src/eventlog/eventlog.ts), no disk. Bounded: the oldest events are dropped once
 * `eventsMax` are held (a seed that writes more than that is looping, and says so in `dropped`).
 */
import type { Clock } from '../ports/clock.ts';
import type { EventFields, EventKind } from './events.ts';
import type { BoardLog, LogEvent, ReadResult } from './eventlog.ts';

export const MEMORY_LOG_EVENTS_MAX_DEFAULT = 20_000;

export interface MemoryEventLogOptions {
  board: string;
  boot: number;
  clock: Clock;
  /** Wall clock (ms since the epoch) for the `t` field; the simulator derives it from virtual time. */
  wallNowMs: () => number;
  eventsMax?: number;
}

export class MemoryEventLog implements BoardLog {
  readonly events: LogEvent[] = [];
  dropped = 0;
  readonly #o: MemoryEventLogOptions;
  readonly #eventsMax: number;
  #seq = 0;
  readonly #listeners: Array<(e: LogEvent) => void> = [];

  constructor(o: MemoryEventLogOptions) {
    this.#o = o;
    this.#eventsMax = o.eventsMax ?? MEMORY_LOG_EVENTS_MAX_DEFAULT;
    if (!(Number.isInteger(this.#eventsMax) && this.#eventsMax >= 1)) throw new RangeError(`memory event log: eventsMax must be a positive integer, got ${this.#eventsMax}`);
  }

  append<K extends EventKind>(kind: K, fields: EventFields[K]): LogEvent {
    const o = this.#o;
    const event: LogEvent = {
      ...fields,
      t: new Date(o.wallNowMs()).toISOString(),
      mono: Math.round(o.clock.nowMs() * 1000) / 1000,
      board: o.board,
      boot: o.boot,
      seq: this.#seq++,
      kind,
    };
    if (this.events.length >= this.#eventsMax) {
      this.events.shift();
      this.dropped++;
    }
    this.events.push(event);
    for (const l of this.#listeners) l(event);
    return event;
  }

  onAppend(listener: (e: LogEvent) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  readLast(n: number): ReadResult {
    return { events: n > 0 ? this.events.slice(-n) : [], skippedLines: 0 };
  }
}
