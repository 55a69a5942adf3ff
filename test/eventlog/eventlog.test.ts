import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EventLog, eventLogPath, readEventLog } from '../../src/eventlog/index.ts';
import type { LogEvent } from '../../src/eventlog/eventlog.ts';
import { VirtualClock } from '../../src/ports/clock.ts';

/** The log under test takes any kind: these tests are about lines and files, not the declared list (src/eventlog/events.ts). */
const append = (log: EventLog, kind: string, fields: Record<string, unknown> = {}) => (log.append as unknown as (k: string, f: Record<string, unknown>) => LogEvent).call(log, kind, fields);

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ftc-eventlog-'));
}

function openLog(dir: string, boot: number, extra: Partial<ConstructorParameters<typeof EventLog>[0]> = {}) {
  const clock = new VirtualClock(1000);
  let wall = Date.UTC(2026, 4, 25, 17, 0, 0);
  const log = new EventLog({ dir, board: 'b1', boot, clock, wallNowMs: () => (wall += 10), ...extra });
  return { log, clock };
}

test('an event carries wall time, monotonic time, board, boot, sequence and kind', (t) => {
  const dir = tmpDir();
  const { log, clock } = openLog(dir, 3);
  clock.advance(2.5);
  const e = append(log, 'vote', { cycle: 7, outcome: 'unanimous' });
  t.like(e, { board: 'b1', boot: 3, seq: 0, kind: 'vote', mono: 1002.5, cycle: 7, outcome: 'unanimous' });
  t.regex(e.t, /^2026-05-25T17:00:00\.010Z$/);
  const line = fs.readFileSync(eventLogPath(dir, 'b1', 0), 'utf8');
  t.deepEqual(JSON.parse(line), e);
  t.true(line.endsWith('\n'));
  log.close();
});

test('after a restart the log reopens and continues, and readLast sees both boots in order', (t) => {
  const dir = tmpDir();
  const first = openLog(dir, 1).log;
  for (let i = 0; i < 5; i++) append(first, 'tick', { i });
  first.close();
  const second = openLog(dir, 2).log;
  for (let i = 5; i < 8; i++) append(second, 'tick', { i });
  const { events, skippedLines } = second.readLast(6);
  t.is(skippedLines, 0);
  t.deepEqual(events.map((e) => e.i), [2, 3, 4, 5, 6, 7]);
  t.deepEqual(events.map((e) => e.boot), [1, 1, 1, 2, 2, 2]);
  second.close();
});

test('a crash mid-write leaves one partial line that readers skip and count, and the next boot starts clean', (t) => {
  const dir = tmpDir();
  const first = openLog(dir, 1).log;
  append(first, 'tick', { i: 0 });
  append(first, 'tick', { i: 1 });
  first.close();
  // Simulate kill -9 in the middle of a write(2): half a line, no newline.
  fs.appendFileSync(eventLogPath(dir, 'b1', 0), '{"t":"2026-05-25T17:00:00.000Z","mono":1,"boa');
  t.deepEqual(readEventLog(dir, 'b1', 10).skippedLines, 1);
  const second = openLog(dir, 2).log;
  append(second, 'boot', { reason: 'watchdog' });
  const { events, skippedLines } = second.readLast(10);
  t.is(skippedLines, 1);
  t.deepEqual(events.map((e) => e.kind), ['tick', 'tick', 'boot']);
  second.close();
});

test('the log is bounded: it rotates at bytesMax and keeps at most filesMax files', (t) => {
  const dir = tmpDir();
  const { log } = openLog(dir, 1, { bytesMax: 2048, filesMax: 3, lineBytesMax: 256 });
  for (let i = 0; i < 500; i++) append(log, 'tick', { i, pad: 'x'.repeat(40) });
  const files = fs.readdirSync(dir).sort();
  t.deepEqual(files, ['b1.events.1.jsonl', 'b1.events.2.jsonl', 'b1.events.jsonl']);
  for (const f of files) t.true(fs.statSync(path.join(dir, f)).size <= 2048, f);
  t.true(log.stats.rotations > 10);
  // The newest events survive, in order, across the rotated files.
  const { events } = log.readLast(1000);
  t.true(events.length > 30 && events.length < 500);
  t.is(events.at(-1)!.i, 499);
  const is = events.map((e) => e.i as number);
  t.deepEqual(is, is.slice().sort((a, b) => a - b));
  t.is(is.at(-1)! - is[0]! + 1, is.length, 'no gap between files');
  log.close();
});

test('an oversized event is replaced by a stub that says so, not written whole', (t) => {
  const dir = tmpDir();
  const { log } = openLog(dir, 1, { lineBytesMax: 256 });
  append(log, 'dump', { blob: 'y'.repeat(10_000) });
  const [e] = log.readLast(1).events;
  t.like(e, { kind: 'dump', truncated: true });
  t.is(log.stats.truncatedEvents, 1);
  log.close();
});

test('events that JSON cannot encode (BigInt, cycles) are still logged', (t) => {
  const dir = tmpDir();
  const { log } = openLog(dir, 1);
  const loop: Record<string, unknown> = { a: 1 };
  loop.self = loop;
  append(log, 'odd', { big: 10n ** 20n, loop });
  const [e] = log.readLast(1).events;
  t.like(e, { big: '100000000000000000000', loop: { a: 1, self: '[cycle]' } });
  log.close();
});

test('a log whose directory disappears counts write errors instead of throwing', (t) => {
  const dir = tmpDir();
  const { log } = openLog(dir, 1, { bytesMax: 512, lineBytesMax: 256 });
  append(log, 'tick');
  fs.rmSync(dir, { recursive: true });
  fs.writeFileSync(dir, 'now a file'); // mkdir will fail with EEXIST/ENOTDIR on rotation
  for (let i = 0; i < 20; i++) t.notThrows(() => append(log, 'tick', { pad: 'z'.repeat(100) }));
  t.true(log.stats.writeErrors > 0);
  t.truthy(log.stats.lastError);
  log.close();
});

test('listeners see each appended event; readers of a missing log get nothing', (t) => {
  const dir = tmpDir();
  const { log } = openLog(dir, 1);
  const seen: string[] = [];
  const off = log.onAppend((e) => seen.push(e.kind));
  append(log, 'a');
  off();
  append(log, 'b');
  t.deepEqual(seen, ['a']);
  t.deepEqual(readEventLog(dir, 'b2', 10), { events: [], skippedLines: 0 });
  t.throws(() => readEventLog(dir, '../etc', 1), { message: /bad board name/ });
  log.close();
});

test('an append costs well under a millisecond (sync write to the page cache)', (t) => {
  const dir = tmpDir();
  const log = new EventLog({ dir, board: 'b1', boot: 1 });
  const n = 2000;
  const start = performance.now();
  for (let i = 0; i < n; i++) append(log, 'vote', { cycle: i, outcome: 'unanimous', digest: 'abcdef0123456789' });
  const perAppendUs = ((performance.now() - start) / n) * 1000;
  t.log(`append: ${perAppendUs.toFixed(1)} µs per event (${n} events)`);
  // Generous bound: the machine is shared by several jobs; the point is "not milliseconds".
  t.true(perAppendUs < 500, `${perAppendUs} µs`);
  log.close();
});
