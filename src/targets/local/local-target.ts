import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Clock, isoTimeOrNull, systemClock } from '../../core/clock.js';
import { planParameters } from '../../core/deploy.js';
import { InterruptedError, UsageError } from '../../core/errors.js';
import { eventBody } from '../../core/event.js';
import { FOLLOW_POLICY, followPolls, type LogLine, type LogQuery } from '../../core/logs.js';
import { decodeParameters, type ParameterChanges, type StackParameters } from '../../core/parameters.js';
import { parseSchedule, slotAt } from '../../core/schedule.js';
import type { Snapshot } from '../../core/snapshot.js';
import type { EventSender } from '../../core/streamer.js';
import { notDeployedError, StackGoneError, selectorFlags } from '../stack-ref.js';
import type {
  DeadLetterCount,
  DeadLetterView,
  DeployOptions,
  DeployResult,
  DestroyResult,
  EventKey,
  LogReadOptions,
  PipelineHealth,
  RedriveOptions,
  RedriveResult,
  StackStatus,
  StackWatch,
  StreamSession,
  Target,
  Verification,
} from '../target.js';
import { clockErrorOf, notDeployedStatus, truncatedBody } from '../target.js';
import {
  createStackFile,
  type Db,
  databasePath,
  describeSqliteError,
  getMeta,
  holdWriteLock,
  incompleteError,
  openExisting,
  openForDeploy,
  runSchemaMigrations,
  SCHEDULE_LAST,
  SCHEMA_VERSION,
  setMeta,
} from './database.js';
import { FailedAggregations } from './failed-aggregations.js';
import { FunctionLogStore } from './function-logs.js';
import { LOCAL_TABLES } from './local-functions.js';
import { LocalQueue } from './queue.js';
import { SqliteEventRepository, SqliteSnapshotRepository } from './repositories.js';
import { LocalRuntime } from './runtime.js';
import { FileIdentity, removeStackFiles, removeStaleTempFiles, stackFileExists } from './stack-file.js';

/** A local stack's own consistency figures (LocalTarget.audit). */
export interface LocalAudit {
  /** Events in the events table. */
  eventsStored: number;
  /** Events the per-second counts hold: what aggregations count. Equal to eventsStored, or one counts twice. */
  eventsCounted: number;
  /** Messages in the queue, visible or in flight (accepted, not yet stored). */
  queued: number;
  deadLetters: number;
  /** SQLite's integrity_check: "ok", or what it found. */
  integrity: string;
}

export interface LocalTargetOptions {
  dataDir: string;
  stackName: string;
  clock?: Clock;
  /** The flags that selected the stack, for suggested commands (default: --target and --stack-name). */
  selector?: readonly string[];
  /** Adjusts the stack's connection once opened: tests set a max_page_count to play a full disk. */
  connection?: (db: Db) => void;
}

/** Events per local send: one transaction each; SQS's limit of 10 is an API limit, not a semantic one. */
const LOCAL_SEND_BATCH = 1000;
/** How often a watch looks at the stack's file: a destroy is noticed within about a second. */
const WATCH_INTERVAL_MS = 250;

interface OpenStack {
  db: Db;
  /** The file this process opened: when the path no longer names it, the stack was destroyed. */
  file: FileIdentity;
  parameters: StackParameters;
  queue: LocalQueue;
  events: SqliteEventRepository;
  snapshots: SqliteSnapshotRepository;
  runtime: LocalRuntime;
}

/** The whole pipeline on one SQLite file: queue, tables, and a runtime that plays Lambda and EventBridge. */
export class LocalTarget implements Target {
  readonly kind = 'local' as const;
  readonly stackName: string;
  readonly location: string;
  readonly selector: readonly string[];
  readonly contents = 'its database';
  private readonly clock: Clock;
  private readonly tuneConnection: ((db: Db) => void) | undefined;
  private stack: OpenStack | undefined;

  constructor(options: LocalTargetOptions) {
    this.stackName = options.stackName;
    this.location = databasePath(options.dataDir, options.stackName);
    this.clock = options.clock ?? systemClock;
    this.selector = options.selector ?? selectorFlags('local', options.stackName, {});
    this.tuneConnection = options.connection;
  }

  /** Whether the stack's file is there; a directory (or anything else) at its path is an error, exit 4. */
  async exists(): Promise<boolean> {
    return stackFileExists(this.location);
  }

