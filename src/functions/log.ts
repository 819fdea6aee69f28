/**
 * The structured entries the functions log: one per storing invocation, one per aggregation run.
 * Counts and reasons only: a message body may hold anything and is never logged.
 */
export interface StoringLogEntry {
  function: 'storing';
  records: number;
  stored: number;
  failed: number;
  /** The ids of the failed messages, by reason. */
  failures: Record<string, string[]>;
}

export interface AggregationLogEntry {
  function: 'aggregation';
  windowEnd: string;
  total: number;
  counties: number;
}

export type FunctionLogEntry = StoringLogEntry | AggregationLogEntry;

/** Where a function's entries go: CloudWatch Logs (one JSON line each) on Lambda, the runtime's onLog locally. */
export type LogSink<Entry extends FunctionLogEntry = FunctionLogEntry> = (entry: Entry) => void;

/**
 * The one line an entry is logged as, on Lambda (console.log) and in a local stack's log alike, so
 * that `sensorpipe logs --filter` matches the same text on both targets. `extra`: what only one
 * target can tell beside it (on AWS, what the aggregation's count read).
 */
export function logLineOf(entry: FunctionLogEntry, extra: Record<string, unknown> = {}): string {
  // The entry's own fields first: `{"function":` is how parseLogEntry knows an entry.
  return JSON.stringify({ ...entry, ...extra });
}

/** An entry read back from a logged line; undefined for any other line (START, REPORT, an error). */
export function parseLogEntry(message: string): FunctionLogEntry | undefined {
  if (!message.startsWith('{"function":')) return undefined;
  try {
    const value = JSON.parse(message) as Partial<StoringLogEntry> & Partial<AggregationLogEntry>;
    if (
      value.function === 'storing' &&
      typeof value.records === 'number' &&
      typeof value.failures === 'object'
    )
      return value as StoringLogEntry;
    if (value.function === 'aggregation' && typeof value.total === 'number')
      return value as AggregationLogEntry;
  } catch {
    // Not JSON after all: an ordinary line.
  }
  return undefined;
}

/**
 * What Lambda's Node.js runtime logs (level ERROR) when a handler throws: the local runtime, which
 * plays Lambda, logs the same line, so a failed invocation reads alike on both targets.
 */
export function invokeErrorLine(error: unknown): string {
  const errorType = error instanceof Error ? error.name : typeof error;
  const errorMessage = error instanceof Error ? error.message : String(error);
  return `Invoke Error ${JSON.stringify({ errorType, errorMessage })}`;
}
