import { existsSync, rmSync } from 'node:fs';
import { type Clock, systemClock } from '../../core/clock.js';
import { eventBody } from '../../core/event.js';
import { DEFAULT_PARAMETERS, resolveParameters, type StackParameters } from '../../core/parameters.js';
import { parseSchedule } from '../../core/schedule.js';
import type { Snapshot } from '../../core/snapshot.js';
import type { EventSender } from '../../core/streamer.js';
import {
  type DeadLetterView,
  type DeployResult,
  type DestroyResult,
  notDeployedStatus,
  type ParameterChange,
  type RedriveOptions,
  type RedriveResult,
  type StackStatus,
  type StreamSession,
  type Target,
  truncatedBody,
} from '../target.js';
import { type Db, databasePath, getMeta, openExisting, openOrCreate, setMeta } from './database.js';
import { LocalQueue } from './queue.js';
import { SqliteEventRepository, SqliteSnapshotRepository } from './repositories.js';
import { LocalRuntime } from './runtime.js';

export interface LocalTargetOptions {
  dataDir: string;
  stackName: string;
  clock?: Clock;
}

/** Events per local send: one transaction each; SQS's limit of 10 is an API limit, not a semantic one. */
const LOCAL_SEND_BATCH = 1000;

interface OpenStack {
  db: Db;
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
  private readonly clock: Clock;
  private stack: OpenStack | undefined;

  constructor(options: LocalTargetOptions) {
    this.stackName = options.stackName;
    this.location = databasePath(options.dataDir, options.stackName);
    this.clock = options.clock ?? systemClock;
  }

  async exists(): Promise<boolean> {
    return existsSync(this.location);
  }

  async ensureDeployed(): Promise<void> {
    this.open();
  }

  async deploy(changes: Partial<StackParameters>): Promise<DeployResult> {
    await this.close();
    // Check a first deploy's parameters before creating the file: a rejected deploy must leave no stack.
    if (!existsSync(this.location)) resolveParameters(DEFAULT_PARAMETERS, changes);
    const { db, created } = openOrCreate(this.location, this.stackName);
    try {
      const previous = readParameters(db);
      const parameters = resolveParameters(previous ?? DEFAULT_PARAMETERS, changes);
      const diff = diffParameters(previous, parameters);
      const now = new Date(this.clock.now()).toISOString();
      db.transaction(() => {
        if (!getMeta(db, 'created_at')) setMeta(db, 'created_at', now);
        setMeta(db, 'stack_name', this.stackName);
        if (diff.length > 0 || created) {
          setMeta(db, 'parameters', JSON.stringify(parameters));
          setMeta(db, 'updated_at', now);
          // A new schedule starts from its next slot.
          db.prepare("DELETE FROM meta WHERE key = 'schedule_next'").run();
        }
      }).immediate();
      return {
        stackName: this.stackName,
        target: this.kind,
        action: created || previous === undefined ? 'created' : diff.length > 0 ? 'updated' : 'unchanged',
        location: this.location,
        parameters,
        changes: diff,
      };
    } finally {
      db.close();
    }
  }

  async destroy(): Promise<DestroyResult> {
    await this.close();
    const existed = existsSync(this.location);
    for (const suffix of ['', '-wal', '-shm', '-journal'])
      rmSync(`${this.location}${suffix}`, { force: true });
    return { stackName: this.stackName, target: this.kind, destroyed: existed, location: this.location };
  }

  async status(): Promise<StackStatus> {
    const base = notDeployedStatus(this);
    if (!(await this.exists())) return base;
    const { db, parameters, queue, events, snapshots } = this.open();
    const now = this.clock.now();
    const depths = queue.depths(now);
    const nextRaw = getMeta(db, 'schedule_next');
    const next = parameters.ScheduleEnabled
      ? Number(nextRaw ?? parseSchedule(parameters.ScheduleExpression).next(now))
      : undefined;
    return {
      ...base,
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
      },
      eventsStored: events.countAll(),
      lastAggregation: (await snapshots.latestSnapshot())?.updated ?? null,
      nextScheduledRun: next === undefined ? null : new Date(Math.max(next, now)).toISOString(),
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
    const sender: EventSender = {
      maxBatchSize: LOCAL_SEND_BATCH,
      maxInFlight: 1,
      send: async (events) => {
        if (backgroundError !== undefined) throw backgroundError;
        // Returns once the runtime's consumer took the full batches waiting: the queue does not grow.
        await runtime.enqueue(events.map(eventBody));
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
        return { ...session, inFlight: depths.inFlight, deadLetters: depths.deadLetters };
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
    return this.open().snapshots.latestSnapshot();
  }

  async deadLetters(limit: number): Promise<DeadLetterView[]> {
    return this.open()
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

  async redrive(options: RedriveOptions = {}): Promise<RedriveResult> {
    const { queue, runtime } = this.open();
    const total = queue.depths(this.clock.now()).deadLetters;
    const moved = await runtime.withTransaction(() => queue.redrive(this.clock.now(), options.limit));
    options.onProgress?.(moved, Math.min(total, options.limit ?? total));
    return { moved, remaining: queue.depths(this.clock.now()).deadLetters };
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

  private open(): OpenStack {
    if (this.stack) return this.stack;
    const db = openExisting(this.location, this.stackName);
    const parameters = readParameters(db) ?? DEFAULT_PARAMETERS;
    const queue = new LocalQueue(db);
    const events = new SqliteEventRepository(db);
    const snapshots = new SqliteSnapshotRepository(db);
    const runtime = new LocalRuntime({ db, parameters, queue, events, snapshots, clock: this.clock });
    this.stack = { db, parameters, queue, events, snapshots, runtime };
    return this.stack;
  }
}

function readParameters(db: Db): StackParameters | undefined {
  const raw = getMeta(db, 'parameters');
  // Parameters added in a later version take their defaults.
  return raw === undefined
    ? undefined
    : { ...DEFAULT_PARAMETERS, ...(JSON.parse(raw) as Partial<StackParameters>) };
}

function diffParameters(previous: StackParameters | undefined, next: StackParameters): ParameterChange[] {
  return (Object.keys(next) as (keyof StackParameters)[])
    .filter((key) => previous?.[key] !== next[key])
    .map((key) => ({ parameter: key, from: previous?.[key] ?? null, to: next[key] }));
}