  async ensureDeployed(): Promise<void> {
    try {
      this.open('read');
    } catch (error) {
      // An older schema is for the command's next step: one that writes upgrades it, one that reads says so.
      if ((error as { code?: string }).code !== 'OLD_SCHEMA') throw error;
    }
  }

  /**
   * Creates the stack whole (a temporary file, then its name; see createStackFile), or updates it:
   * the previous parameters are read and the new ones written in one IMMEDIATE transaction, so two
   * deploys at the same moment take turns and each one's flags survive, or it fails.
   */
  /**
   * Creates or updates the stack in one transaction, which nothing stops half-way: a signal (Ctrl-C)
   * that came before it began leaves everything as it was.
   */
  async deploy(changes: ParameterChanges, options: DeployOptions = {}): Promise<DeployResult> {
    await this.close();
    if (options.signal?.aborted) {
      throw new InterruptedError(
        `Interrupted before the deploy of stack "${this.stackName}" began: nothing was created or changed.`,
      );
    }
    const plan = (previous: StackParameters | undefined) => {
      const planned = planParameters('local', previous, changes, (p) =>
        checkLocalSchedule(p, this.clock.now()),
      );
      return { parameters: planned.parameters as StackParameters, changes: planned.changes };
    };
    for (let attempt = 1; ; attempt++) {
      if (!stackFileExists(this.location)) {
        // Checked before any file is made: a rejected deploy leaves no stack.
        const { parameters, changes: diff } = plan(undefined);
        const now = new Date(this.clock.now()).toISOString();
        const created = createStackFile(this.location, this, (db) => this.record(db, parameters, now, true));
        if (created) return this.deployResult('created', parameters, diff, null);
        // Another deploy created it meanwhile: this one updates it, as a redeploy would.
        if (attempt >= 3) throw new Error(`deploy: ${this.location} keeps appearing and vanishing`);
        continue;
      }
      const db = openForDeploy(this.location, this);
      try {
        return db
          .transaction(() => {
            const version = db.pragma('user_version', { simple: true }) as number;
            // A stack an older version left empty or half-made (version 0) gets its schema here.
            if (version < SCHEMA_VERSION) runSchemaMigrations(db, version);
            const previous = readParameters(db);
            const { parameters, changes: diff } = plan(previous);
            const action = previous === undefined ? 'created' : diff.length > 0 ? 'updated' : 'unchanged';
            this.record(db, parameters, new Date(this.clock.now()).toISOString(), action !== 'unchanged');
            const migratedFrom = version > 0 && version < SCHEMA_VERSION ? version : null;
            return this.deployResult(action, parameters, diff, migratedFrom);
          })
          .immediate();
      } catch (error) {
        throw describeSqliteError(error, this.location, this);
      } finally {
        db.close();
      }
    }
  }

  /** Writes a deploy's parameters (when they changed) into the caller's transaction. */
  private record(db: Db, parameters: StackParameters, now: string, changed: boolean): void {
    if (!getMeta(db, 'created_at')) setMeta(db, 'created_at', now);
    setMeta(db, 'stack_name', this.stackName);
    if (!changed) return;
    setMeta(db, 'parameters', JSON.stringify(parameters));
    setMeta(db, 'updated_at', now);
    // A new schedule starts from its next slot.
    db.prepare("DELETE FROM meta WHERE key = 'schedule_next'").run();
  }

  private deployResult(
    action: DeployResult['action'],
    parameters: StackParameters,
    changes: DeployResult['changes'],
    migratedFrom: number | null,
  ): DeployResult {
    return {
      stackName: this.stackName,
      target: this.kind,
      action,
      location: this.location,
      parameters,
      changes,
      details: { kind: 'local', migratedFrom },
    };
  }

  /**
   * Deletes the stack's files while holding its write lock: a process writing to it has committed
   * by then (into the stack, before it went), and finds the file gone when it next takes the lock.
   */
  async destroy(): Promise<DestroyResult> {
    await this.close();
    const existed = stackFileExists(this.location);
    if (!existed) removeStaleTempFiles(this.location);
    else {
      const lock = holdWriteLock(this.location);
      try {
        removeStackFiles(this.location);
      } finally {
        lock?.close();
      }
    }
    return { stackName: this.stackName, target: this.kind, destroyed: existed, location: this.location };
  }

