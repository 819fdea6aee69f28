import {
  type DashboardFrame,
  type DashboardRow,
  type DashboardSort,
  type HealthFigures,
  HISTORY_DEPTH,
  nextSort,
  sortRows,
} from '../core/dashboard.js';
import { printable } from './printable.js';
import { formatShare } from './snapshot.js';
import { styleFor } from './style.js';
import { renderTable } from './table.js';
import type { TerminalView } from './terminal.js';
import { formatTime } from './time.js';
import { wrap } from './width.js';

/** The eight block characters, lowest first. */
const BLOCKS = '▁▂▃▄▅▆▇█';
/** The narrowest trend worth drawing; narrower, the column is left out (before any row is). */
const SPARK_MIN = 8;
const GREW = '▲';

/**
 * The last `width` values as a sparkline, scaled from their lowest (▁) to their highest (█), so a
 * county's movement shows whatever its size; a flat line sits in the middle (▁ if it is all zero).
 */
export function sparkline(values: readonly number[], width: number): string {
  const shown = values.slice(-Math.max(0, width));
  if (shown.length === 0) return '';
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of shown) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (max === min) return (max > 0 ? BLOCKS[3]! : BLOCKS[0]!).repeat(shown.length);
  return shown.map((v) => BLOCKS[Math.round(((v - min) / (max - min)) * 7)]!).join('');
}

/** +12, -3, 0; blank before there is a previous refresh. */
export function formatChange(change: number | null): string {
  if (change === null) return '';
  return change > 0 ? `+${change.toLocaleString('en-US')}` : change.toLocaleString('en-US');
}

function formatRate(perSecond: number | null): string {
  if (perSecond === null) return 'n/a';
  const value = perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond).toLocaleString('en-US');
  return `${value}/s`;
}

