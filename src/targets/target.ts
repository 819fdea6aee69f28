import { isAheadOfNow, isoTimeOrNull } from '../core/clock.js';
import type { PipelineHealth } from '../core/dashboard.js';
import type { ConfirmPolicy, ParameterChange } from '../core/deploy.js';
import type { SensorpipeError } from '../core/errors.js';
import type { FunctionName, LogLine, LogQuery } from '../core/logs.js';
import type { AllParameters, ParameterChanges, StackParameters, TargetKind } from '../core/parameters.js';
import type { Snapshot } from '../core/snapshot.js';
import type { EventSender } from '../core/streamer.js';
import type { StackRef } from './stack-ref.js';

export type { FunctionName, LogLine, LogQuery, ParameterChange, PipelineHealth, StackRef, TargetKind };

/**
 * What a pipeline target can do, one capability per interface. Both targets implement all of them in
 * full; what differs between them is data (a `details` tagged with the target's kind, rendered by
 * that target's renderer), never a method one of them refuses.
 */

// --- The stack's lifecycle ------------------------------------------------------------------------

/** One event of a stack operation (a CloudFormation resource event). */
export interface StackEvent {
  timestamp: Date;
  logicalId: string;
  resourceType: string;
  status: string;
  reason?: string;
}

/** One step of a deploy or delete: resources done of those the operation touches, and the latest event. */
export interface StackProgress {
  done: number;
  total: number;
  event: StackEvent;
}

/** What a deploy does to one resource (a CloudFormation change set's resource change). */
export interface ResourceChange {
  action: string;
  logicalId: string;
  resourceType: string;
  /** CloudFormation's Replacement: True, False or Conditional (for modifications). */
  replacement?: string;
}

export interface OperationOptions {
  /** Ctrl-C: stop following the operation (what the target cannot stop carries on, and it says so). */
  signal?: AbortSignal;
  /** A long operation starts, touching `total` resources: the moment to show progress. */
  onStart?(total: number): void | Promise<void>;
  onProgress?(progress: StackProgress): void;
}

export interface DeployOptions extends OperationOptions, ConfirmPolicy {}

export type DeployDetails =
  | { kind: 'local'; migratedFrom: number | null }
  | {
      kind: 'aws';
      /** What the change set did to each resource. */
      resourceChanges: ResourceChange[];
      /** The stack's outputs: queue URLs, table and function names. */
      outputs: Record<string, string>;
    };

export interface DeployResult {
  stackName: string;
  target: TargetKind;
  action: 'created' | 'updated' | 'unchanged';
  location: string;
  /** Every parameter of the stack: those both targets have, and those of this target only. */
  parameters: StackParameters & Partial<AllParameters>;
  changes: ParameterChange[];
  details: DeployDetails;
}

export interface DestroyResult {
  stackName: string;
  target: TargetKind;
  destroyed: boolean;
  location: string;
}

export interface QueueStatus {
  visible: number;
  inFlight: number;
  deadLetters: number;
  /** Null where the queue does not tell it (SQS). */
  oldestDeadLetterAgeSeconds: number | null;
  /** SQS's counts are approximate; the local queue's are exact. */
  approximate: boolean;
}

export type StatusDetails =
  /** The schedule runs while a sensorpipe process (stream, aggregate --watch) holds the stack. */
  | { kind: 'local' }
  | {
      kind: 'aws';
      /** CloudFormation's stack status, e.g. UPDATE_COMPLETE. */
      stackStatus: string;
      outputs: Record<string, string>;
      region: string;
      /** Links to the stack and its resources in the AWS console; none with --endpoint-url. */
      console: Record<string, string>;
    };

/** A time the stack holds that lies ahead of this machine's clock by more than the skew: a clock error. */
export interface ClockError {
  /**
   * lastAggregation: the latest snapshot, which the next aggregation replaces; scheduleSlot: the
   * local schedule's stored next slot, which the runtime recomputes from now.
   */
  subject: 'lastAggregation' | 'scheduleSlot';
  /** The time found, ISO 8601. */
  time: string;
  /** How far ahead of now it is. */
  aheadSeconds: number;
}

/** A clock error for `subject` if `time` (Unix ms) is ahead of `now` by more than the skew. */
export function clockErrorOf(subject: ClockError['subject'], time: number, now: number): ClockError[] {
  const iso = isoTimeOrNull(time);
  return iso !== null && isAheadOfNow(time, now)
    ? [{ subject, time: iso, aheadSeconds: Math.round((time - now) / 1000) }]
    : [];
}

