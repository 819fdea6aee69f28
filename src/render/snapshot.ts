import type { Snapshot } from '../core/snapshot.js';
import { styleFor } from './style.js';
import { renderTable } from './table.js';
import type { TerminalView } from './terminal.js';
import { formatTime } from './time.js';
import { wrap } from './width.js';

const BAR_WIDTH = 30;
/** The narrowest bar still worth drawing when the terminal is narrow. */
const BAR_MIN = 5;

/**
 * At most this many counties in a table that is printed once (not a live view): a table of 100,000
 * counties helps nobody, and drawing it would take longer than the aggregation. The rest fold into
 * one "(k more counties)" row; --json has them all.
 */
export const MAX_TABLE_ROWS = 100;

/** A bar of eighth blocks, so small differences still show. */
export function bar(value: number, max: number, width = BAR_WIDTH): string {
  if (max <= 0 || value <= 0 || width <= 0) return '';
  const eighths = Math.max(1, Math.round((value / max) * width * 8));
  const partial = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'][eighths % 8] ?? '';
  return '█'.repeat(Math.floor(eighths / 8)) + partial;
}

export function formatShare(count: number, total: number): string {
  return total > 0 ? `${((count * 100) / total).toFixed(1)}%` : '0.0%';
}

export interface SnapshotRenderOptions extends Partial<TerminalView> {
  /** Rows of counties the table may take, the "(k more counties)" row included. */
  maxRows?: number;
  /** Lines the whole block may take (a live view's screen); the counties get what is left. */
  maxLines?: number;
}

/** Lines around the counties: borders, header, rules, total, and the window line (two when wrapped). */
function chromeLines(footerLines: number): number {
  return 6 + footerLines;
}

/**
 * The snapshot as a table (county, count, share, bar), a total row, and the window. Only the counties
 * that fit are drawn (the largest; see MAX_TABLE_ROWS and maxLines), the others fold into one
 * "(k more counties)" row: linear in the counties, whatever their number.
 */
export function renderSnapshot(snapshot: Snapshot, options: SnapshotRenderOptions = {}): string {
  const style = styleFor(options.color ?? false);
  const when = formatTime;
  const footer = wrap(
    [
      'Window:',
      when(snapshot.windowStart),
      'to',
      when(snapshot.windowEnd),
      `(${snapshot.windowMinutes} min),`,
      `${snapshot.counties.length.toLocaleString('en-US')} counties.`,
      'Updated',
      `${when(snapshot.updated)}.`,
    ],
    options.columns,
  );
  const byLines = options.maxLines === undefined ? undefined : options.maxLines - chromeLines(footer.length);
  const limit = Math.max(1, Math.min(options.maxRows ?? MAX_TABLE_ROWS, byLines ?? MAX_TABLE_ROWS));
  const counties = snapshot.counties;
  // Room for the folded row too: limit - 1 counties and one row for the rest.
  const shown = counties.length > limit ? counties.slice(0, limit - 1) : counties;
  const rows = shown.map(({ county, count }) => [
    county,
    count.toLocaleString('en-US'),
    formatShare(count, snapshot.total),
  ]);
  if (shown.length < counties.length) {
    let rest = 0;
    for (let i = shown.length; i < counties.length; i++) rest += counties[i]!.count;
    rows.push([
      `(${(counties.length - shown.length).toLocaleString('en-US')} more counties)`,
      rest.toLocaleString('en-US'),
      formatShare(rest, snapshot.total),
    ]);
  }
  const max = counties[0]?.count ?? 0;
  const table = renderTable(
    [
      { header: 'County', truncate: 'start', min: 12 },
      { header: 'Count', align: 'right' },
      { header: 'Share', align: 'right' },
      {
        header: '',
        flex: {
          preferred: BAR_WIDTH,
          min: BAR_MIN,
          draw: (row, width) => (row < shown.length ? bar(shown[row]!.count, max, width) : ''),
        },
      },
    ],
    rows,
    {
      width: options.columns,
      footer: [['Total', snapshot.total.toLocaleString('en-US'), snapshot.total > 0 ? '100.0%' : '', '']],
    },
  );
  return [table, ...footer.map(style.dim)].join('\n');
}
