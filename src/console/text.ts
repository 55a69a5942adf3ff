/**
 * Plain-text layout helpers for the console and the dashboard (pure). Everything is ASCII-safe
 * width: one char = one column (we never emit wide characters in tables).
 */

/** Cut or pad `s` to exactly `width` columns; a cut string ends with "~" so it is visibly cut. */
export function fit(s: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  if (s.length > width) return width === 1 ? '~' : s.slice(0, width - 1) + '~';
  return align === 'left' ? s.padEnd(width) : s.padStart(width);
}

/** Cut `s` to at most `width` columns (no padding). */
export function clip(s: string, width: number): string {
  return s.length > width ? fit(s, width) : s;
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Minimum width; the widest cell sets it otherwise. */
  minWidth?: number;
}

/**
 * A table with a header row, columns two spaces apart, no line wider than `widthMax`:
 * the last column is cut first, then the widest ones, so short columns (names) stay whole.
 */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[], widthMax = 80): string[] {
  const gap = 2;
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, c.minWidth ?? 0, ...rows.map((r) => (r[i] ?? '').length)),
  );
  const total = () => widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1);
  while (total() > widthMax) {
    let widest = 0;
    for (let i = 1; i < widths.length; i++) if (widths[i]! > widths[widest]!) widest = i;
    widths[widest] = Math.max(1, widths[widest]! - (total() - widthMax));
    if (widths.every((w) => w <= 1)) break;
  }
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => fit(cells[i] ?? '', widths[i]!, c.align ?? 'left'))
      .join(' '.repeat(gap))
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)];
}

/** "12 ms", "3.4 s", "5 min", "2 h"; null -> "-". */
export function formatAgo(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A number or "-" for null; fixed decimals. */
export function num(v: number | null | undefined, decimals = 0): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(decimals);
}
