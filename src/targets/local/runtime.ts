import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Clock } from '../../core/clock.js';
import type { FunctionName } from '../../core/logs.js';
import type { StackParameters } from '../../core/parameters.js';
import { parseSchedule, type Schedule, slotAt } from '../../core/schedule.js';
import type { Snapshot } from '../../core/snapshot.js';
import type { AggregationTrigger } from '../../functions/aggregation.js';
import { type FunctionLogEntry, invokeErrorLine, logLineOf } from '../../functions/log.js';
import { type Db, getMeta, SCHEDULE_LAST, setMeta, WriteTransactions } from './database.js';
import { type BatchResult, invokeStoringFromQueue } from './event-source-mapping.js';
import { FailedAggregations } from './failed-aggregations.js';
import { FunctionLogStore } from './function-logs.js';
import { scheduledEventAt } from './lambda-events.js';
import { LocalFunctions } from './local-functions.js';
import type { LocalQueue } from './queue.js';
import type { SqliteEventRepository, SqliteSnapshotRepository } from './repositories.js';
import { Signal } from './signal.js';

export type { BatchResult };

export interface RuntimeEvents {
  /** A storing invocation, once its transaction committed. */
  onBatch?(result: BatchResult): void;
  onAggregation?(snapshot: Snapshot): void;
  /** A failure of the background consumer (start()); it keeps polling. */
  onError?(error: unknown): void;
  /**
   * Each structured entry a function logs (one per storing invocation, one per aggregation run), as
   * it logs it, inside the runtime's transaction. The runtime itself writes each one to the stack's
   * function_logs there (what `sensorpipe logs` reads).
   */
  onLog?(entry: FunctionLogEntry): void;
}

export interface RuntimeDeps {
  db: Db;
  queue: LocalQueue;
  events: SqliteEventRepository;
  snapshots: SqliteSnapshotRepository;
  parameters: StackParameters;
  clock: Clock;
  /** Throws when the stack's file is gone; run with every write transaction (see WriteTransactions). */
  checkStack?: () => void;
}

export interface RuntimeTotals {
  received: number;
  stored: number;
  failed: number;
  aggregations: number;
}

/** How often the background consumer looks at the queue when nothing wakes it. */
const POLL_MS = 50;
/** Messages per commit when a backlog is drained. */
const GROUP_COMMIT_MESSAGES = 1000;
const HOUSEKEEPING_MS = 60_000;

/**
 * Plays Lambda's SQS event source mapping and EventBridge's schedule on a local stack, running the
 * same function handlers as Lambda: consumes the queue in batches through the storing function, and
 * runs the aggregation function when the schedule is due. One per connection: it owns the
 * connection's write transactions (withTransaction). Any number of processes may run one on the same
 * stack: receives are exclusive, storing is idempotent, and a scheduled run is claimed in the
 * database so it fires once.
 */
