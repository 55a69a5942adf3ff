/**
 * OpenMetrics on every board of the simulated rig (`ftc sim --metrics-base-port P`), scraped over
 * HTTP during a run in which the active board is killed: the exposition passes Prometheus's own
 * lint (`promtool check metrics`, where it is installed: Debian's prometheus package), and its
 * numbers say what happened.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { simulate } from '../helpers/e2e-sim.ts';

/** A port the OS says is free, for the first board (the next two are assumed free too). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

const value = (text: string, name: string, labels: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((kv) => l.includes(kv)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

test.serial('every board serves OpenMetrics that promtool accepts; after the active board is killed, the board that took over counts its failover, and the duplex mode shows', async (t) => {
  const base = await freePort();
  const scraped: string[] = [];
  await simulate(['kill:b1@3s'], {
    durationMs: 8000, metricsBasePort: base,
    during: {
      atMs: 1000,
      run: async (_dir, events) => {
        // A loaded machine starts the rig late: scrape once the failover has happened, and a second after it.
        const deadline = performance.now() + 15_000;
        while (!events().some((e) => e.kind === 'failover') && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        await new Promise((r) => setTimeout(r, 1000));
        for (let i = 0; i < 2; i++) scraped.push(await (await fetch(`http://127.0.0.1:${base + 1 + i}/metrics`)).text());
      },
    },
  });
  const [b2, b3] = scraped as [string, string];
  for (const [name, text] of [['b2', b2], ['b3', b3]] as const) {
    t.log(`${name}: active ${value(text, 'ftc_active', `board="${name}"`)}, failovers ${value(text, 'ftc_failovers_total', `board="${name}"`)}, members ${value(text, 'ftc_members', `board="${name}"`)}`);
  }
  t.true(value(b2, 'ftc_cycles_total', 'board="b2"')! > 40, 'b2 has stepped its cycles (about 4 s at 20 Hz)');
  // The board that took the active role over counts one failover; the other none.
  const activeOf = (text: string, name: string) => value(text, 'ftc_active', `board="${name}"`);
  t.is((activeOf(b2, 'b2') ?? 0) + (activeOf(b3, 'b3') ?? 0), 1, 'exactly one of b2 and b3 is active');
  const [taker, takerText, other, otherText] = activeOf(b2, 'b2') === 1 ? ['b2', b2, 'b3', b3] : ['b3', b3, 'b2', b2];
  t.is(value(takerText, 'ftc_failovers_total', `board="${taker}"`), 1, `${taker} took over once`);
  t.is(value(otherText, 'ftc_failovers_total', `board="${other}"`), 0);
  t.is(value(b2, 'ftc_mode', 'mode="duplex"'), 1, 'two boards left');
  t.is(value(b2, 'ftc_members', 'board="b2"'), 2);
  t.true(value(b2, 'ftc_link_frames_received_total', 'peer="b3",transport="udp"')! > 0);
  t.true(value(b2, 'ftc_watchdog_margin_seconds', 'board="b2"')! > 0, 'the watchdog is being fed');
  t.true(b2.includes('ftc_nodejs_heap_size_used_bytes'), 'heap');
  t.true(b2.includes('ftc_nodejs_eventloop_lag_seconds'), 'event-loop lag');
  if (!hasPromtool) {
    t.log('promtool not installed (apt install prometheus): the lint was not run');
    return;
  }
  for (const text of scraped) {
    const out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    t.is(out.trim(), '', 'promtool found nothing to say');
  }
});
