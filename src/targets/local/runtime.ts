import { aggregate } from '../../core/aggregation.js';
import type { Clock } from '../../core/clock.js';
import type { StackParameters } from '../../core/parameters.js';
import { parseSchedule, type Schedule } from '../../core/schedule.js';
import type { Snapshot } from '../../core/snapshot.js';
import { storeRecords } from '../../core/storing.js';
import { type Db, getMeta, setMeta } from './database.js';
import type { LocalQueue } from './queue.js';
import type { SqliteEventRepository, SqliteSnapshotRepository } from './repositories.js';

interface BatchResult {
  received: number;
  stored: number;
  failed: number;
}

export interface RuntimeEvents {
  onBatch?(result: BatchResult): void;
  onAggregation?(snapshot: Snapshot): void;
  onError?(error: unknown): void;
}

export interface RuntimeDeps {
  db: Db;
  queue: LocalQueue;
  events: SqliteEventRepository;
  snapshots: SqliteSnapshotRepository;
  parameters: StackParameters;
  clock: Clock;
  /** Serializes this process's use of the connection, so a batch's transaction can span its await. */
  serial: Serial;
}

/** Runs async tasks one after another. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

const POLL_MS = 50;
/** Messages per commit when a backlog is drained. */
const GROUP_COMMIT_MESSAGES = 1000;
const HOUSEKEEPING_MS = 60_000;

/**
 * Plays Lambda's SQS event source mapping and EventBridge's schedule on a local stack: polls the
 * queue in batches through the storing function, and runs the aggregation function when the
 * schedule is due. Any number of processes may run one on the same stack: receives are exclusive,
 * storing is idempotent, and a scheduled run is claimed in the database so it fires once.
 */
export class LocalRuntime {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private ticking: Promise<void> | undefined;
  private readonly schedule: Schedule;
  private lastHousekeeping = 0;
  totals = { received: 0, stored: 0, failed: 0, aggregations: 0 };

  constructor(
    private readonly deps: RuntimeDeps,
    private readonly listeners: RuntimeEvents = {},
  ) {
    this.schedule = parseSchedule(deps.parameters.ScheduleExpression);
  }

  /**
   * Runs the storing function on one batch: receives it, stores it, deletes the stored messages.
   * Failed messages stay in flight until their visibility timeout, then come back (or go to dead
   * letters). Returns how many messages it received.
   */
  processBatch(immediate = false): Promise<number> {
    return this.processBatches({ immediate, maxBatches: 1 });
  }

