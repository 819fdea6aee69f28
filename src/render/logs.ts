import type { LogLine } from '../core/logs.js';
import { type FunctionLogEntry, parseLogEntry, type StoringLogEntry } from '../functions/log.js';

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
  // SAFE-TEXT: the message (and an entry's reasons and ids) come from the functions and AWS; pass them
  // through render/printable.ts's printable() once the terminal branch has landed it.
  const text = entry ? describeEntry(entry, options.filter) : line.message;
  const level = line.level && line.level !== 'INFO' ? `${line.level} ` : '';
  return `${peopleTime(line.time)}  ${line.function.padEnd(FUNCTION_WIDTH)}  ${level}${text}`;
}

/** `2026-12-01 13:50:15Z`, the one time format for people (render/time.ts's formatTime, once landed). */
function peopleTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('T', ' ').replace('.000Z', 'Z');
}

function describeEntry(entry: FunctionLogEntry, filter: string | undefined): string {
  if (entry.function === 'aggregation')
    return `aggregated ${entry.total.toLocaleString('en-US')} events in ${entry.counties} counties, window ending ${peopleTime(Date.parse(entry.windowEnd))}`;
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
