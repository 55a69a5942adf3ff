/**
 * The run report as one self-contained HTML page (pure): an inline SVG timeline (no script, no
 * external file, so it opens from a mail attachment or a copied run directory) and tables.
 */
import type { LaneState, ReportModel } from './model.ts';

export const LANE_COLOURS: Record<LaneState, string> = { active: '#2e7d32', standby: '#64b5f6', out: '#ffb300', down: '#424242' };
const GAP_COLOUR = '#d32f2f';
const FAULT_COLOUR = '#c62828';
const MARK_COLOURS = { outvoted: '#8e24aa', fence: '#000000', failover: '#1565c0', handover: '#00897b', watchdog: '#6d4c41' } as const;

const W = 1200;
const LEFT = 70;
const RIGHT = 20;
const TOP = 44;
const LANE_H = 26;
const LANE_GAP = 10;

export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const sec = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

function tickStepMs(durationMs: number): number {
  for (const s of [100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000, 3_600_000]) if (durationMs / s <= 20) return s;
  return 86_400_000;
}

export function renderTimelineSvg(m: ReportModel): string {
  const span = Math.max(1, m.durationMs);
  const x = (t: number) => LEFT + (Math.max(0, Math.min(span, t)) / span) * (W - LEFT - RIGHT);
  const laneY = (i: number) => TOP + i * (LANE_H + LANE_GAP);
  const outY = laneY(m.lanes.length);
  const H = outY + LANE_H + 34;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" id="timeline" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  // Time axis.
  const step = tickStepMs(span);
  for (let t = 0; t <= span; t += step) {
    parts.push(`<line x1="${x(t)}" y1="${TOP - 6}" x2="${x(t)}" y2="${outY + LANE_H}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${x(t)}" y="${H - 12}" text-anchor="middle" fill="#555">${esc(sec(t))}</text>`);
  }
  m.lanes.forEach((lane, i) => {
    const y = laneY(i);
    parts.push(`<text x="${LEFT - 10}" y="${y + LANE_H / 2 + 4}" text-anchor="end" font-weight="bold">${esc(lane.board)}</text>`);
    parts.push(`<g class="lane" data-board="${esc(lane.board)}">`);
    for (const s of lane.segments) {
      const w = Math.max(0.5, x(s.toMs) - x(s.fromMs));
      parts.push(`<rect class="segment ${s.state}" x="${x(s.fromMs).toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${LANE_H}" fill="${LANE_COLOURS[s.state]}"><title>${esc(`${lane.board} ${s.state} ${sec(s.fromMs)} to ${sec(s.toMs)}`)}</title></rect>`);
    }
    parts.push('</g>');
  });
  // Outputs: a green bar with the gaps cut in red.
  parts.push(`<text x="${LEFT - 10}" y="${outY + LANE_H / 2 + 4}" text-anchor="end" font-weight="bold">outputs</text>`);
  parts.push(`<rect x="${x(0)}" y="${outY + 6}" width="${x(span) - x(0)}" height="${LANE_H - 12}" fill="#c8e6c9"/>`);
  for (const g of m.gaps) {
    parts.push(`<rect class="gap" x="${x(g.fromMs).toFixed(1)}" y="${outY}" width="${Math.max(2, x(g.toMs) - x(g.fromMs)).toFixed(1)}" height="${LANE_H}" fill="${GAP_COLOUR}"><title>${esc(`${g.cycles} cycle(s) lost at ${sec(g.fromMs)}`)}</title></rect>`);
  }
  // Faults: a dashed line over every lane, labelled at the top.
  m.faults.forEach((f, k) => {
    parts.push(`<line class="fault" x1="${x(f.atMs)}" y1="${TOP - 14}" x2="${x(f.atMs)}" y2="${outY + LANE_H}" stroke="${FAULT_COLOUR}" stroke-width="2" stroke-dasharray="5,3"/>`);
    parts.push(`<text x="${x(f.atMs) + 3}" y="${TOP - 18 - (k % 2) * 12}" fill="${FAULT_COLOUR}">${esc(f.spec)}</text>`);
  });
  // Divergences, fences, failovers: a triangle on the board's lane.
  for (const mk of m.marks) {
    const i = m.boards.indexOf(mk.board);
    if (i < 0) continue;
    const cx = x(mk.atMs);
    const y = laneY(i) - 1;
    parts.push(`<path class="mark ${mk.kind}" d="M${(cx - 6).toFixed(1)},${y - 9} L${(cx + 6).toFixed(1)},${y - 9} L${cx.toFixed(1)},${y + 1} Z" fill="${MARK_COLOURS[mk.kind]}"><title>${esc(`${mk.text} at ${sec(mk.atMs)}`)}</title></path>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}

function table(head: string[], rows: string[][]): string {
  if (rows.length === 0) return '<p class="none">none</p>';
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
}

export function renderReportHtml(m: ReportModel, title: string): string {
  const legend = [...Object.entries(LANE_COLOURS).map(([k, c]) => [k, c]), ['output gap', GAP_COLOUR], ['fault', FAULT_COLOUR], ...Object.entries(MARK_COLOURS)]
    .map(([k, c]) => `<span class="key"><span class="sw" style="background:${c}"></span>${esc(k!)}</span>`).join(' ');
  const summary = m.summary ? table(Object.keys(m.summary), [Object.values(m.summary).map((v) => String(v))]) : '<p class="none">no summary line in this run</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.2em; font-size: 13px; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
th { background: #f3f3f3; }
.key { margin-right: 1em; font-size: 13px; white-space: nowrap; }
.sw { display: inline-block; width: 14px; height: 14px; vertical-align: -2px; margin-right: 4px; border: 1px solid #999; }
.none { color: #777; }
</style></head><body>
<h1>${esc(title)}</h1>
${summary}
<h2>Timeline</h2>
<p>${legend}</p>
${renderTimelineSvg(m)}
<h2>Faults injected</h2>
${table(['at', 'fault'], m.faults.map((f) => [sec(f.atMs), f.spec]))}
<h2>Out of the voting set, and back</h2>
${table(['board', 'out at', 'back at', 'out for'], m.rejoins.map((r) => [r.board, sec(r.outMs), r.backMs === null ? 'not by the end' : sec(r.backMs), r.backMs === null ? '-' : sec(r.backMs - r.outMs)]))}
<h2>Divergences, fences, failovers</h2>
${table(['at', 'what'], m.marks.map((k) => [sec(k.atMs), k.text]))}
<h2>Output gaps</h2>
${table(['from', 'cycles lost'], m.gaps.map((g) => [sec(g.fromMs), String(g.cycles)]))}
</body></html>
`;
}