  /**
   * Runs up to `maxBatches` storing invocations, one batch each, in one transaction: a batch is
   * stored and acknowledged atomically, and a backlog costs one commit per ~1,000 messages instead
   * of one per batch (group commit; each invocation still sees exactly one batch).
   */
  processBatches(options: { immediate?: boolean; maxBatches?: number } = {}): Promise<number> {
    const { parameters: p } = this.deps;
    const maxBatches = options.maxBatches ?? Math.max(1, Math.floor(GROUP_COMMIT_MESSAGES / p.BatchSize));
    return this.deps.serial.run(async () => {
      const { db } = this.deps;
      db.exec('BEGIN IMMEDIATE');
      try {
        const batches: BatchResult[] = [];
        for (let i = 0; i < maxBatches; i++) {
          const batch = await this.invokeStoring(options.immediate ?? false);
          if (batch.received === 0) break;
          batches.push(batch);
        }
        db.exec('COMMIT');
        // Counted only once committed: a rolled-back group stored nothing.
        for (const batch of batches) {
          this.totals.received += batch.received;
          this.totals.stored += batch.stored;
          this.totals.failed += batch.failed;
          this.listeners.onBatch?.(batch);
        }
        return batches.reduce((n, b) => n + b.received, 0);
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  /** One storing invocation; runs inside the caller's transaction. */
  private async invokeStoring(immediate: boolean): Promise<BatchResult> {
    const { queue, parameters: p, clock } = this.deps;
    const messages = queue.receive({
      now: clock.now(),
      maxMessages: p.BatchSize,
      visibilityTimeoutMs: p.VisibilityTimeoutSeconds * 1000,
      maxReceiveCount: p.MaxReceiveCount,
      batchingWindowMs: p.MaximumBatchingWindowInSeconds * 1000,
      immediate,
    });
    if (messages.length === 0) return { received: 0, stored: 0, failed: 0 };
    const result = await storeRecords(messages, { events: this.deps.events, ttlMinutes: p.EventTtlMinutes });
    const failed = new Map(result.errors.map((e) => [e.messageId, e.error]));
    queue.delete(messages.filter((m) => !failed.has(m.messageId)));
    queue.recordFailures(
      messages
        .filter((m) => failed.has(m.messageId))
        .map((m) => ({ message: m, error: failed.get(m.messageId) ?? '' })),
    );
    return { received: messages.length, stored: result.stored, failed: failed.size };
  }

  /** Enqueues message bodies (serialized with the batches this process runs on the connection). */
  enqueue(bodies: readonly string[]): Promise<string[]> {
    return this.deps.serial.run(async () => this.deps.queue.send(bodies, this.deps.clock.now()));
  }

  /** Processes every message visible now, full batches or not (a stream's end, or before aggregating). */
  async drain(): Promise<number> {
    let total = 0;
    for (
      let n = await this.processBatches({ immediate: true });
      n > 0;
      n = await this.processBatches({ immediate: true })
    )
      total += n;
    return total;
  }

  /** Runs the aggregation now; used by `aggregate` and by the schedule. */
  async aggregateNow(): Promise<Snapshot> {
    const snapshot = await aggregate(this.deps.clock.now(), {
      events: this.deps.events,
      snapshots: this.deps.snapshots,
      windowMinutes: this.deps.parameters.WindowMinutes,
    });
    this.totals.aggregations++;
    this.listeners.onAggregation?.(snapshot);
    return snapshot;
  }

  /**
   * Claims the schedule's due slot (compare-and-set in the database, so one process runs it) and
   * runs the aggregation. Missed slots are not replayed: the next run counts the window as of now.
   */
  async runScheduleIfDue(): Promise<boolean> {
    const { db, clock, parameters } = this.deps;
    if (!parameters.ScheduleEnabled) return false;
    const now = clock.now();
    const claimed = db
      .transaction(() => {
        const stored = Number(getMeta(db, 'schedule_next') ?? Number.NaN);
        const due = Number.isFinite(stored) ? stored : this.schedule.next(now);
        const next = this.schedule.next(Math.max(now, due));
        if (now < due) {
          if (!Number.isFinite(stored)) setMeta(db, 'schedule_next', String(due));
          return false;
        }
        setMeta(db, 'schedule_next', String(next));
        return true;
      })
      .immediate();
    if (claimed) await this.aggregateNow();
    return claimed;
  }

  /** Starts polling in the background (timers are unref'd: they never keep the process alive). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedulePoll(0);
  }

  /** Stops polling and waits for the batch in progress. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
  }

  private schedulePoll(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((error: unknown) => this.listeners.onError?.(error))
        .finally(() => this.schedulePoll(POLL_MS));
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    // A bounded number of batches per tick keeps the event loop responsive for the producer.
    for (let i = 0; i < 5 && this.running; i++) if ((await this.processBatches()) === 0) break;
    if (!this.running) return;
    await this.runScheduleIfDue();
    const now = this.deps.clock.now();
    if (now - this.lastHousekeeping >= HOUSEKEEPING_MS) {
      this.lastHousekeeping = now;
      this.deps.queue.expire(now, this.deps.parameters.MessageRetentionSeconds * 1000);
      this.deps.events.expire(Math.floor(now / 1000));
    }
  }
}
