/**
 * The one table of every human view: box-drawn, compact (rules only under the header and above the
 * footer, such as a Total row), fitted to a width, in time linear in the rows. Every cell is made
 * printable here, so no data reaches the terminal raw through a table.
 *
 * Fitting, when the natural width is too wide: the flexible column (a bar) shrinks first, down to
 * its minimum; then the widest truncatable cells are cut with an ellipsis, down to each column's
 * minimum; then optional columns are left out, last first. Never below MIN_COLUMNS of terminal.ts.
 */
import { printable } from './printable.js';
import { displayWidth, pad, truncate } from './width.js';

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Cells may be cut with an ellipsis: at the end, or in the middle ('ends', for paths and URLs). */
  truncate?: 'start' | 'ends';
  /** The narrowest this column's cells get (default: its header's width, at least 4). */
  min?: number;
  /** The widest, whatever the room (dead letters' bodies). */
  max?: number;
  /** Left out when even truncated cells do not fit; the highest first. */
  optional?: number;
  /**
   * A flexible column: its cells are drawn for the width it gets (a bar), `preferred` columns wide
   * when there is room. It shrinks before any other column. Rows are numbered body first, then the
   * footer's.
   */
  flex?: { preferred: number; min: number; draw(row: number, width: number): string };
  /** Colours a cell after it is fitted (the escape codes take no columns). */
  style?(cell: string, row: number): string;
}

export interface TableOptions {
  /** Columns the whole table may take; undefined: as wide as its cells. */
  width?: number;
  /** Rows after a rule, below the body: a Total. Cells of the body never look like them. */
  footer?: readonly (readonly string[])[];
}

const BORDER = {
  top: ['┌', '┬', '┐'],
  rule: ['├', '┼', '┤'],
  bottom: ['└', '┴', '┘'],
} as const;

/** The columns `widths` take with borders and one space of padding either side. */
function tableWidth(widths: readonly number[]): number {
  return widths.reduce((sum, w) => sum + w + 3, 1);
}

/**
 * Renders `rows` (one string per column; a flexible column's cell is ignored) under the headers of
 * `columns`. A table with no header text draws no header row (a key/value table).
 */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const footer = options.footer ?? [];
  const safe = (row: readonly string[]) => columns.map((_, i) => printable(row[i] ?? ''));
  const body = rows.map(safe);
  const foot = footer.map(safe);
  const natural = columns.map((column, i) => {
    if (column.flex) return column.flex.preferred;
    let width = displayWidth(column.header);
    for (const row of body) width = Math.max(width, displayWidth(row[i]!));
    for (const row of foot) width = Math.max(width, displayWidth(row[i]!));
    return column.max === undefined ? width : Math.min(width, column.max);
  });
  const { shown, widths } = fitColumns(columns, natural, options.width);
  const showHeader = columns.some((c) => c.header !== '');
  const line = (kind: keyof typeof BORDER) => {
    const [left, mid, right] = BORDER[kind];
    return left + shown.map((i) => '─'.repeat(widths[i]! + 2)).join(mid) + right;
  };
  // The header is row -1; footer rows follow the body's (a flexible column draws them too: a total's trend).
  const draw = (cells: readonly string[], row: number, styled: boolean) =>
    `│ ${shown
      .map((i) => {
        const column = columns[i]!;
        const width = widths[i]!;
        const text = column.flex && row >= 0 ? column.flex.draw(row, width) : (cells[i] ?? '');
        const fitted = pad(
          truncate(text, width, column.truncate === 'ends' ? 'ends' : 'start'),
          width,
          column.align,
        );
        return styled && column.style ? column.style(fitted, row) : fitted;
      })
      .join(' │ ')} │`;
  const out: string[] = [line('top')];
  if (showHeader) {
    out.push(
      draw(
        columns.map((c) => c.header),
        -1,
        false,
      ),
    );
    if (body.length + foot.length > 0) out.push(line('rule'));
  }
  body.forEach((cells, row) => {
    out.push(draw(cells, row, true));
  });
  if (foot.length > 0) {
    if (body.length > 0) out.push(line('rule'));
    foot.forEach((cells, k) => {
      out.push(draw(cells, body.length + k, false));
    });
  }
  out.push(line('bottom'));
  return out.join('\n');
}

/** Which columns are shown, and how wide each is, to fit `width`. */
function fitColumns(
  columns: readonly Column[],
  natural: readonly number[],
  width: number | undefined,
): { shown: number[]; widths: number[] } {
  let shown = columns.map((_, i) => i);
  const widths = [...natural];
  if (width === undefined) return { shown, widths };
  const minOf = (i: number) => {
    const column = columns[i]!;
    if (column.flex) return Math.min(natural[i]!, column.flex.min);
    if (!column.truncate) return natural[i]!;
    return Math.min(natural[i]!, column.min ?? Math.max(4, displayWidth(column.header)));
  };
  const over = () => tableWidth(shown.map((i) => widths[i]!)) - width;
  for (;;) {
    for (const i of shown) {
      if (columns[i]!.flex) widths[i] = Math.max(minOf(i), widths[i]! - Math.max(0, over()));
    }
    // Cut the widest cells first, down to one level for all, so long cells are cut evenly.
    const cut = shown.filter((i) => !columns[i]!.flex && widths[i]! > minOf(i));
    if (over() > 0 && cut.length > 0) {
      const fixed = over() + cut.reduce((sum, i) => sum - widths[i]!, 0);
      const at = (level: number) =>
        cut.reduce((sum, i) => sum + Math.min(widths[i]!, Math.max(level, minOf(i))), 0);
      let lo = 0;
      let hi = Math.max(...cut.map((i) => widths[i]!));
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (fixed + at(mid) <= 0) lo = mid;
        else hi = mid - 1;
      }
      for (const i of cut) widths[i] = Math.min(widths[i]!, Math.max(lo, minOf(i)));
      // What the level left unused goes back to the widest cut columns, a column each.
      let spare = -over();
      for (const i of cut) {
        if (spare <= 0) break;
        if (widths[i]! < natural[i]! && widths[i]! === lo && lo >= minOf(i)) {
          widths[i] = widths[i]! + 1;
          spare--;
        }
      }
    }
    if (over() <= 0) break;
    const optional = shown.filter((i) => columns[i]!.optional !== undefined);
    if (optional.length === 0) break;
    const drop = optional.reduce((a, b) => (columns[b]!.optional! > columns[a]!.optional! ? b : a));
    shown = shown.filter((i) => i !== drop);
    // Room came back: the others may take up to their natural width again.
    for (const i of shown) widths[i] = natural[i]!;
  }
  return { shown, widths };
}