  async status(): Promise<StackStatus> {
    if (!(await this.exists())) return notDeployedStatus(this);
    const { db, parameters, queue, events, snapshots } = this.open('read');
    const now = this.clock.now();
    const depths = queue.depths(now);
    const { storedSlot, slot } = scheduleSlot(db, parameters, now);
    const snapshot = await snapshots.latestSnapshot();
    return {
      ...notDeployedStatus(this),
      deployed: true,
      createdAt: getMeta(db, 'created_at') ?? null,
      updatedAt: getMeta(db, 'updated_at') ?? null,
      parameters,
      queue: {
        visible: depths.visible,
        inFlight: depths.inFlight,
        deadLetters: depths.deadLetters,
        oldestDeadLetterAgeSeconds:
          depths.oldestDeadLetterSentAt === undefined
            ? null
            : Math.floor((now - depths.oldestDeadLetterSentAt) / 1000),
        approximate: false,
      },
      eventsStored: events.countAll(),
      lastAggregation: snapshot?.updated ?? null,
      nextScheduledRun: nextRunOf(slot, now),
      failedAggregations: new FailedAggregations(db).count(now),
      clockErrors: [
        ...(snapshot ? clockErrorOf('lastAggregation', Date.parse(snapshot.updated), now) : []),
        ...(slot?.clockError ? clockErrorOf('scheduleSlot', Number(storedSlot), now) : []),
      ],
      details: { kind: 'local' },
    };
  }

