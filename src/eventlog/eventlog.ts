/**
 * Per-board event log: JSON Lines on disk, bounded, rotated, surviving restarts and resets.
 *
 * Files, in `dir`: `<board>.events.jsonl` (current), `<board>.events.1.jsonl` (previous), ...
 * up to `filesMax` files in all. Total disk use <= filesMax * bytesMax.
 *
 * Why synchronous appends: one event is one small line (<= lineBytesMax, 4 KiB by default) written
 * with a single `write(2)` on an O_APPEND descriptor, which lands in the page cache without waiting
 * for the disk (no fsync: the kernel's writeback flushes it; a reset loses at most the last few
 * seconds, which the other two boards' logs cover). Measured here (test/eventlog): ~10 µs per append
 * idle, ~50 µs with both cores busy: a dozen events in a 10 ms cycle cost well under 1 ms. An async queue
 * would add reordering and a second place to bound memory for no gain. Rotation (a few renames)
 * happens once per bytesMax.
 *
 * Crash safety: a kill -9 or reset can only cut the last line (a single append). On reopen, a file
 * not ending in "\n" gets one, so the cut line stays isolated; readers skip any line that does not
 * parse and count it (`skippedLines`).
 *
 * Operating errors (disk full, EIO, directory gone) never throw from `append`: they are counted
 * in `stats.writeErrors` and the last one is kept in `stats.lastError`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Clock } from '../ports/clock.ts';
import type { EventFields, EventKind } from './events.ts';
import { monotonicClock } from '../ports/clock.ts';

/** Fields every event carries. */
export interface EventBase {
  /** Wall-clock time, ISO 8601 (for humans and for correlating boards; may step with NTP). */
  t: string;
  /** Monotonic ms of the writing process (ordering within one boot). */
  mono: number;
  board: string;
  /** Boot count / epoch of the process that wrote it (increments at every restart/reset). */
  boot: number;
  /** Sequence number within this boot, from 0. */
  seq: number;
  kind: string;
}
export type LogEvent = EventBase & Record<string, unknown>;

/**
 * What a board writes its events to: the rotating files of EventLog on a board and in `ftc sim`,
 * MemoryEventLog in the seeded simulator. `append` never throws for I/O errors.
 */
export interface BoardLog {
  /** One event of a declared kind (src/eventlog/events.ts) with its fields. */
  append<K extends EventKind>(kind: K, fields: EventFields[K]): LogEvent;
  onAppend(listener: (e: LogEvent) => void): () => void;
  /** The last n events, oldest first. */
  readLast(n: number): ReadResult;
}

export interface EventLogOptions {
  dir: string;
  board: string;
  boot: number;
  /** Rotate when the current file would exceed this. Default 1 MiB. */
  bytesMax?: number;
  /** Files kept, current included. Default 4. */
  filesMax?: number;
  /** Longest line; a bigger event is replaced by a stub saying so. Default 4096. */
  lineBytesMax?: number;
  clock?: Clock;
  /** Wall clock, ms since the epoch. Default Date.now. */
  wallNowMs?: () => number;
}

export interface EventLogStats {
  appended: number;
  rotations: number;
  truncatedEvents: number;
  writeErrors: number;
  lastError: string | null;
}

export interface ReadResult {
  events: LogEvent[];
  /** Lines that did not parse as an event (a line cut by a crash, or damage). */
  skippedLines: number;
}

const BYTES_MAX_DEFAULT = 1 << 20;
const FILES_MAX_DEFAULT = 4;
const LINE_BYTES_MAX_DEFAULT = 4096;
/** Bound on the listeners, so a leak shows up as an error instead of slow growth. */
const LISTENERS_MAX = 16;

/** Path of file `index` (0 = current) of a board's log. */
export function eventLogPath(dir: string, board: string, index: number): string {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(board)) throw new RangeError(`event log: bad board name "${board}"`);
  return path.join(dir, index === 0 ? `${board}.events.jsonl` : `${board}.events.${index}.jsonl`);
}

export class EventLog implements BoardLog {
  readonly dir: string;
  readonly board: string;
  readonly boot: number;
  readonly bytesMax: number;
  readonly filesMax: number;
  readonly lineBytesMax: number;
  readonly stats: EventLogStats = { appended: 0, rotations: 0, truncatedEvents: 0, writeErrors: 0, lastError: null };
  #fd: number | null = null;
  #sizeBytes = 0;
  #seq = 0;
  #clock: Clock;
  #wallNowMs: () => number;
  #listeners: Array<(e: LogEvent) => void> = [];

  constructor(options: EventLogOptions) {
    this.dir = options.dir;
    this.board = options.board;
    this.boot = options.boot;
    this.bytesMax = options.bytesMax ?? BYTES_MAX_DEFAULT;
    this.filesMax = options.filesMax ?? FILES_MAX_DEFAULT;
    this.lineBytesMax = options.lineBytesMax ?? LINE_BYTES_MAX_DEFAULT;
    if (!(Number.isInteger(this.filesMax) && this.filesMax >= 1 && this.filesMax <= 100)) {
      throw new RangeError(`event log: filesMax must be an integer in [1, 100], got ${this.filesMax}`);
    }
    if (!(this.lineBytesMax >= 256 && this.bytesMax >= this.lineBytesMax)) {
      throw new RangeError(`event log: need 256 <= lineBytesMax (${this.lineBytesMax}) <= bytesMax (${this.bytesMax})`);
    }
    eventLogPath(this.dir, this.board, 0); // validates the board name
    this.#clock = options.clock ?? monotonicClock;
    this.#wallNowMs = options.wallNowMs ?? Date.now;
    this.#open();
  }