function formatLag(seconds: number | null): string {
  if (seconds === null) return 'n/a';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** A time of today as its time of day; another day's with its date. */
function formatWhen(iso: string | null, today: string): string {
  if (iso === null) return 'n/a';
  const full = formatTime(iso);
  return full.startsWith(today) ? full.slice(11) : full;
}

/**
 * The health line: events in and out per second, the queue, the storing lag and the schedule,
 * wrapped to the width with each figure kept whole; "n/a" where the target cannot tell.
 */
export function renderHealth(
  health: HealthFigures,
  updated: string,
  view: Partial<TerminalView> = {},
): string[] {
  const style = styleFor(view.color ?? false);
  const today = formatTime(updated).slice(0, 10);
  const q = health.queue;
  const about = q?.approximate ? '~' : '';
  const queue = q
    ? `Queue ${about}${q.visible.toLocaleString('en-US')} visible, ${about}${q.inFlight.toLocaleString('en-US')} in flight, ${about}${q.deadLetters.toLocaleString('en-US')} dead${health.deadLettersGrew ? ` ${GREW}` : ''}.`
    : 'Queue n/a.';
  const lines = wrap(
    [
      `In ${formatRate(health.sentPerSecond)},`,
      `stored ${formatRate(health.storedPerSecond)}.`,
      queue,
      `Lag ${formatLag(health.storingLagSeconds)}.`,
      `Scheduled: last ${formatWhen(health.lastScheduledRun, today)},`,
      `next ${formatWhen(health.nextScheduledRun, today)}.`,
    ],
    view.columns,
  );
  return lines.map((line) => line.replace(GREW, style.red(GREW)));
}

export interface DashboardOptions extends Partial<TerminalView> {
  /** Lines the whole frame may take (a live view's screen); the counties get what is left. */
  maxLines?: number;
  sort: DashboardSort;
  everySeconds: number;
  paused?: boolean;
  /** Keys are read (q, space, s): the footer names them. */
  keys?: boolean;
  /** Lines between the table and the footer (the pointer to dead letters). */
  notes?: readonly string[];
}

/** The smallest terminal the dashboard is made for, columns x rows. */
export const DASHBOARD_MIN = { columns: 60, rows: 20 } as const;

/**
 * What a live dashboard shows instead of a frame the terminal is too small for: its size, the size
 * needed, and the ways on. Short lines, so that it fits (or nearly) however small the terminal is.
 */
export function renderTooSmall(columns: number | undefined, rows: number | undefined, keys: boolean): string {
  const size = columns && rows ? ` (${columns} x ${rows})` : '';
  return [
    `Terminal too small${size}:`,
    `the dashboard needs ${DASHBOARD_MIN.columns} x ${DASHBOARD_MIN.rows}.`,
    'Enlarge it, or use --json.',
    ...(keys ? ['q quits.'] : []),
  ].join('\n');
}

/** Lines of the table around its rows: top, header, rule, rule, Total, bottom. */
const TABLE_CHROME = 6;

/**
 * One frame of the dashboard: the health line, the counties (count, change since the previous
 * refresh, share, trend), notes, and a footer with the refresh period, the sort and the keys. It
 * keeps to `columns` (the trend column goes first, then cells are cut) and to `maxLines` (the tail of
 * the table folds into "(k more)"), so the terminal never wraps or scrolls it.
 */
export function renderDashboard(frame: DashboardFrame, options: DashboardOptions): string {
  const style = styleFor(options.color ?? false);
  const health = renderHealth(frame.health, frame.snapshot.updated, options);
  const notes = (options.notes ?? []).flatMap((note) => wrap(printable(note), options.columns));
  const keys = options.keys
    ? `; q quits, space ${options.paused ? 'resumes' : 'pauses'}, s sorts by ${nextSort(options.sort)}`
    : '; Ctrl-C to stop';
  const footer = wrap(
    `${options.paused ? 'Paused' : `Every ${options.everySeconds}s`}, by ${options.sort}${keys}.`,
    options.columns,
  );
  const room =
    options.maxLines === undefined
      ? Number.POSITIVE_INFINITY
      : options.maxLines - health.length - notes.length - footer.length - TABLE_CHROME;
  const rows = fold(sortRows(frame.rows, options.sort), Math.max(1, room));
  const total = frame.snapshot.total;
  const table = renderTable(
    [
      { header: 'County', truncate: 'start', min: 12 },
      { header: 'Count', align: 'right' },
      {
        header: 'Change',
        align: 'right',
        style: (cell) => {
          const text = cell.trim();
          return text.startsWith('+') ? style.green(cell) : text.startsWith('-') ? style.red(cell) : cell;
        },
      },
      { header: 'Share', align: 'right' },
      {
        header: 'Trend',
        optional: 1,
        flex: {
          preferred: HISTORY_DEPTH,
          min: SPARK_MIN,
          // Body rows, then the "(k more)" row (no trend), then the Total's.
          draw: (row, width) => {
            if (row < rows.shown.length) return sparkline(rows.shown[row]!.history, width);
            return row === rows.shown.length + (rows.rest ? 1 : 0)
              ? sparkline(frame.total.history, width)
              : '';
          },
        },
      },
    ],
    [
      ...rows.shown.map((r) => [
        r.county,
        r.count.toLocaleString('en-US'),
        formatChange(r.change),
        formatShare(r.count, total),
      ]),
      ...(rows.rest
        ? [
            [
              rows.rest.label,
              rows.rest.count.toLocaleString('en-US'),
              '',
              formatShare(rows.rest.count, total),
            ],
          ]
        : []),
    ],
    {
      width: options.columns,
      footer: [
        [
          'Total',
          total.toLocaleString('en-US'),
          formatChange(frame.total.change),
          total > 0 ? '100.0%' : '',
          '',
        ],
      ],
    },
  );
  return [...health, table, ...notes, ...footer.map(style.dim)].join('\n');
}

/** The first `limit` rows, or `limit - 1` and one "(k more)" row for the rest. */
function fold(
  rows: readonly DashboardRow[],
  limit: number,
): { shown: readonly DashboardRow[]; rest?: { label: string; count: number } } {
  if (rows.length <= limit) return { shown: rows };
  const shown = rows.slice(0, limit - 1);
  let count = 0;
  for (let i = shown.length; i < rows.length; i++) count += rows[i]!.count;
  return { shown, rest: { label: `(${(rows.length - shown.length).toLocaleString('en-US')} more)`, count } };
}
