import type { StackParameters } from '../core/parameters.js';
import type { Snapshot } from '../core/snapshot.js';
import type { EventSender } from '../core/streamer.js';
import type { ResourceChange, StackProgress } from './aws/cloudformation.js';

export type { ResourceChange, StackProgress };

export type TargetKind = 'local' | 'aws';

export interface ParameterChange {
  parameter: keyof StackParameters;
  from: StackParameters[keyof StackParameters] | null;
  to: StackParameters[keyof StackParameters];
}

export interface DeployResult {
  stackName: string;
  target: TargetKind;
  action: 'created' | 'updated' | 'unchanged';
  location: string;
  parameters: StackParameters;
  changes: ParameterChange[];
  /** AWS: what the change set did to each resource. */
  resourceChanges?: ResourceChange[];
  /** AWS: the stack's outputs (queue URL, table and function names). */
  outputs?: Record<string, string>;
}

export interface DeployOptions {
  /** Answers yes to every question (--yes). */
  yes?: boolean;
  /** AWS: template parameters that have no local counterpart (LambdaRuntime, LogRetentionDays). */
  templateParameters?: Record<string, string>;
  /** Asks the user; absent when there is no one to ask, and then a question is a refusal. */
  confirm?(question: string): Promise<boolean>;
  /** AWS: the deploy starts, touching `total` resources. */
  onStart?(total: number): void | Promise<void>;
  onProgress?(progress: StackProgress): void;
}

export interface DestroyOptions {
  onProgress?(progress: StackProgress): void;
}

export interface QueueStatus {
  visible: number;
  inFlight: number;
  deadLetters: number;
  oldestDeadLetterAgeSeconds: number | null;
}

export interface StackStatus {
  stackName: string;
  target: TargetKind;
  deployed: boolean;
  location: string;
  createdAt: string | null;
  updatedAt: string | null;
  parameters: StackParameters | null;
  queue: QueueStatus | null;
  eventsStored: number | null;
  lastAggregation: string | null;
  nextScheduledRun: string | null;
  /** AWS: the CloudFormation stack status, e.g. UPDATE_COMPLETE. */
  stackStatus?: string;
  /** AWS: the stack's outputs. */
  outputs?: Record<string, string>;
}

/** The status of a stack that is not deployed: every figure null. */
export function notDeployedStatus(target: Pick<Target, 'stackName' | 'kind' | 'location'>): StackStatus {
  return {
    stackName: target.stackName,
    target: target.kind,
    deployed: false,
    location: target.location,
    createdAt: null,
    updatedAt: null,
    parameters: null,
    queue: null,
    eventsStored: null,
    lastAggregation: null,
    nextScheduledRun: null,
  };
}

export interface DestroyResult {
  stackName: string;
  target: TargetKind;
  destroyed: boolean;
  location: string;
}

export interface DrainResult {
  /** Messages the storing function stored while this session ran (null on AWS: Lambda stores them). */
  stored: number | null;
  /** Deliveries the storing function failed; they are retried after the visibility timeout. */
  failedDeliveries: number | null;
  /** Messages still in flight (failed and awaiting retry, or held by another consumer). */
  inFlight: number;
  deadLetters: number;
}

/** A dead-lettered message as `dead-letters` shows it, without consuming it. */
export interface DeadLetterView {
  messageId: string;
  receiveCount: number;
  /** When it was first sent, ISO 8601. */
  sentAt: string | null;
  /** When it was dead-lettered (local only: SQS does not record it). */
  deadAt: string | null;
  /** The storing function's last error (local only: SQS does not keep it; see the function's logs). */
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
  /** Move at most this many (local only: SQS moves them all). */
  limit?: number;
  onProgress?(moved: number, total: number | null): void;
}

export interface RedriveResult {
  moved: number;
  /** Dead letters left afterwards (approximate on AWS). */
  remaining: number;
}

/** A stream into the stack's queue; `finish` waits until what was queued has been processed. */
export interface StreamSession {
  sender: EventSender;
  finish(): Promise<DrainResult>;
}

/** What every command needs from a pipeline; the local (SQLite) and AWS targets implement it. */
export interface Target {
  readonly kind: TargetKind;
  readonly stackName: string;
  /** A human-readable place: a file path or a region and account. */
  readonly location: string;
  deploy(changes: Partial<StackParameters>, options?: DeployOptions): Promise<DeployResult>;
  destroy(options?: DestroyOptions): Promise<DestroyResult>;
  exists(): Promise<boolean>;
  /** Throws a "not deployed" error that says how to deploy. */
  ensureDeployed(): Promise<void>;
  status(): Promise<StackStatus>;
  openStream(): Promise<StreamSession>;
  /** Runs the aggregation function now and returns its snapshot. */
  aggregate(): Promise<Snapshot>;
  latestSnapshot(): Promise<Snapshot | undefined>;
  /** Up to `limit` dead-lettered messages, oldest first where the target knows; none is consumed. */
  deadLetters(limit: number): Promise<DeadLetterView[]>;
  /** Moves dead-lettered messages back to the queue, to be processed again. */
  redrive(options?: RedriveOptions): Promise<RedriveResult>;
  close(): Promise<void>;
}
