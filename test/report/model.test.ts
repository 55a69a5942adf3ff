/**
 * The run report's model and page (src/report): lanes from role changes and process deaths,
 * lost cycles joined into gaps, time out of the voting set, marks for divergences and fences.
 */
import test from 'ava';
import { buildReportModel, type ReportEvent } from '../../src/report/model.ts';
import { renderReportHtml } from '../../src/report/render.ts';

const ev = (tRunMs: number, e: ReportEvent): ReportEvent => ({ ...e, tRunMs });
const events: ReportEvent[] = [
  ev(0, { kind: 'role', board: 'b1', role: 'member', active: 'b1' }),
  ev(0, { kind: 'role', board: 'b2', role: 'member', active: 'b1' }),
  ev(3000, { kind: 'fault', spec: 'kill:b1' }),
  ev(3010, { kind: 'process-exit', child: 'b1', code: null }),
  ev(3150, { kind: 'votedOut', board: 'b2', target: 'b1' }),
  ev(3151, { kind: 'votedOut', board: 'b3', target: 'b1' }),
  ev(3150, { kind: 'fence', board: 'b2', target: 'b1' }),
  ev(3160, { kind: 'role', board: 'b2', role: 'member', active: 'b2' }),
  ev(3300, { kind: 'boot', board: 'b1' }),
  ev(5400, { kind: 'votedIn', board: 'b2', target: 'b1' }),
  ev(5400, { kind: 'role', board: 'b1', role: 'member', active: 'b2' }),
  ev(6030, { kind: 'demoted', board: 'b3', detail: 'outvoted', cycle: 120 }),
  { kind: 'lost-cycle', cycle: 61 }, { kind: 'lost-cycle', cycle: 62 }, { kind: 'lost-cycle', cycle: 90 },
];
const m = buildReportModel(events, { boards: ['b1', 'b2', 'b3'], periodMs: 50, durationMs: 9000 });

test('a killed active board: active, down from its exit, out from its boot, standby once voted back in', (t) => {
  t.deepEqual(m.lanes[0]!.segments.map((s) => [s.state, s.fromMs, s.toMs]), [['active', 0, 3010], ['down', 3010, 3300], ['out', 3300, 5400], ['standby', 5400, 9000]]);
  t.deepEqual(m.lanes[1]!.segments.map((s) => s.state), ['standby', 'active']);
});

test('lost cycles close together are one gap; the times are on the cycle grid', (t) => {
  t.deepEqual(m.gaps, [{ fromMs: 3050, toMs: 3150, cycles: 2 }, { fromMs: 4500, toMs: 4550, cycles: 1 }]);
});

test('out of the voting set from the first votedOut (or a demotion) to the next votedIn', (t) => {
  t.deepEqual(m.rejoins, [{ board: 'b1', outMs: 3150, backMs: 5400 }, { board: 'b3', outMs: 6030, backMs: null }]);
  t.deepEqual(m.marks.map((k) => [k.kind, k.board]), [['fence', 'b1'], ['outvoted', 'b3']]);
});

test('the page is self-contained: an inline SVG with a segment per lane state, the fault line, and no external resource', (t) => {
  const html = renderReportHtml(m, 'a <run>');
  t.regex(html, /<title>a &#60;run&#62;<\/title>/);
  t.is((html.match(/<rect class="segment /g) ?? []).length, 6);
  t.is((html.match(/<rect class="gap"/g) ?? []).length, 2);
  t.is((html.match(/<line class="fault"/g) ?? []).length, 1);
  t.notRegex(html, /<script|<link|src="http|href="http/);
});

test('a frozen board sends no status: the peers voting it out put it out, and its watchdog reset is one mark', (t) => {
  const frozen = buildReportModel([
    ev(0, { kind: 'role', board: 'b2', role: 'member', active: 'b2' }),
    ev(9150, { kind: 'votedOut', board: 'b3', target: 'b2' }),
    ev(9840, { kind: 'watchdog-reset', board: 'b2' }),
    ev(9850, { kind: 'process-exit', child: 'b2', code: 86 }),
    ev(9900, { kind: 'boot', board: 'b2' }),
    ev(11_600, { kind: 'votedIn', board: 'b3', target: 'b2' }),
    ev(11_610, { kind: 'role', board: 'b2', role: 'member', active: 'b3' }),
  ], { boards: ['b1', 'b2', 'b3'], periodMs: 50, durationMs: 12_000 });
  t.deepEqual(frozen.lanes[1]!.segments.map((s) => [s.state, s.fromMs]), [['active', 0], ['out', 9150], ['down', 9850], ['out', 9900], ['standby', 11_610]]);
  t.is(frozen.marks.filter((k) => k.kind === 'watchdog').length, 1);
});

test('event logs copied off boards (no role events): members from power-on, the active role from failovers, out from a vote-out to the vote-in', (t) => {
  const logs = buildReportModel([
    ev(0, { kind: 'boot', board: 'b1', boot: 1, reason: 'power-on' }),
    ev(0, { kind: 'boot', board: 'b2', boot: 1, reason: 'power-on' }),
    ev(4700, { kind: 'votedOut', board: 'b2', target: 'b1' }),
    ev(4700, { kind: 'failover', board: 'b2', from: 'b1', to: 'b2' }),
    ev(7000, { kind: 'votedIn', board: 'b2', target: 'b1' }),
  ], { boards: ['b1', 'b2'], periodMs: 50, durationMs: 8000 });
  t.deepEqual(logs.lanes[0]!.segments.map((s) => [s.state, s.fromMs]), [['standby', 0], ['out', 4700], ['standby', 7000]]);
  t.deepEqual(logs.lanes[1]!.segments.map((s) => [s.state, s.fromMs]), [['standby', 0], ['active', 4700]]);
});
