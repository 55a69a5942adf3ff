import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadHardwareDefs, loadRig } from '../../src/config/index.ts';
import { renderWiringSvg, renderWiringSvgFromFile } from '../../src/hw/wiring-svg.ts';

const RIG = fileURLToPath(new URL('../../hw/rigs/lab.yaml', import.meta.url));

test('the lab rig drawing shows every board, cable, fencing line and ladder contact', (t) => {
  const svg = renderWiringSvgFromFile(RIG);
  t.regex(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+"/);
  t.true(svg.trimEnd().endsWith('</svg>'));
  for (const s of ['b1.uart3 ⇄ b2.uart3', 'b2.uart5 ⇄ b3.uart3', 'b3.uart5 ⇄ b1.uart5']) t.true(svg.includes(s), s);
  for (const [from, pin, to] of [['b1', 23, 'b2'], ['b1', 24, 'b3'], ['b2', 23, 'b1'], ['b2', 24, 'b3'], ['b3', 23, 'b1'], ['b3', 24, 'b2']]) {
    t.true(svg.includes(`${from} GPIO${pin} → opto → ${to} RUN`), `${from}→${to}`);
  }
  for (const k of ['K b1.voteA', 'K b2.voteA', 'K b2.voteB', 'K b3.voteA', 'K b3.voteB', 'K b1.voteB']) t.true(svg.includes(k), k);
  t.true(svg.includes('GPIO17 (J8-11)'), 'pins carry their header position');
  t.true(svg.includes('role LED GPIO25 (J8-22)'), 'local I/O comes from the linked board configs');
  // Every opened element is closed: <text>…</text> pairs and self-closing shapes only.
  t.is((svg.match(/<text /g) ?? []).length, (svg.match(/<\/text>/g) ?? []).length);
  t.notRegex(svg, /NaN|undefined/);
});

test('text is XML-escaped', (t) => {
  const defs = loadHardwareDefs();
  const r = loadRig(RIG, defs);
  if (!r.ok) return t.fail(r.errors.join('\n'));
  const rig = structuredClone(r.rig);
  rig.description = 'bench <A&B> "test"';
  const svg = renderWiringSvg(rig, defs);
  t.true(svg.includes('bench &lt;A&amp;B&gt; &quot;test&quot;'));
  t.true(svg.includes('(no board config linked from the rig)'));
});

test('hw/wiring.svg is the current rendering of hw/rigs/lab.yaml', (t) => {
  const committed = readFileSync(fileURLToPath(new URL('../../hw/wiring.svg', import.meta.url)), 'utf8');
  t.is(committed, renderWiringSvgFromFile(RIG), 'regenerate: node --import=tsx src/hw/wiring-svg.ts hw/rigs/lab.yaml > hw/wiring.svg');
});
