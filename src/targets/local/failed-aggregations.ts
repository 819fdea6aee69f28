import { oneLine } from '../../core/text.js';
import { type Db, requireTransaction } from './database.js';

/**
 * How long a failed scheduled aggregation is kept: as long as the AWS stack's failure queue keeps
 * the failed invocations Lambda sends it (MessageRetentionPeriod in templates/pipeline.yaml), so
 * `status` counts the same span on both targets.
 */
export const FAILED_AGGREGATION_RETENTION_MS = 14 * 24 * 60 * 60 * 1000;

/**
 * The scheduled aggregations that failed on a local stack: the local runtime's counterpart of the
 * failure queue that keeps the failed asynchronous invocations of the aggregation function on AWS.
 * Aggregations run by `sensorpipe aggregate` report their failure to the user instead, on both.
 */
export class FailedAggregations {
  constructor(private readonly db: Db) {}

  /** Runs inside the caller's transaction: the runtime records a failure in one of its own. */
  record(at: number, error: unknown): void {
    requireTransaction(this.db, 'FailedAggregations.record');
    const reason = oneLine(error instanceof Error ? error.message : String(error), 1000);
    this.db.prepare('INSERT INTO failed_aggregations (at, error) VALUES (?, ?)').run(at, reason);
  }

  /** Those kept at `now`: failed within the retention period. */
  count(now: number): number {
    return this.db
      .prepare('SELECT COUNT(*) FROM failed_aggregations WHERE at > ?')
      .pluck()
      .get(now - FAILED_AGGREGATION_RETENTION_MS) as number;
  }

  /** Forgets those past the retention period, as SQS drops a message past its retention. */
  expire(now: number): number {
    requireTransaction(this.db, 'FailedAggregations.expire');
    return this.db
      .prepare('DELETE FROM failed_aggregations WHERE at <= ?')
      .run(now - FAILED_AGGREGATION_RETENTION_MS).changes;
  }
}
