import { CLOCK_SKEW_MS } from '../../core/clock.js';
import { expiredThrough, type StoredEvent } from '../../core/event.js';
import type { EventRepository, SnapshotRepository } from '../../core/repositories.js';
import { type Snapshot, tally } from '../../core/snapshot.js';
import { SECOND_MS, splitWindow, type TimeWindow } from '../../core/window.js';
import { type Db, requireTransaction } from './database.js';
import { environmentError } from './stack-file.js';

const SECOND = SECOND_MS;

/**
 * Raw events in SQLite, idempotent on the event id. Each insert that stores a new event also adds
 * one to its county's count for that second, in the same transaction, so counts stay exact.
 * Writes run inside the caller's transaction (LocalRuntime.withTransaction), so that storing a
 * batch and deleting its messages commit together.
 */
export class SqliteEventRepository implements EventRepository {
  private readonly insert;
  private readonly addCounts;
  private readonly bucketSums;
  private readonly edgeCounts;
  private readonly takeCounts;
  private readonly dropEmptyCount;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      'INSERT OR IGNORE INTO events (id, time, county, expires_at, data) VALUES (?, ?, ?, ?, ?)',
    );
    this.addCounts = db.prepare(
      'INSERT INTO county_seconds (second, county, n) VALUES (?, ?, ?) ON CONFLICT (second, county) DO UPDATE SET n = n + excluded.n',
    );
    this.bucketSums = db.prepare(
      'SELECT county, SUM(n) AS n FROM county_seconds WHERE second >= ? AND second < ? GROUP BY county',
    );
    this.edgeCounts = db.prepare(
      'SELECT county, COUNT(*) AS n FROM events WHERE time > ? AND time <= ? GROUP BY county',
    );
    this.takeCounts = db.prepare('UPDATE county_seconds SET n = n - ? WHERE second = ? AND county = ?');
    this.dropEmptyCount = db.prepare('DELETE FROM county_seconds WHERE second = ? AND county = ? AND n <= 0');
  }

  /**
   * All or nothing inside the caller's transaction (a savepoint): the storing function turns a
   * failure into batch item failures and goes on, so a half-stored batch must not stay behind.
   */
  async putEvents(events: StoredEvent[]): Promise<{ failedIds: string[] }> {
    requireTransaction(this.db, 'SqliteEventRepository.putEvents');
    try {
      this.insertAll(events);
    } catch (error) {
      // A full disk is the environment's, not these events': it fails the invocation (see storeRecords).
      throw environmentError(error, this.db.name) ?? error;
    }
    return { failedIds: [] };
  }

  private insertAll(events: StoredEvent[]): void {
    this.db.transaction(() => {
      // New events per second, then per county: a batch's events mostly share a second or two.
      const added = new Map<number, Map<string, number>>();
      for (const e of events) {
        // A redelivered event is ignored by the primary key and so is not counted again.
        if (this.insert.run(e.id, e.time, e.county, e.expiresAt, JSON.stringify(e.data)).changes === 0)
          continue;
        const second = Math.floor(e.time / SECOND);
        let counties = added.get(second);
        if (!counties) {
          counties = new Map();
          added.set(second, counties);
        }
        counties.set(e.county, (counties.get(e.county) ?? 0) + 1);
      }
      for (const [second, counties] of added)
        for (const [county, n] of counties) this.addCounts.run(second, county, n);
    })();
  }

  /**
   * Counts (start, end] per county inside one read transaction: whole seconds from the per-second
   * counts, the two partial edge seconds from the events' time index. Reads only the window.
   */
  async countByCounty(window: TimeWindow): Promise<Map<string, number>> {
    return this.db.transaction(() => {
      const counts = new Map<string, number>();
      const add = (rows: unknown[]) => {
        for (const { county, n } of rows as { county: string; n: number }[]) tally(counts, county, n);
      };
      const { firstSecond, endSecond, edges } = splitWindow(window);
      for (const edge of edges) add(this.edgeCounts.all(edge.after, edge.upTo));
      if (endSecond > firstSecond) add(this.bucketSums.all(firstSecond, endSecond));
      for (const [county, n] of counts) if (n <= 0) counts.delete(county);
      return counts;
    })();
  }

  /**
   * Deletes expired events (isExpired: expiry at or before now), lazily as DynamoDB's TTL does;
   * counting never depends on it, and an event a window can still count has not expired. Each
   * deleted event is taken off its second's count in the same transaction, so the per-second counts
   * stay exactly the events stored. Event ids are time-ordered (UUIDv7), so the expired ones sit at
   * the start: look at most `max` rows.
   */
  expire(now: number, max = 10_000): number {
    requireTransaction(this.db, 'SqliteEventRepository.expire');
    const deleted = this.db
      .prepare(
        'DELETE FROM events WHERE id IN (SELECT id FROM (SELECT id, expires_at FROM events ORDER BY id LIMIT ?) WHERE expires_at <= ?) RETURNING time, county',
      )
      .all(max, expiredThrough(now)) as { time: number; county: string }[];
    const removed = new Map<string, { second: number; county: string; n: number }>();
    for (const { time, county } of deleted) {
      const second = Math.floor(time / SECOND);
      const key = `${second}\u0000${county}`;
      const entry = removed.get(key);
      if (entry) entry.n++;
      else removed.set(key, { second, county, n: 1 });
    }
    for (const { second, county, n } of removed.values()) {
      this.takeCounts.run(n, second, county);
      this.dropEmptyCount.run(second, county);
    }
    // Counts kept by an older sensorpipe for events it had already deleted: older than every stored
    // event, so no window that holds an event reaches them.
    this.db
      .prepare('DELETE FROM county_seconds WHERE second < COALESCE((SELECT MIN(time) FROM events) / 1000, ?)')
      .run(expiredThrough(now));
    return deleted.length;
  }

  /** How many of these ids are stored. */
  countIds(ids: readonly string[]): number {
    const has = this.db.prepare('SELECT 1 FROM events WHERE id = ?').pluck();
    let n = 0;
    for (const id of new Set(ids)) if (has.get(id) !== undefined) n++;
    return n;
  }

  countAll(): number {
    return this.db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
  }

  /** Every event the per-second counts hold: what aggregations count, over all time. */
  countedAll(): number {
    return this.db.prepare('SELECT COALESCE(SUM(n), 0) FROM county_seconds').pluck().get() as number;
  }
}

