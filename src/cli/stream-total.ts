// Command-side glue: what a bounded stream's progress bar counts to.
import type { ProgressTotal } from '../render/progress.js';
import { estimateRows } from '../source/row-count.js';

/**
 * The total of a stream that ends by itself: --limit N events, or the file's data rows with --once
 * (whichever comes first), counted in the background (see source/row-count.ts). An endless stream
 * has none, and keeps its spinner.
 */
export function streamTotal(
  file: string,
  bounds: { once: boolean; limit?: number },
): { total: () => ProgressTotal | undefined; dispose: () => void } {
  const limit = bounds.limit;
  if (!bounds.once) {
    return {
      total: () => (limit === undefined ? undefined : { count: limit, exact: true, unit: 'events' }),
      dispose: () => {},
    };
  }
  const rows = estimateRows(file);
  return {
    total: () => {
      const counted = rows.current();
      if (limit !== undefined && (counted === undefined || limit < counted.rows))
        return { count: limit, exact: true, unit: 'events' };
      return counted && { count: counted.rows, exact: counted.exact, unit: 'rows' };
    },
    dispose: () => rows.dispose(),
  };
}
