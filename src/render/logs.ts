import type { LogLine } from '../core/logs.js';
import { type FunctionLogEntry, parseLogEntry, type StoringLogEntry } from '../functions/log.js';
import { printable } from './printable.js';
import { formatTime } from './time.js';

/** Failed message ids shown per reason; the rest are counted (--json has them all). */
const IDS_SHOWN = 5;
const FUNCTION_WIDTH = 'aggregation'.length;

/**
 * One line a function logged, for people: its time, its function, and what it says. The entries
 * the handlers log (JSON) are told in words; any other line (Lambda's START, END and REPORT, an
 * error) as it was logged.
 */
export function renderLogLine(line: LogLine, options: { filter?: string } = {}): string {
  const entry = line.level === 'INFO' ? parseLogEntry(line.message) : undefined;
  // The message (and an entry's reasons and ids) come from the functions and AWS: shown printable.
  const text = entry ? describeEntry(entry, options.filter) : line.message;
  const level = line.level && line.level !== 'INFO' ? `${line.level} ` : '';
  return printable(
    `${formatTime(new Date(line.time).toISOString())}  ${line.function.padEnd(FUNCTION_WIDTH)}  ${level}${text}`,
  );
}

function describeEntry(entry: FunctionLogEntry, filter: string | undefined): string {
  if (entry.function === 'aggregation')
    return `aggregated ${entry.total.toLocaleString('en-US')} events in ${entry.counties} counties, window ending ${formatTime(entry.windowEnd)}`;
  return describeStoring(entry, filter);
}

function describeStoring(entry: StoringLogEntry, filter: string | undefined): string {
  const stored = `stored ${entry.stored.toLocaleString('en-US')} of ${entry.records.toLocaleString('en-US')}`;
  if (entry.failed === 0) return stored;
  const reasons = Object.entries(entry.failures).map(([reason, ids]) => {
    // The ids a --filter asked for first: they are why the line was shown.
    const ordered = filter
      ? [...ids.filter((id) => id.includes(filter)), ...ids.filter((id) => !id.includes(filter))]
      : ids;
    const shown = ordered.slice(0, IDS_SHOWN).join(', ');
    const more = ids.length > IDS_SHOWN ? ` and ${ids.length - IDS_SHOWN} more` : '';
    return `${reason} (${ids.length}: ${shown}${more})`;
  });
  return `${stored}; ${entry.failed.toLocaleString('en-US')} failed: ${reasons.join('; ')}`;
}
