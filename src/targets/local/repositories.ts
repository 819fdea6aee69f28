import type { StoredEvent } from '../../core/event.js';
import type { EventRepository, SnapshotRepository } from '../../core/repositories.js';
import type { Snapshot } from '../../core/snapshot.js';
import type { TimeWindow } from '../../core/window.js';
import type { Db } from './database.js';

/** Raw events in SQLite: idempotent on the event id, counted per county over an index range. */
export class SqliteEventRepository implements EventRepository {
  private readonly insert;
  private readonly insertCounty;
  private readonly countiesQuery;
  private readonly countInRange;
  /** Counties this process has already recorded; saves a write per event. */
  private readonly knownCounties = new Set<string>();

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      'INSERT OR IGNORE INTO events (id, time, county, expires_at, data) VALUES (?, ?, ?, ?, ?)',
    );
    this.insertCounty = db.prepare('INSERT OR IGNORE INTO counties (county) VALUES (?)');
    this.countiesQuery = db.prepare('SELECT county FROM counties').pluck();
    this.countInRange = db
      .prepare('SELECT COUNT(*) FROM events WHERE county = ? AND time > ? AND time <= ?')
      .pluck();
  }

  async putEvents(events: StoredEvent[]): Promise<{ failedIds: string[] }> {
    this.db
      .transaction(() => {
        for (const e of events) {
          this.insert.run(e.id, e.time, e.county, e.expiresAt, JSON.stringify(e.data));
          if (!this.knownCounties.has(e.county)) {
            this.insertCounty.run(e.county);
            this.knownCounties.add(e.county);
          }
        }
      })
      .immediate();
    return { failedIds: [] };
  }

  /**
   * One index range count per county inside one read transaction: reads only the window's entries
   * and sees one consistent state of the table.
   */
  async countByCounty(window: TimeWindow): Promise<Map<string, number>> {
    return this.db.transaction(() => {
      const counts = new Map<string, number>();
      for (const county of this.countiesQuery.all() as string[]) {
        const n = this.countInRange.get(county, window.start, window.end) as number;
        if (n > 0) counts.set(county, n);
      }
      return counts;
    })();
  }

  /**
   * Deletes expired events, lazily as DynamoDB's TTL does; correctness never depends on it. Event
   * ids are time-ordered (UUIDv7), so the expired ones sit at the start: look at most `max` rows.
   */
  expire(nowSeconds: number, max = 10_000): number {
    return this.db
      .prepare(
        'DELETE FROM events WHERE id IN (SELECT id FROM (SELECT id, expires_at FROM events ORDER BY id LIMIT ?) WHERE expires_at <= ?)',
      )
      .run(max, nowSeconds).changes;
  }

  countAll(): number {
    return this.db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
  }
}

export class SqliteSnapshotRepository implements SnapshotRepository {
  constructor(private readonly db: Db) {}

  /** A slower aggregation that finishes late never replaces a newer snapshot. */
  async putSnapshot(snapshot: Snapshot): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO aggregates (name, updated_at, snapshot) VALUES ('latest', ?, ?)
         ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at, snapshot = excluded.snapshot
         WHERE excluded.updated_at >= aggregates.updated_at`,
      )
      .run(Date.parse(snapshot.updated), JSON.stringify(snapshot));
  }

  async latestSnapshot(): Promise<Snapshot | undefined> {
    const row = this.db.prepare("SELECT snapshot FROM aggregates WHERE name = 'latest'").pluck().get() as
      | string
      | undefined;
    return row === undefined ? undefined : (JSON.parse(row) as Snapshot);
  }
}