  /**
   * Index reads only, whatever the size of the stack: the queue's id sequence and the events' rowid
   * only grow (a message or an event is written once, and expiry deletes the oldest), so two readings
   * give the rates; the newest event time is the end of the time index.
   */
  async health(): Promise<PipelineHealth> {
    const { db, parameters, queue } = this.open('read');
    const now = this.clock.now();
    const depths = queue.depths(now);
    const lastRun = getMeta(db, SCHEDULE_LAST);
    return {
      at: now,
      sentCount:
        (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'queue'").pluck().get() as number) ?? 0,
      storedCount: (db.prepare('SELECT MAX(rowid) FROM events').pluck().get() as number | null) ?? 0,
      queue: {
        visible: depths.visible,
        inFlight: depths.inFlight,
        deadLetters: depths.deadLetters,
        approximate: false,
      },
      newestEventTime: db.prepare('SELECT MAX(time) FROM events').pluck().get() as number | null,
      lastScheduledRun: lastRun === undefined ? null : isoTimeOrNull(Number(lastRun)),
      nextScheduledRun: nextRunOf(scheduleSlot(db, parameters, now).slot, now),
    };
  }

  /** The local equivalents of the AWS stack's outputs: the one file, and the tables in it. */
  async outputs(): Promise<Record<string, string>> {
    this.open('read');
    return {
      DatabaseFile: this.location,
      QueueTable: 'queue',
      DeadLetterQueueTable: 'dead_letters',
      EventsTableName: LOCAL_TABLES.events,
      AggregatesTableName: LOCAL_TABLES.aggregates,
      FailedAggregationsTable: 'failed_aggregations',
      FunctionLogsTable: 'function_logs',
    };
  }

  async openStream(): Promise<StreamSession> {
    const { runtime, queue } = this.open();
    // A failure in the background runtime (storage gone, disk full) stops the stream, never silently.
    let backgroundError: unknown;
    const session = { stored: 0, failedDeliveries: 0 };
    const unsubscribe = runtime.subscribe({
      onBatch: (batch) => {
        session.stored += batch.stored;
        session.failedDeliveries += batch.failed;
      },
      onError: (error) => {
        backgroundError ??= error;
      },
    });
    runtime.start();
    // The ids of what this session sent (one range per send: a send is one transaction, so its ids
    // follow each other), to tell at the end what became of them, whoever stored them.
    const sent: [number, number][] = [];
    const sender: EventSender = {
      maxBatchSize: LOCAL_SEND_BATCH,
      maxInFlight: 1,
      send: async (events) => {
        if (backgroundError !== undefined) throw backgroundError;
        // Returns once the runtime's consumer took the full batches waiting: the queue does not grow.
        const ids = await runtime.enqueue(events.map(eventBody));
        if (ids.length > 0) sent.push([Number(ids[0]), Number(ids.at(-1))]);
        return { sent: events.length, failed: 0 };
      },
    };
    return {
      sender,
      finish: async () => {
        try {
          await runtime.stop();
          if (backgroundError !== undefined) throw backgroundError;
          await runtime.drain();
        } finally {
          unsubscribe();
        }
        const depths = queue.depths(this.clock.now());
        const left = queue.countIn(sent);
        const sentHere = sent.reduce((n, [first, last]) => n + last - first + 1, 0);
        // What left the queue was stored, here or by another consumer of the same stack; this
        // runtime may also have stored others' events, so what it stored of its own is not known:
        // the difference is a floor.
        const storedByOthers = Math.max(0, sentHere - left.queued - left.deadLetters - session.stored);
        return {
          ...session,
          storedByOthers,
          inFlight: depths.inFlight,
          deadLetters: depths.deadLetters,
          approximate: false,
        };
      },
    };
  }

  async aggregate(): Promise<Snapshot> {
    // Locally the queue is consumed only while a sensorpipe process runs; catch up first, as the
    // storing Lambda would have done by now on AWS.
    const runtime = this.runtime();
    await runtime.drain();
    return runtime.aggregateNow();
  }

  async latestSnapshot(): Promise<Snapshot | undefined> {
    return this.open('read').snapshots.latestSnapshot();
  }

  watchStack(signal?: AbortSignal): StackWatch {
    // Opened as the commands that watch (stream, aggregate) open it: for writing.
    const { file } = this.open();
    const controller = new AbortController();
    let gone: StackGoneError | undefined;
    const follow = () => controller.abort(signal?.reason);
    const look = () => {
      const how = file.change();
      if (how === undefined || gone) return;
      gone = new StackGoneError(this, how);
      controller.abort(gone);
    };
    if (signal?.aborted) follow();
    else signal?.addEventListener('abort', follow, { once: true });
    const timer = setInterval(look, WATCH_INTERVAL_MS);
    timer.unref();
    look();
    return {
      signal: controller.signal,
      get gone() {
        return gone;
      },
      dispose: () => {
        clearInterval(timer);
        signal?.removeEventListener('abort', follow);
      },
    };
  }

  /**
   * The stack's consistency figures, read in one transaction: what the fault runs and the tests hold
   * against the pipeline's promises (nothing accepted lost, nothing counted twice).
   */
  async audit(): Promise<LocalAudit> {
    const { db, queue, events } = this.open('read');
    return db.transaction(() => {
      const depths = queue.depths(this.clock.now());
      return {
        eventsStored: events.countAll(),
        eventsCounted: events.countedAll(),
        queued: depths.visible + depths.inFlight,
        deadLetters: depths.deadLetters,
        integrity: String(db.pragma('integrity_check', { simple: true })),
      };
    })();
  }

  async countStored(events: readonly EventKey[]): Promise<number> {
    return this.open('read').events.countIds(events.map((e) => e.id));
  }

  /** A fresh temporary stack, so verify never touches this one and counts must match exactly. */
  async openVerification(options: { onStage?(stage: string): void } = {}): Promise<Verification> {
    options.onStage?.('deploying a temporary local stack');
    const dir = mkdtempSync(join(tmpdir(), 'sensorpipe-verify-'));
    const scratch = new LocalTarget({ dataDir: dir, stackName: 'verify', clock: this.clock });
    const dispose = async () => {
      await scratch.destroy();
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      await scratch.deploy({ ScheduleEnabled: false });
    } catch (error) {
      await dispose();
      throw error;
    }
    return { pipeline: scratch, exclusive: true, dispose };
  }

  async deadLetters(limit: number): Promise<DeadLetterView[]> {
    return this.open('read')
      .queue.deadLetters(limit)
      .map((d) => ({
        messageId: d.messageId,
        receiveCount: d.receiveCount,
        sentAt: new Date(d.sentAt).toISOString(),
        deadAt: new Date(d.deadAt).toISOString(),
        error: d.lastError ?? null,
        ...truncatedBody(d.body),
      }));
  }

  async deadLetterCount(): Promise<DeadLetterCount> {
    return { count: this.open('read').queue.depths(this.clock.now()).deadLetters, approximate: false };
  }

  async redrive(options: RedriveOptions = {}): Promise<RedriveResult> {
    const { queue, runtime } = this.open();
    const total = queue.depths(this.clock.now()).deadLetters;
    const moved = await runtime.withTransaction(() => queue.redrive(this.clock.now(), options.limit));
    options.onProgress?.(moved, Math.min(total, options.limit ?? total));
    return { moved, remaining: queue.depths(this.clock.now()).deadLetters };
  }

  /**
   * What the runtime kept of the functions' logs in the stack: the history in pages, then, with
   * follow, a poll of the table about once a second for what any process of the stack logs next.
   */
  async *logs(query: LogQuery, options: LogReadOptions = {}): AsyncGenerator<LogLine[]> {
    const store = new FunctionLogStore(this.open('read').db);
    let after = 0;
    const readNew = (): LogLine[] => {
      const lines: LogLine[] = [];
      for (let page = store.read(query, after); page.length > 0; page = store.read(query, after)) {
        lines.push(...page);
        after = Number(page.at(-1)?.id ?? after);
      }
      return lines;
    };
    for (let page = store.read(query, after); page.length > 0; page = store.read(query, after)) {
      if (options.signal?.aborted) return;
      after = Number(page.at(-1)?.id ?? after);
      yield page;
    }
    if (!options.follow) return;
    yield* followPolls(async () => ({ lines: readNew(), throttled: false }), {
      clock: this.clock,
      signal: options.signal,
      policy: FOLLOW_POLICY,
    });
  }

  async close(): Promise<void> {
    const stack = this.stack;
    this.stack = undefined;
    if (!stack) return;
    try {
      await stack.runtime.stop();
    } finally {
      stack.db.close();
    }
  }

  /**
   * The stack's one runtime, on this target's connection: streams, aggregate and redrive all go
   * through it, so this process's writes take turns. Listeners subscribe to it (onLog, onBatch...).
   */
  runtime(): LocalRuntime {
    return this.open().runtime;
  }

  /**
   * The stack, opened once per target. 'read' writes nothing (see openExisting); a stack opened for
   * reading is at the current schema, so later writes can use it as it is.
   */
  private open(access: 'read' | 'write' = 'write'): OpenStack {
    if (this.stack) return this.stack;
    if (!stackFileExists(this.location)) throw notDeployedError(this);
    // Taken before the file is opened: if it is replaced meanwhile, the first check says so.
    const file = new FileIdentity(this.location);
    const db = openExisting(this.location, this, { readOnly: access === 'read' });
    try {
      this.tuneConnection?.(db);
      // A deploy of an older version, killed between the schema and the parameters, left no parameters.
      const parameters = readParameters(db);
      if (parameters === undefined) throw incompleteError(this.location, this);
      const queue = new LocalQueue(db);
      const events = new SqliteEventRepository(db);
      const snapshots = new SqliteSnapshotRepository(db);
      const checkStack = () => {
        const how = file.change();
        if (how !== undefined) throw new StackGoneError(this, how);
      };
      const runtime = new LocalRuntime({
        db,
        parameters,
        queue,
        events,
        snapshots,
        clock: this.clock,
        checkStack,
      });
      this.stack = { db, file, parameters, queue, events, snapshots, runtime };
      return this.stack;
    } catch (error) {
      db.close();
      throw error;
    }
  }
}

/** The schedule's slot as the runtime would see it now; undefined when the schedule is off. */
function scheduleSlot(db: Db, parameters: StackParameters, now: number) {
  const storedSlot = getMeta(db, 'schedule_next');
  const slot = parameters.ScheduleEnabled
    ? slotAt(
        parseSchedule(parameters.ScheduleExpression),
        storedSlot === undefined ? undefined : Number(storedSlot),
        now,
      )
    : undefined;
  return { storedSlot, slot };
}

/** A missed slot fires on the runtime's next poll: shown as now. */
function nextRunOf(slot: { due: number } | undefined, now: number): string | null {
  return slot === undefined ? null : isoTimeOrNull(Math.max(slot.due, now));
}

function readParameters(db: Db): StackParameters | undefined {
  const raw = getMeta(db, 'parameters');
  return raw === undefined
    ? undefined
    : (decodeParameters('local', JSON.parse(raw) as Record<string, unknown>) as StackParameters);
}

/**
 * The local runtime runs the schedule itself, so an enabled schedule must have a next run: one that
 * never fires (February 31st, a year gone by) would leave the stack with no aggregation, silently.
 */
function checkLocalSchedule(parameters: Partial<StackParameters>, now: number): void {
  if (!parameters.ScheduleEnabled || parameters.ScheduleExpression === undefined) return;
  const next = parseSchedule(parameters.ScheduleExpression).next(now);
  if (!Number.isFinite(next) || Number.isNaN(new Date(next).getTime())) {
    throw new UsageError(
      `The schedule "${parameters.ScheduleExpression}" never fires from now on: the local target would never aggregate. Pass a schedule with a future run, or --no-schedule.`,
    );
  }
}
