/**
 * `ftc report` on a simulated run with kill:active, opened in a real headless browser (Debian's
 * Chromium through playwright-core): the screenshot shows the timeline, each board's lane drawn
 * in the colours of its roles (the killed board's down and out spans among them), the fault line.
 *
 * Needs Chromium (/usr/bin/chromium, or FTC_CHROMIUM=path). Without it the test says so and
 * passes as skipped, unless FTC_REQUIRE_BROWSER=1 (CI installs it and sets that).
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';
import { main } from '../../src/cli/main.ts';
import { LANE_COLOURS } from '../../src/report/render.ts';
import { simulate } from '../helpers/e2e-sim.ts';

const browser = process.env.FTC_CHROMIUM ?? '/usr/bin/chromium';
const hex = (c: string) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));

const maybe = existsSync(browser) || process.env.FTC_REQUIRE_BROWSER === '1' ? test : test.skip;
if (!existsSync(browser)) console.error(`report.e2e: no Chromium at ${browser} (apt-get install chromium, or FTC_CHROMIUM=path): the browser test is skipped`);

maybe('ftc report on a kill:active run: the page in Chromium shows every lane of the timeline, in the colours of the roles', async (t) => {
  const run = await simulate(['kill:active@3s'], { durationMs: 7000 });
  t.log(`${JSON.stringify(run.summary)} (run dir ${run.dir})`);
  const said = run.lines.map((l) => JSON.parse(l) as { kind?: string; path?: string }).find((e) => e.kind === 'report');
  t.is(said?.path, join(run.dir, 'report.html'), 'ftc sim says where its report is');
  let out = '';
  t.is(await main(['node', 'ftc', 'report', run.dir], { out: (s) => (out += s), err: (s) => (out += s) }), 0, out);
  const b = await chromium.launch({ executablePath: browser, args: ['--no-sandbox'] });
  try {
    const page = await b.newPage({ viewport: { width: 1300, height: 900 } });
    await page.goto(pathToFileURL(join(run.dir, 'report.html')).href);
    const svg = page.locator('svg#timeline');
    const box = await svg.boundingBox();
    t.truthy(box && box.width > 1000 && box.height > 100, `timeline box ${JSON.stringify(box)}`);
    // Each lane has drawn segments with a width on screen.
    for (const board of ['b1', 'b2', 'b3']) {
      const widths = await page.locator(`g.lane[data-board="${board}"] rect.segment`).evaluateAll((rs) => rs.map((r) => r.getBoundingClientRect().width));
      t.true(widths.length > 0 && widths.reduce((a, w) => a + w, 0) > 900, `${board}: segments ${widths.map((w) => w.toFixed(0)).join(', ')}`);
    }
    const png = PNG.sync.read(await svg.screenshot());
    const count = (c: string) => {
      const [r, g, bl] = hex(c);
      let n = 0;
      for (let i = 0; i < png.data.length; i += 4) if (Math.abs(png.data[i]! - r!) < 8 && Math.abs(png.data[i + 1]! - g!) < 8 && Math.abs(png.data[i + 2]! - bl!) < 8) n++;
      return n;
    };
    const px = Object.fromEntries(Object.entries(LANE_COLOURS).map(([k, c]) => [k, count(c)]));
    t.log(`pixels by lane colour: ${JSON.stringify(px)} of ${png.width}x${png.height}`);
    // Active and standby span most of the run; the killed board was down, then out, for a while.
    t.true(px.active! > 10_000 && px.standby! > 10_000, 'active and standby drawn');
    t.true(px.down! > 300, 'the killed board is drawn down');
    t.true(px.out! > 300, 'and out of the voting set before it was back');
    t.true(readFileSync(join(run.dir, 'report.html'), 'utf8').includes('kill:'), 'the fault is named');
  } finally {
    await b.close();
  }
});
