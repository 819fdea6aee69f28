import type { StoredEvent } from './event.js';
import type { Snapshot } from './snapshot.js';
import type { TimeWindow } from './window.js';

/**
 * What the storing and aggregation functions need from storage. SQLite implements it locally,
 * DynamoDB on AWS; the functions themselves exist once, in core.
 */
export interface EventRepository extends EventWriter, WindowCounts {}

/** What the storing function needs: on AWS its bundle carries only this. */
export interface EventWriter {
  /**
   * Stores events idempotently on their id (a redelivered event is not stored twice).
   * Returns the ids that could not be stored after retries; the caller reports them as failures.
   */
  putEvents(events: StoredEvent[]): Promise<{ failedIds: string[] }>;
}

/** What the aggregation function needs: on AWS its bundle carries only this. */
export interface WindowCounts {
  /** Counts per county of the events in the window, reading only the window. */
  countByCounty(window: TimeWindow): Promise<Map<string, number>>;
}

export interface SnapshotRepository {
  /** Replaces the latest snapshot as a whole: readers see it or the previous one, never a mix. */
  putSnapshot(snapshot: Snapshot): Promise<void>;
  latestSnapshot(): Promise<Snapshot | undefined>;
}
