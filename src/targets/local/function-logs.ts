import type { Statement } from 'better-sqlite3';
import type { FunctionName, LogLine, LogQuery } from '../../core/logs.js';
import { type Db, requireTransaction } from './database.js';

/**
 * How long a local stack keeps what its functions logged: the AWS stack's default log retention
 * (LogRetentionDays, 14), which a local stack does not have as a parameter.
 */
export const FUNCTION_LOG_RETENTION_MS = 14 * 24 * 60 * 60 * 1000;

/**
 * And at most this many lines, the newest: a stream at batch size 1 logs tens of thousands of lines
 * a second, and a local stack is one file on a laptop. About 15 MB of ordinary lines.
 */
export const FUNCTION_LOG_MAX_LINES = 100_000;

/** Lines appended between two trims to FUNCTION_LOG_MAX_LINES: one range delete per this many. */
const TRIM_EVERY = 1_000;

/** Lines per read: what a history hands over at a time. */
const PAGE_LINES = 1_000;

interface Row {
  id: number;
  at: number;
  function: string;
  level: string | null;
  message: string;
}

/**
 * What a local stack's functions logged: the local runtime's counterpart of the functions' log
 * groups in CloudWatch Logs. The runtime appends each entry inside the transaction of the invocation
 * that logged it, so a rolled-back batch leaves no line, as it leaves no event; `sensorpipe logs`
 * reads it in id order, which is the order the lines were committed.
 */
export class FunctionLogStore {
  private appended = 0;
  // Prepared once: a stream at batch size 1 appends a line per message.
  private readonly insert: Statement;
  private readonly trimTo: Statement;

  constructor(
    private readonly db: Db,
    private readonly maxLines = FUNCTION_LOG_MAX_LINES,
  ) {
    this.insert = db.prepare('INSERT INTO function_logs (at, function, level, message) VALUES (?, ?, ?, ?)');
    this.trimTo = db.prepare('DELETE FROM function_logs WHERE id <= ?');
  }

  /** Runs inside the caller's transaction: the invocation's own, or the runtime's after a failed one. */
  append(at: number, fn: FunctionName, level: string | null, message: string): void {
    requireTransaction(this.db, 'FunctionLogStore.append');
    const { lastInsertRowid } = this.insert.run(at, fn, level, message);
    // Keeps the newest maxLines: ids are dense and ascending, so one range delete does it.
    if (++this.appended % TRIM_EVERY === 0) this.trimTo.run(Number(lastInsertRowid) - this.maxLines);
  }

  /**
   * The lines of the query after line `afterId`, oldest first, at most PAGE_LINES: a history reads
   * pages from 0 until one comes back short; a follow asks again from the last id it saw.
   */
  read(query: LogQuery, afterId: number): LogLine[] {
    if (query.functions.length === 0) return [];
    const functions = query.functions.map(() => '?').join(', ');
    // instr(): an exact, case-sensitive "contains", which LIKE (wildcards, ASCII case folding) is not.
    const rows = this.db
      .prepare(
        `SELECT id, at, function, level, message FROM function_logs
         WHERE id > ? AND at >= ? AND function IN (${functions})${query.filter === undefined ? '' : ' AND instr(message, ?) > 0'}
         ORDER BY id LIMIT ${PAGE_LINES}`,
      )
      .all(
        afterId,
        query.since,
        ...query.functions,
        ...(query.filter === undefined ? [] : [query.filter]),
      ) as Row[];
    return rows.map((row) => ({
      function: row.function as FunctionName,
      time: row.at,
      level: row.level,
      message: row.message,
      id: String(row.id),
    }));
  }

  /** The id of the newest line, 0 when there is none: where a follow that skips the history starts. */
  lastId(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(id), 0) FROM function_logs').pluck().get() as number) ?? 0;
  }

  /** Forgets the lines past the retention period, as CloudWatch Logs does (housekeeping). */
  expire(now: number): number {
    requireTransaction(this.db, 'FunctionLogStore.expire');
    return this.db.prepare('DELETE FROM function_logs WHERE at <= ?').run(now - FUNCTION_LOG_RETENTION_MS)
      .changes;
  }
}