export class SqliteSnapshotRepository implements SnapshotRepository {
  constructor(private readonly db: Db) {}

  /**
   * Writes the snapshot unless the stored one replaces it by core's rule (replacesSnapshot): a
   * slower aggregation that finishes late never replaces a newer snapshot, but any aggregation
   * replaces one dated more than the clock skew after its own time (a clock that ran ahead wrote it).
   * Runs inside the caller's transaction, with the reads of the window it counts.
   */
  async putSnapshot(snapshot: Snapshot): Promise<void> {
    requireTransaction(this.db, 'SqliteSnapshotRepository.putSnapshot');
    this.db
      .prepare(
        `INSERT INTO aggregates (name, updated_at, snapshot) VALUES ('latest', ?, ?)
         ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at, snapshot = excluded.snapshot
         WHERE excluded.updated_at >= aggregates.updated_at OR aggregates.updated_at > excluded.updated_at + ?`,
      )
      .run(Date.parse(snapshot.updated), JSON.stringify(snapshot), CLOCK_SKEW_MS);
  }

  async latestSnapshot(): Promise<Snapshot | undefined> {
    const row = this.db.prepare("SELECT snapshot FROM aggregates WHERE name = 'latest'").pluck().get() as
      | string
      | undefined;
    return row === undefined ? undefined : (JSON.parse(row) as Snapshot);
  }
}
