/** `ftc report RUN_DIR`: the run's events, as one HTML page with its timeline (report.html in the run directory). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRun } from './load.ts';
import { buildReportModel } from './model.ts';
import { renderReportHtml } from './render.ts';

export { ReportInputError } from './load.ts';

export function writeReport(dir: string, outFile = join(dir, 'report.html')): string {
  const { info, events } = loadRun(dir);
  const model = buildReportModel(events, { boards: info.boards, periodMs: info.periodMs, durationMs: info.durationMs, summary: info.summary });
  writeFileSync(outFile, renderReportHtml(model, info.title));
  return outFile;
}
