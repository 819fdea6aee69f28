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

/** The snapshot as a table (county, count, share, bar), a total row, and the window. */
export function renderSnapshot(snapshot: Snapshot): string {
  const table = new Table({
    head: ['County', 'Count', 'Share', ''],
    colAligns: ['left', 'right', 'right', 'left'],
    style: { head: [], border: [] },
  });
  const max = snapshot.counties[0]?.count ?? 0;
  for (const { county, count } of snapshot.counties) {
    table.push([county, count.toLocaleString('en-US'), formatShare(count, snapshot.total), bar(count, max)]);
  }
  table.push(['Total', snapshot.total.toLocaleString('en-US'), snapshot.total > 0 ? '100.0%' : '', '']);
  const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return [
    table.toString(),
    `Window: ${when(snapshot.windowStart)} to ${when(snapshot.windowEnd)} (${snapshot.windowMinutes} min), ${snapshot.counties.length} counties. Updated ${when(snapshot.updated)}.`,
  ].join('\n');
}