export class LocalRuntime {
  private readonly transactions: WriteTransactions;
  private readonly functions: LocalFunctions;
  private readonly schedule: Schedule;
  private readonly failedAggregations: FailedAggregations;
  private readonly functionLogs: FunctionLogStore;
  private readonly listeners = new Set<RuntimeEvents>();
  private readonly counts: RuntimeTotals = { received: 0, stored: 0, failed: 0, aggregations: 0 };
  private running = false;
  private consumer: Promise<void> | undefined;
  /** Messages this process enqueued that, as far as it knows, no receive has taken yet. */
  private pending = 0;
  /** Rung when a full batch waits: the consumer takes it at once instead of on its next poll. */
  private readonly batchWaiting = new Signal();
  /** Rung when the consumer took what was ready: an enqueue waiting for room goes on. */
  private readonly roomMade = new Signal();
  private lastHousekeeping = 0;
  private lastScheduleCheck = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly deps: RuntimeDeps,
    listeners: RuntimeEvents = {},
  ) {
    this.transactions = new WriteTransactions(deps.db, { checkStack: deps.checkStack });
    this.schedule = parseSchedule(deps.parameters.ScheduleExpression);
    this.failedAggregations = new FailedAggregations(deps.db);
    this.functionLogs = new FunctionLogStore(deps.db);
    this.functions = new LocalFunctions({
      ...deps,
      // In the invocation's transaction: a batch rolled back leaves no line, as it leaves no event.
      log: (entry) => {
        this.functionLogs.append(deps.clock.now(), entry.function, 'INFO', logLineOf(entry));
        for (const l of this.listeners) l.onLog?.(entry);
      },
    });
    this.subscribe(listeners);
  }

  /** What this runtime has done since it was created (a copy). */
  get totals(): Readonly<RuntimeTotals> {
    return { ...this.counts };
  }

  /** Adds listeners; returns what removes them. */
  subscribe(listeners: RuntimeEvents): () => void {
    this.listeners.add(listeners);
    return () => this.listeners.delete(listeners);
  }

  /**
   * Runs `work` in a write transaction on this runtime's connection, after the ones before it: the
   * one place a transaction may span an await. Commits when `work` returns, rolls back when it throws.
   */
  withTransaction<T>(work: () => T | Promise<T>): Promise<T> {
    return this.transactions.run(work);
  }

  /**
   * Enqueues message bodies; they are accepted once this returns. While the consumer runs (start()),
   * it waits until the consumer took the full batches waiting, so the queue does not grow while a
   * large file streams in.
   */
  async enqueue(bodies: readonly string[]): Promise<string[]> {
    const ids = await this.withTransaction(() => this.deps.queue.send(bodies, this.deps.clock.now()));
    this.pending += ids.length;
    while (this.running && this.batchReady()) {
      this.batchWaiting.notify();
      await this.roomMade.wait(POLL_MS, { keepAlive: true });
    }
    return ids;
  }

  private batchReady(): boolean {
    const p = this.deps.parameters;
    return this.pending >= p.BatchSize || (this.pending > 0 && p.MaximumBatchingWindowInSeconds === 0);
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
  async processBatches(options: { immediate?: boolean; maxBatches?: number } = {}): Promise<number> {
    const { parameters: p, queue, clock } = this.deps;
    const maxBatches = options.maxBatches ?? this.groupCommitBatches();
    const batches = await this.invoking('storing', () =>
      this.withTransaction(async () => {
        const done: BatchResult[] = [];
        for (let i = 0; i < maxBatches; i++) {
          const batch = await invokeStoringFromQueue(queue, this.functions, {
            now: clock.now(),
            maxMessages: p.BatchSize,
            visibilityTimeoutMs: p.VisibilityTimeoutSeconds * 1000,
            maxReceiveCount: p.MaxReceiveCount,
            batchingWindowMs: p.MaximumBatchingWindowInSeconds * 1000,
            immediate: options.immediate ?? false,
          });
          if (batch.received === 0) break;
          done.push(batch);
        }
        return done;
      }),
    );
    // Counted only once committed: a rolled-back group stored nothing.
    for (const batch of batches) {
      this.counts.received += batch.received;
      this.counts.stored += batch.stored;
      this.counts.failed += batch.failed;
      for (const l of this.listeners) l.onBatch?.(batch);
    }
    return batches.reduce((n, b) => n + b.received, 0);
  }

  /**
   * Runs invocations of a function in a transaction; when they fail, logs the error as Lambda's
   * runtime does (Invoke Error, level ERROR), in a transaction of its own since theirs was rolled
   * back. What cannot write that line either (a full disk) fails the same way, and the invocation's
   * error is the one to report.
   */
  private async invoking<T>(fn: FunctionName, invoke: () => Promise<T>): Promise<T> {
    try {
      return await invoke();
    } catch (error) {
      const at = this.deps.clock.now();
      await this.withTransaction(() =>
        this.functionLogs.append(at, fn, 'ERROR', invokeErrorLine(error)),
      ).catch(() => {});
      throw error;
    }
  }

  private groupCommitBatches(): number {
    return Math.max(1, Math.floor(GROUP_COMMIT_MESSAGES / this.deps.parameters.BatchSize));
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
    this.tookEverything();
    return total;
  }

  /** Runs the aggregation function now; used by `aggregate` (no payload, as Invoke sends) and by the schedule. */
  async aggregateNow(trigger: AggregationTrigger = {}): Promise<Snapshot> {
    const snapshot = await this.invoking('aggregation', () =>
      this.withTransaction(() => this.functions.aggregate(trigger)),
    );
    this.counts.aggregations++;
    for (const l of this.listeners) l.onAggregation?.(snapshot);
    return snapshot;
  }

  /**
   * Claims the schedule's due slot (compare-and-set in the database, so one process runs it) and
   * runs the aggregation. Missed slots are not replayed: the next run counts the window as of now.
   * A run that fails is recorded in the stack, as Lambda keeps a failed scheduled invocation in the
   * stack's failure queue (status counts them), and its error still goes to the caller.
   * A slot stored by a clock that ran ahead is recomputed from now (slotAt), and a schedule with no
   * next run never fires.
   */
  async runScheduleIfDue(): Promise<boolean> {
    const { db, clock, parameters } = this.deps;
    if (!parameters.ScheduleEnabled) return false;
    const now = clock.now();
    const claimed = await this.withTransaction(() => {
      const raw = getMeta(db, 'schedule_next');
      const { due } = slotAt(this.schedule, raw === undefined ? undefined : Number(raw), now);
      if (now < due) {
        if (raw !== String(due)) setMeta(db, 'schedule_next', String(due));
        return false;
      }
      setMeta(db, 'schedule_next', String(this.schedule.next(Math.max(now, due))));
      return true;
    });
    if (!claimed) return false;
    try {
      await this.aggregateNow(scheduledEventAt(now));
    } catch (error) {
      // Its own transaction: the run's was rolled back. What cannot write this (a full disk) fails
      // the same way the run did, and the run's error is the one to report.
      await this.withTransaction(() => this.failedAggregations.record(now, error)).catch(() => {});
      throw error;
    }
    // What the dashboard shows as the last scheduled run; a run that failed is counted apart.
    await this.withTransaction(() => setMeta(db, SCHEDULE_LAST, String(now)));
    return true;
  }

  /**
   * Deletes what has expired: messages past the queue's retention, events past their TTL (lazily,
   * as SQS and DynamoDB do; counts never depend on it). The consumer runs it once a minute.
   */
  expireNow(): Promise<void> {
    const { queue, events, parameters, clock } = this.deps;
    return this.withTransaction(() => {
      const now = clock.now();
      queue.expire(now, parameters.MessageRetentionSeconds * 1000);
      events.expire(now);
      this.failedAggregations.expire(now);
      this.functionLogs.expire(now);
    });
  }

  /**
   * Starts consuming in the background: a batch is taken as soon as it is ready (a full one enqueued
   * here wakes the consumer), otherwise on a short poll, which also sees other processes' messages,
   * the end of a batching window and the schedule. Its timers never keep the process alive.
   */
  start(): void {
    if (this.running) return;
    this.running = true;
    // From the next turn of the event loop, as a poll would: start() returns before any work.
    this.consumer = nextTurn().then(() => this.consume());
  }

  /** Stops consuming and waits for the batch in progress. */
  async stop(): Promise<void> {
    this.running = false;
    this.batchWaiting.notify();
    this.roomMade.notify();
    await this.consumer;
    this.consumer = undefined;
  }

  private async consume(): Promise<void> {
    while (this.running) {
      try {
        await this.processReadyBatches();
        if (this.running) await this.backgroundChores();
      } catch (error) {
        for (const l of this.listeners) l.onError?.(error);
        this.tookEverything(); // never leave the sender waiting on a consumer that failed
      }
      if (this.running && !this.batchReady()) await this.batchWaiting.wait(POLL_MS, { keepAlive: false });
    }
  }

  private async processReadyBatches(): Promise<void> {
    const { BatchSize } = this.deps.parameters;
    const groupCapacity = this.groupCommitBatches() * BatchSize;
    while (this.running) {
      const enqueuedBefore = this.pending;
      const received = await this.processBatches();
      if (received < groupCapacity) {
        // A group that is not full took all that was ready. What this process enqueued before it was
        // taken, by this receive or another process's, or waits for its batching window: either way
        // it no longer holds the sender back.
        this.pending = Math.max(0, this.pending - Math.max(received, enqueuedBefore));
        if (!this.batchReady()) this.roomMade.notify();
        return;
      }
      this.pending = Math.max(0, this.pending - received);
      if (!this.batchReady()) this.roomMade.notify();
      // Timers, I/O and signals get their turn between commits, however long the backlog.
      await nextTurn();
    }
  }

  private tookEverything(): void {
    this.pending = 0;
    this.roomMade.notify();
  }

  /** The schedule and housekeeping, at most once per poll interval however often the consumer wakes. */
  private async backgroundChores(): Promise<void> {
    const at = performance.now();
    if (at - this.lastScheduleCheck < POLL_MS) return;
    this.lastScheduleCheck = at;
    await this.runScheduleIfDue();
    const now = this.deps.clock.now();
    if (now - this.lastHousekeeping >= HOUSEKEEPING_MS) {
      this.lastHousekeeping = now;
      await this.expireNow();
    }
  }
}
