import type { StackParameters } from '../core/parameters.js';
import type { Snapshot } from '../core/snapshot.js';
import type { EventSender } from '../core/streamer.js';

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
}

export interface DestroyResult {
  stackName: string;
  target: TargetKind;
  destroyed: boolean;
  location: string;
}

export interface DrainResult {
  /** Messages the storing function stored while this session ran. */
  stored: number;
  /** Deliveries the storing function failed; they are retried after the visibility timeout. */
  failedDeliveries: number;
  /** Messages still in flight (failed and awaiting retry, or held by another consumer). */
  inFlight: number;
  deadLetters: number;
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
  deploy(changes: Partial<StackParameters>): Promise<DeployResult>;
  destroy(): Promise<DestroyResult>;
  exists(): Promise<boolean>;
  /** Throws a "not deployed" error that says how to deploy. */
  ensureDeployed(): Promise<void>;
  status(): Promise<StackStatus>;
  openStream(): Promise<StreamSession>;
  /** Runs the aggregation function now and returns its snapshot. */
  aggregate(): Promise<Snapshot>;
  latestSnapshot(): Promise<Snapshot | undefined>;
  close(): Promise<void>;
}
