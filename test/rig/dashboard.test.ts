import test from 'ava';
import { PassThrough } from 'node:stream';
import {
  addGap,
  emptyGapHistogram,
  renderDashboard,
  startDashboard,
} from '../../src/rig/dashboard.ts';
import type { DashboardState } from '../../src/rig/dashboard.ts';

function busyState(): DashboardState {
  const gapHistogram = emptyGapHistogram();
  for (let i = 0; i < 123_456; i++) addGap(gapHistogram, 10);
  for (const g of [11, 14, 19, 45, 99, 320, 800, 2500, 2500]) addGap(gapHistogram, g);
  return {
    elapsedMs: 1_234_567, durationMs: 3_600_000, seed: 4_294_967_295, rateHz: 1000, cycle: 1_234_567_890,
    activeBoard: 'b2', mode: 'duplex-degraded', members: ['b1', 'b2', 'b3'],
    boards: [
      { board: 'b1', role: 'joining', state: 'joining', boot: 123, psu: [{ name: 'a', ok: true }, { name: 'b', ok: false }],
        nics: [{ name: 'eth0', up: true }, { name: 'eth1', up: false }] },
      { board: 'b2', role: 'active', state: 'member', boot: 1, psu: [{ name: 'a', ok: true }, { name: 'b', ok: true }],
        nics: [{ name: 'enx00e04c680001', up: true }, { name: 'enx00e04c680002', up: true }] },
      { board: 'b3', role: 'fenced', state: 'fenced', boot: 99_999, psu: [], nics: [] },
    ],
    links: [
      { a: 'b1', b: 'b2', serial: { state: 'degraded', lossPct: 12.5 }, udp: { state: 'degraded', lossPct: 100 } },
      { a: 'b1', b: 'b3', serial: { state: 'cut', lossPct: null }, udp: { state: 'down', lossPct: 100 } },
      { a: 'b2', b: 'b3', serial: { state: 'up', lossPct: 0 }, udp: { state: 'up', lossPct: 0.01 } },
    ],
    votes: Array.from({ length: 50 }, (_, i) => ({
      cycle: 1_234_567_840 + i, outcome: i % 3 ? 'majority' : 'split', dissent: ['b1', 'b3'], missing: ['b3'],
    })),
    faults: Array.from({ length: 12 }, (_, i) => ({
      atMs: i * 1000, spec: i % 2 ? 'corrupt:b1-b2/serial:0.001@2s+5s' : 'partition:b1|b2,b3@6s+2s',
      state: (['pending', 'active', 'cleared'] as const)[i % 3]!,
    })),
    gapHistogram,
    totals: { lostCycles: 123_456, wrongOutputs: 7, dualDriven: 2, failovers: 31, maxGapMs: 2500.25 },
  };
}

test('a busy dashboard fits an 80x24 terminal: at most 24 lines of at most 80 printable ASCII columns', (t) => {
  const lines = renderDashboard(busyState(), { cols: 80, rows: 24 });
  t.is(lines.length, 24);
  for (const l of lines) {
    t.true(l.length <= 80, `${l.length}: ${l}`);
    t.regex(l, /^[\x20-\x7e]*$/, 'printable ASCII only: every terminal counts the same columns');
  }
  const text = lines.join('\n');
  t.regex(lines[0]!, /cycle 1234567890 +active b2/);
  t.regex(text, /b3  fenced +fenced/);
  t.regex(text, /b1-b3 +cut +down/);
  t.regex(text, /1234567889 (majority|split)/, 'the newest vote is shown');
  t.regex(text, /\.\.\. 7 earlier/, 'faults beyond the pane are summarized');
  t.regex(text, /lost 123456 +wrong 7 +dual-driven 2 +failovers 31 +max gap 2500\.3 ms/);
  t.regex(text, /<=10 +123456 #{60}$/m, 'the biggest bucket gets the full bar');
  t.regex(text, />500 +3 #+$/m, 'buckets beyond the rows are merged into the last one');
});

test('a smaller terminal gets a cut dashboard, never a wrapped one', (t) => {
  const lines = renderDashboard(busyState(), { cols: 40, rows: 10 });
  t.is(lines.length, 10);
  for (const l of lines) t.true(l.length <= 40, l);
});

test('an idle dashboard (no boards, no votes yet) renders too', (t) => {
  const s: DashboardState = {
    ...busyState(), boards: [], links: [], votes: [], faults: [], gapHistogram: emptyGapHistogram(),
    activeBoard: null, durationMs: null, members: [],
  };
  const lines = renderDashboard(s);
  t.is(lines.length, 24);
  t.regex(lines[0]!, /active NONE/);
});

test('the driver takes the alternate screen, redraws, and restores the terminal on stop', async (t) => {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  Object.assign(stream, { columns: 80, rows: 24, isTTY: true });
  let out = '';
  stream.on('data', (d: Buffer) => (out += d.toString()));
  const sigintBefore = process.listenerCount('SIGINT');
  const d = startDashboard(busyState, { stream, intervalMs: 20 });
  t.is(process.listenerCount('SIGINT'), sigintBefore + 1);
  await new Promise((r) => setTimeout(r, 60));
  d.stop();
  d.stop();
  t.true(out.startsWith('\x1b[?1049h\x1b[?25l'));
  t.true(out.endsWith('\x1b[?25h\x1b[?1049l'));
  t.is(out.split('\x1b[?1049l').length, 2, 'restored exactly once');
  t.is(out.split('\x1b[H').length, 2, 'an unchanged frame is not redrawn');
  t.is(process.listenerCount('SIGINT'), sigintBefore, 'handlers removed');
});

for (const how of ['SIGINT', 'an uncaught error'] as const) {
  test(`on a real terminal, ${how} restores the screen and the cursor before the process ends`, async (t) => {
    const { spawn } = await import('@lydell/node-pty');
    const script = new URL('./fixtures/dashboard-run.ts', import.meta.url).pathname;
    const args = ['--import=tsx', script, ...(how === 'SIGINT' ? [] : ['throw'])];
    const term = spawn(process.execPath, args, { cols: 80, rows: 24, cwd: process.cwd(), env: process.env as Record<string, string> });
    let out = '';
    term.onData((d) => (out += d));
    const exit = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
    for (let i = 0; i < 300 && !out.includes('cycle 5'); i++) await new Promise((r) => setTimeout(r, 20));
    t.true(out.includes('\x1b[?1049h'), 'took the alternate screen');
    if (how === 'SIGINT') term.kill('SIGINT');
    const code = await exit;
    t.is(code, how === 'SIGINT' ? 130 : 1);
    const restoreAt = out.lastIndexOf('\x1b[?25h\x1b[?1049l');
    t.true(restoreAt > out.lastIndexOf('\x1b[H'), 'restored after the last frame');
    if (how !== 'SIGINT') t.regex(out.slice(restoreAt), /boom in the sim/, 'the error is printed on the restored screen');
  });
}
