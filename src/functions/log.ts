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