export interface StackStatus {
  stackName: string;
  target: TargetKind;
  deployed: boolean;
  location: string;
  createdAt: string | null;
  updatedAt: string | null;
  parameters: (StackParameters & Partial<AllParameters>) | null;
  queue: QueueStatus | null;
  /** Null where counting would need a scan (DynamoDB). */
  eventsStored: number | null;
  lastAggregation: string | null;
  /** The schedule's next firing, if it is on. */
  nextScheduledRun: string | null;
  /**
   * Scheduled aggregations that failed (after Lambda's retries, on AWS) in the last 14 days: the
   * depth of the stack's failure queue on AWS (approximate), the runs the local runtime recorded.
   * Null when not deployed, or on an AWS stack deployed by a sensorpipe without the failure queue.
   */
  failedAggregations: number | null;
  /** Times ahead of this machine's clock (written by a clock that ran ahead): replaced, not obeyed. */
  clockErrors: ClockError[];
  details: StatusDetails | null;
}

/** The status of a stack that is not deployed: every figure null. */
export function notDeployedStatus(ref: StackRef): StackStatus {
  return {
    stackName: ref.stackName,
    target: ref.kind,
    deployed: false,
    location: ref.location,
    createdAt: null,
    updatedAt: null,
    parameters: null,
    queue: null,
    eventsStored: null,
    lastAggregation: null,
    nextScheduledRun: null,
    failedAggregations: null,
    clockErrors: [],
    details: null,
  };
}

export interface StackLifecycle {
  /** What destroying the stack deletes, as a phrase: "its database". */
  readonly contents: string;
  exists(): Promise<boolean>;
  /** Throws a "not deployed" error that says how to deploy. */
  ensureDeployed(): Promise<void>;
  deploy(changes: ParameterChanges, options?: DeployOptions): Promise<DeployResult>;
  destroy(options?: OperationOptions): Promise<DestroyResult>;
  status(): Promise<StackStatus>;
  /**
   * What a script needs to reach the stack, by name: on AWS the stack's outputs (queue URLs, table
   * and function names); locally their equivalents, the stack's file and its tables. Throws the
   * "not deployed" error.
   */
  outputs(): Promise<Record<string, string>>;
}

// --- The pipeline: events in, snapshots out --------------------------------------------------------

/** A watch that follows the caller's signal only: for a target whose calls find a deleted stack themselves. */
export function signalOnlyWatch(signal?: AbortSignal): StackWatch {
  const controller = new AbortController();
  const follow = () => controller.abort(signal?.reason);
  if (signal?.aborted) follow();
  else signal?.addEventListener('abort', follow, { once: true });
  return {
    signal: controller.signal,
    gone: undefined,
    dispose: () => signal?.removeEventListener('abort', follow),
  };
}

export interface DrainResult {
  /** Messages the storing function stored while this session ran (null when another runtime stores them: Lambda). */
  stored: number | null;
  /**
   * Of the events this session sent, how many other consumers of the queue stored (another stream's
   * runtime, an aggregate): at least this many. Null where it cannot be told (SQS).
   */
  storedByOthers: number | null;
  /** Deliveries the storing function failed; they are retried after the visibility timeout. */
  failedDeliveries: number | null;
  /** Messages still in flight (failed and awaiting retry, or held by another consumer). */
  inFlight: number;
  deadLetters: number;
  /** Whether the queue's counts are approximate (SQS). */
  approximate: boolean;
}

/** A stream into the stack's queue; `finish` waits until what was queued has been processed. */
export interface StreamSession {
  sender: EventSender;
  finish(): Promise<DrainResult>;
}

/** An event as verify keeps it: enough to find it in the events table and in a window. */
export interface EventKey {
  id: string;
  time: number;
}

/** The pipeline verify checks, and whether anyone else may send into it. */
export interface Verification {
  pipeline: Pipeline;
  /** The stack is verify's own (a fresh temporary one): every count must match exactly. */
  exclusive: boolean;
  /** Removes what verify made; a no-op for a stack that was there before. */
  dispose(): Promise<void>;
}

/**
 * A process's watch over the stack it works on (a stream, aggregate --watch), so that it stops when
 * the stack is destroyed under it instead of going on with a stack nobody can see.
 */
export interface StackWatch {
  /** Aborts when the caller's signal does, or once the stack is found destroyed or replaced. */
  readonly signal: AbortSignal;
  /** Why the stack is gone (a StackGoneError, exit 3) once it is found gone; undefined until then. */
  readonly gone: SensorpipeError | undefined;
  dispose(): void;
}

