import Table from 'cli-table3';
import type { Snapshot } from '../core/snapshot.js';

const BAR_WIDTH = 30;

/** A bar of eighth blocks, so small differences still show. */
export function bar(value: number, max: number, width = BAR_WIDTH): string {
  if (max <= 0 || value <= 0) return '';
  const eighths = Math.max(1, Math.round((value / max) * width * 8));
  const partial = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'][eighths % 8] ?? '';
  return '█'.repeat(Math.floor(eighths / 8)) + partial;
}

export function formatShare(count: number, total: number): string {
  return total > 0 ? `${((count * 100) / total).toFixed(1)}%` : '0.0%';
}

/** Rule lines only around the header and the total, so 55 counties fit on a screen. */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

/**
 * The snapshot as a table (county, count, share, bar), a total row, and the window. With `maxRows`
 * (a live view on a small terminal), the smallest counties fold into one "N more counties" row.
 */
export function renderSnapshot(snapshot: Snapshot, options: { maxRows?: number } = {}): string {
  const table = new Table({
    head: ['County', 'Count', 'Share', ''],
    colAligns: ['left', 'right', 'right', 'left'],
    style: { head: [], border: [] },
    chars: COMPACT,
  });
  const max = snapshot.counties[0]?.count ?? 0;
  const limit = options.maxRows === undefined ? Number.POSITIVE_INFINITY : Math.max(1, options.maxRows - 1);
  const shown = snapshot.counties.length > limit ? snapshot.counties.slice(0, limit) : snapshot.counties;
  for (const { county, count } of shown) {
    table.push([county, count.toLocaleString('en-US'), formatShare(count, snapshot.total), bar(count, max)]);
  }
  const rest = snapshot.counties.slice(shown.length);
  if (rest.length > 0) {
    const count = rest.reduce((sum, c) => sum + c.count, 0);
    table.push([
      `(${rest.length} more counties)`,
      count.toLocaleString('en-US'),
      formatShare(count, snapshot.total),
      '',
    ]);
  }
  table.push(['Total', snapshot.total.toLocaleString('en-US'), snapshot.total > 0 ? '100.0%' : '', '']);
  const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return [
    table.toString(),
    `Window: ${when(snapshot.windowStart)} to ${when(snapshot.windowEnd)} (${snapshot.windowMinutes} min), ${snapshot.counties.length} counties. Updated ${when(snapshot.updated)}.`,
  ].join('\n');
}