  /** Append an event; returns it (with its envelope). Never throws for I/O errors. */
  append<K extends EventKind>(kind: K, fields: EventFields[K]): LogEvent {
    const event: LogEvent = {
      ...fields,
      t: new Date(this.#wallNowMs()).toISOString(),
      mono: Math.round(this.#clock.nowMs() * 1000) / 1000,
      board: this.board,
      boot: this.boot,
      seq: this.#seq++,
      kind,
    };
    let line = safeStringify(event) + '\n';
    if (Buffer.byteLength(line) > this.lineBytesMax) {
      this.stats.truncatedEvents++;
      const { t, mono, board, boot, seq } = event;
      line = JSON.stringify({ t, mono, board, boot, seq, kind, truncated: true, bytes: Buffer.byteLength(line) }) + '\n';
    }
    this.#write(Buffer.from(line));
    this.stats.appended++;
    for (const l of this.#listeners) l(event);
    return event;
  }

  /** Called after each append (the board forwards events to stdout for `ftc sim --json`). */
  onAppend(listener: (e: LogEvent) => void): () => void {
    if (this.#listeners.length >= LISTENERS_MAX) throw new RangeError(`event log: more than ${LISTENERS_MAX} listeners`);
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** The last n events (oldest first), across rotated files. */
  readLast(n: number): ReadResult {
    return readEventLog(this.dir, this.board, n, this.filesMax);
  }

  close(): void {
    if (this.#fd !== null) {
      try {
        fs.closeSync(this.#fd);
      } catch {
        /* already gone: nothing to release */
      }
      this.#fd = null;
    }
  }

  #open(): void {
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      const p = eventLogPath(this.dir, this.board, 0);
      this.#fd = fs.openSync(p, 'a+'); // a+: O_APPEND, and readable to check the last byte
      this.#sizeBytes = fs.fstatSync(this.#fd).size;
      if (this.#sizeBytes > 0 && !endsWithNewline(this.#fd, this.#sizeBytes)) {
        // The previous process died mid-line: end that line so ours start clean.
        this.#sizeBytes += fs.writeSync(this.#fd, '\n');
      }
    } catch (e) {
      this.#error(e);
      this.#fd = null;
    }
  }

  #write(buf: Buffer): void {
    if (this.#sizeBytes + buf.length > this.bytesMax && this.#sizeBytes > 0) this.#rotate();
    if (this.#fd === null) this.#open();
    if (this.#fd === null) return;
    try {
      this.#sizeBytes += fs.writeSync(this.#fd, buf);
    } catch (e) {
      this.#error(e);
    }
  }

  #rotate(): void {
    this.close();
    try {
      // Shift .k -> .k+1 from the oldest down; the oldest beyond filesMax is overwritten.
      for (let i = this.filesMax - 1; i >= 1; i--) {
        const from = eventLogPath(this.dir, this.board, i - 1);
        if (fs.existsSync(from)) fs.renameSync(from, eventLogPath(this.dir, this.board, i));
      }
      if (this.filesMax === 1) fs.rmSync(eventLogPath(this.dir, this.board, 0), { force: true });
      this.stats.rotations++;
    } catch (e) {
      this.#error(e);
    }
    this.#open();
  }

  #error(e: unknown): void {
    this.stats.writeErrors++;
    this.stats.lastError = e instanceof Error ? e.message : String(e);
  }
}

function endsWithNewline(fd: number, size: number): boolean {
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, size - 1);
  return b[0] === 0x0a;
}

/** JSON.stringify that survives BigInt and cycles (an event must never crash the board). */
function safeStringify(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[cycle]';
      seen.add(v);
    }
    return v;
  });
}

/** Parse one line; null if it is not an event (cut by a crash, or damaged). */
export function parseEventLine(line: string): LogEvent | null {
  if (line.length === 0) return null;
  try {
    const v: unknown = JSON.parse(line);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
    const e = v as Record<string, unknown>;
    if (typeof e.kind !== 'string' || typeof e.board !== 'string' || typeof e.t !== 'string') return null;
    return e as LogEvent;
  } catch {
    return null;
  }
}

/**
 * Read the last n events of a board's log (oldest first) without opening it for writing:
 * for the console's `log`, for `ftc sim --json` and post-mortems. Missing files read as empty.
 */
export function readEventLog(dir: string, board: string, n: number, filesMax = 100): ReadResult {
  const events: LogEvent[] = [];
  let skippedLines = 0;
  if (n <= 0) return { events, skippedLines };
  // Newest file first; within a file, newest line last. Collect newest-first, reverse at the end.
  for (let i = 0; i < filesMax && events.length < n; i++) {
    let text: string;
    try {
      text = fs.readFileSync(eventLogPath(dir, board, i), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
      throw e;
    }
    const lines = text.split('\n');
    for (let j = lines.length - 1; j >= 0 && events.length < n; j--) {
      const line = lines[j]!;
      if (line === '') continue; // the split after the final "\n"
      const e = parseEventLine(line);
      if (e) events.push(e);
      else skippedLines++;
    }
  }
  return { events: events.reverse(), skippedLines };
}