export interface Pipeline {
  /**
   * A session to send events into the stack's queue. `signal` (Ctrl-C) ends a sender's waits at once:
   * on AWS, the backoff before sending again the entries SQS failed in an answer.
   */
  openStream(signal?: AbortSignal): Promise<StreamSession>;
  /**
   * Watches the stack while this process works on it. Locally the file is checked a few times a
   * second (and before every write); on AWS the next call finds a deleted queue or function.
   */
  watchStack(signal?: AbortSignal): StackWatch;
  /** Runs the aggregation function now and returns its snapshot; the signal ends a wait (a retry). */
  aggregate(options?: { signal?: AbortSignal }): Promise<Snapshot>;
  latestSnapshot(): Promise<Snapshot | undefined>;
  /** How many of these events the events table holds, looked up by their keys. */
  countStored(events: readonly EventKey[]): Promise<number>;
  /** The pipeline to verify: a fresh temporary stack where one is cheap, else this deployed one. */
  openVerification(options?: { onStage?(stage: string): void }): Promise<Verification>;
}

// --- The pipeline's health, for the live dashboard --------------------------------------------------

export interface PipelineHealthReader {
  /**
   * The pipeline's figures now (aggregate --watch reads them at each refresh), each from a cheap
   * read only: a figure that would need a scan, or that the target does not keep, is null. Locally
   * a few indexed reads of the stack; on AWS one GetQueueAttributes per queue, nothing else.
   */
  health(): Promise<PipelineHealth>;
}

// --- Dead letters ---------------------------------------------------------------------------------

/** A dead-lettered message as `dead-letters` shows it, without consuming it. */
export interface DeadLetterView {
  messageId: string;
  receiveCount: number;
  /** When it was first sent, ISO 8601. */
  sentAt: string | null;
  /** When it was dead-lettered, where the queue records it (SQS does not). */
  deadAt: string | null;
  /** The storing function's last error, where the queue keeps it (SQS does not: see the logs). */
  error: string | null;
  /** The body, cut to DEAD_LETTER_BODY_CHARS characters. */
  body: string;
  bodyTruncated: boolean;
}

export const DEAD_LETTER_BODY_CHARS = 200;

/** A body as dead-letters shows it: never more than DEAD_LETTER_BODY_CHARS characters of it. */
export function truncatedBody(body: string): { body: string; bodyTruncated: boolean } {
  return body.length > DEAD_LETTER_BODY_CHARS
    ? { body: `${body.slice(0, DEAD_LETTER_BODY_CHARS)}…`, bodyTruncated: true }
    : { body, bodyTruncated: false };
}

export interface RedriveOptions {
  /** Move at most this many, oldest first. */
  limit?: number;
  /** Ctrl-C: stop between steps. */
  signal?: AbortSignal;
  onProgress?(moved: number, total: number | null): void;
}

export interface RedriveResult {
  moved: number;
  /** Dead letters left afterwards (approximate on SQS). */
  remaining: number;
}

export interface DeadLetterCount {
  count: number;
  /** SQS's count is approximate; the local queue's is exact. */
  approximate: boolean;
}

export interface DeadLetterQueue {
  /** Up to `limit` dead-lettered messages, oldest first where the queue knows; none is consumed. */
  deadLetters(limit: number): Promise<DeadLetterView[]>;
  /** How many messages wait in the dead letters: one cheap read, for the line that points to them. */
  deadLetterCount(): Promise<DeadLetterCount>;
  /** Moves dead-lettered messages back to the queue, to be processed again. */
  redrive(options?: RedriveOptions): Promise<RedriveResult>;
}

// --- What the functions logged ---------------------------------------------------------------------

export interface LogReadOptions {
  /** After the history, keep reading the new lines as they come, until the signal aborts. */
  follow?: boolean;
  /** Ctrl-C: ends the reading at once (a wait, or a request in flight); the iteration just ends. */
  signal?: AbortSignal;
}

export interface FunctionLogs {
  /**
   * What the functions logged since `query.since`, oldest first and both functions interleaved by
   * time, in batches as they are read; with `follow`, then the new lines, batch by batch, until the
   * signal aborts. On AWS the functions' CloudWatch Logs groups; locally what the runtime kept in
   * the stack.
   */
  logs(query: LogQuery, options?: LogReadOptions): AsyncIterable<LogLine[]>;
}

/** A pipeline stack on one target, with every capability. */
export interface Target
  extends StackRef,
    StackLifecycle,
    Pipeline,
    PipelineHealthReader,
    DeadLetterQueue,
    FunctionLogs {
  close(): Promise<void>;
}
