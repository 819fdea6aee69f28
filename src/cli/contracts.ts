/**
 * What each command prints with --json: promises to scripts, declared apart from the domain types so
 * that a change inside sensorpipe never changes them by accident. test/cli/contracts.test.ts pins
 * every shape; a change here is a change of the CLI's interface, to be made on purpose.
 */
import type { HealthFigures } from '../core/dashboard.js';
import type { ParameterChange } from '../core/deploy.js';
import { ExitCode, type ExitCodeValue } from '../core/errors.js';
import type { FunctionName, LogLine } from '../core/logs.js';
import type { AllParameters, StackParameters } from '../core/parameters.js';
import type { Snapshot } from '../core/snapshot.js';
import type { StreamProgress } from '../core/streamer.js';
import { type FunctionLogEntry, parseLogEntry } from '../functions/log.js';
import type { VerifyReport } from '../services/verify.js';
import type {
  ClockError,
  DeadLetterView,
  DeployResult,
  DestroyResult,
  QueueStatus,
  RedriveResult,
  ResourceChange,
  StackStatus,
} from '../targets/target.js';

type Parameters = StackParameters & Partial<AllParameters>;

export interface DeployJson {
  stackName: string;
  target: 'local' | 'aws';
  action: 'created' | 'updated' | 'unchanged';
  location: string;
  parameters: Parameters;
  changes: ParameterChange[];
  /** AWS: what the change set did to each resource. */
  resourceChanges?: ResourceChange[];
  /** AWS: the stack's outputs (queue URL, table and function names). */
  outputs?: Record<string, string>;
}

export function deployJson(result: DeployResult): DeployJson {
  const { details, ...common } = result;
  return details.kind === 'aws'
    ? { ...common, resourceChanges: details.resourceChanges, outputs: details.outputs }
    : common;
}

export type QueueJson = Pick<
  QueueStatus,
  'visible' | 'inFlight' | 'deadLetters' | 'oldestDeadLetterAgeSeconds'
>;

export type ClockErrorJson = Pick<ClockError, 'subject' | 'time' | 'aheadSeconds'>;

export interface StatusJson {
  stackName: string;
  target: 'local' | 'aws';
  deployed: boolean;
  location: string;
  createdAt: string | null;
  updatedAt: string | null;
  parameters: Parameters | null;
  queue: QueueJson | null;
  eventsStored: number | null;
  lastAggregation: string | null;
  nextScheduledRun: string | null;
  /** Scheduled aggregations that failed in the last 14 days (approximate on AWS); null if unknown. */
  failedAggregations: number | null;
  /**
   * Times the stack holds ahead of this machine's clock by more than a minute (a clock that ran
   * ahead wrote them): the latest snapshot (replaced by the next aggregation) or the local schedule's
   * stored slot (recomputed from now). Empty when there is none.
   */
  clockErrors: ClockErrorJson[];
  /** AWS: the CloudFormation stack status, e.g. UPDATE_COMPLETE. */
  stackStatus?: string;
  /** AWS: the stack's outputs. */
  outputs?: Record<string, string>;
  /** AWS: the region. */
  region?: string;
  /** AWS: links to the stack and its resources in the AWS console ({} with --endpoint-url). */
  console?: Record<string, string>;
}

export function statusJson(status: StackStatus): StatusJson {
  const { details, queue, clockErrors, ...common } = status;
  const json: StatusJson = {
    ...common,
    queue: queue && pick(queue, ['visible', 'inFlight', 'deadLetters', 'oldestDeadLetterAgeSeconds']),
    clockErrors: clockErrors.map((error) => pick(error, ['subject', 'time', 'aheadSeconds'])),
  };
  return details?.kind === 'aws'
    ? {
        ...json,
        stackStatus: details.stackStatus,
        outputs: details.outputs,
        region: details.region,
        console: details.console,
      }
    : json;
}

/**
 * `status --outputs --json`: the outputs alone, by name, as `status --outputs` prints them as
 * KEY=VALUE lines (locally the stack's file and tables).
 */
export type OutputsJson = Record<string, string>;

/** `aggregate` (one per run, one per line with --watch) and `show` (null before any aggregation). */
export type SnapshotJson = Pick<
  Snapshot,
  'updated' | 'windowStart' | 'windowEnd' | 'windowMinutes' | 'total' | 'counties'
>;

export function snapshotJson(snapshot: Snapshot): SnapshotJson {
  const json = pick(snapshot, ['updated', 'windowStart', 'windowEnd', 'windowMinutes', 'total', 'counties']);
  return { ...json, counties: json.counties.map(({ county, count }) => ({ county, count })) };
}

/** `aggregate --watch` in --json, or without a terminal: the health line's figures of one refresh. */
export interface HealthJson {
  /** Events sent into the queue per second since the previous refresh; null on the first, or where the target cannot tell (AWS). */
  sentPerSecond: number | null;
  /**
   * Events stored per second since the previous refresh; null on the first. On AWS, from the window's
   * per-second counters that the aggregation returns: a batch stored again counts again, and events
   * more than 10 minutes older than the window's end are not seen; null from an older deployed function.
   */
  storedPerSecond: number | null;
  /** The queue's depths (approximate on AWS); null if they could not be read. */
  queue: { visible: number; inFlight: number; deadLetters: number } | null;
  /** Whether the dead letters grew since the previous refresh. */
  deadLettersGrew: boolean;
  /**
   * Now minus the newest stored event's time, seconds; null when none is in the window. On AWS to the
   * second, from the same counters.
   */
  storingLagSeconds: number | null;
  /** ISO 8601; null where the target does not record it (AWS), or before the first. */
  lastScheduledRun: string | null;
  /** ISO 8601; null when the schedule is off. */
  nextScheduledRun: string | null;
}

/** One refresh of `aggregate --watch`: the snapshot, as `aggregate --json` prints it, and `health`. */
export type WatchJson = SnapshotJson & { health: HealthJson };

export function watchJson(snapshot: Snapshot, health: HealthFigures): WatchJson {
  const tenth = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);
  return {
    ...snapshotJson(snapshot),
    health: {
      sentPerSecond: tenth(health.sentPerSecond),
      storedPerSecond: tenth(health.storedPerSecond),
      queue: health.queue && pick(health.queue, ['visible', 'inFlight', 'deadLetters']),
      deadLettersGrew: health.deadLettersGrew,
      storingLagSeconds: tenth(health.storingLagSeconds),
      lastScheduledRun: health.lastScheduledRun,
      nextScheduledRun: health.nextScheduledRun,
    },
  };
}

const STREAM_FIELDS = [
  'sent',
  'skipped',
  'failed',
  'elapsedMs',
  'ratePerSecond',
  /** 1000 / --interval-ms; null with --interval-ms 0. */
  'askedRatePerSecond',
  /** Whether the stream kept within 1 s of its schedule all along; null with --interval-ms 0. */
  'rateHeld',
  /** When it did not: 'round-trip', 'throttling', 'cpu' or 'source', what held it back longest. */
  'limitedBy',
  /** The most it fell behind its schedule, ms; null with --interval-ms 0. */
  'maxBehindMs',
  /** The most sends (SendMessageBatch requests on AWS) in flight at once. */
  'maxInFlight',
  /** The mean time from a send to its answer, ms; null when nothing was sent. */
  'roundTripMs',
] as const;

export type StreamJson = Pick<StreamProgress, (typeof STREAM_FIELDS)[number]>;

export function streamJson(stats: StreamProgress): StreamJson {
  const json = pick(stats, STREAM_FIELDS);
  const tenth = (n: number) => Math.round(n * 10) / 10;
  return {
    ...json,
    ratePerSecond: tenth(json.ratePerSecond),
    askedRatePerSecond: json.askedRatePerSecond === null ? null : tenth(json.askedRatePerSecond),
    roundTripMs: json.roundTripMs === null ? null : tenth(json.roundTripMs),
  };
}

const VERIFY_FIELDS = [
  'match',
  'sent',
  'skipped',
  'failed',
  'stored',
  'expectedTotal',
  'actualTotal',
  'windowStart',
  'windowEnd',
  'counties',
  'interrupted',
  'otherEvents',
] as const;

export type VerifyJson = Pick<VerifyReport, (typeof VERIFY_FIELDS)[number]>;

export function verifyJson(report: VerifyReport): VerifyJson {
  const json = pick(report, VERIFY_FIELDS);
  return {
    ...json,
    counties: report.counties.map(({ county, expected, actual, difference }) => ({
      county,
      expected,
      actual,
      difference,
    })),
  };
}

export type DestroyJson = Pick<DestroyResult, 'stackName' | 'target' | 'destroyed' | 'location'>;

export function destroyJson(result: DestroyResult): DestroyJson {
  return pick(result, ['stackName', 'target', 'destroyed', 'location']);
}

const DEAD_LETTER_FIELDS = [
  'messageId',
  'receiveCount',
  'sentAt',
  'deadAt',
  'error',
  'body',
  'bodyTruncated',
] as const;

export type DeadLetterJson = Pick<DeadLetterView, (typeof DEAD_LETTER_FIELDS)[number]>;

export function deadLettersJson(letters: readonly DeadLetterView[]): DeadLetterJson[] {
  return letters.map((letter) => pick(letter, DEAD_LETTER_FIELDS));
}

export type RedriveJson = Pick<RedriveResult, 'moved' | 'remaining'>;

export function redriveJson(result: RedriveResult): RedriveJson {
  return pick(result, ['moved', 'remaining']);
}

/** `logs --json`: one object per line, per line a function logged, oldest first. */
export interface LogJson {
  function: FunctionName;
  /** ISO 8601, with milliseconds. */
  timestamp: string;
  /** INFO for the handlers' entries, ERROR for a failed invocation; null for Lambda's START, END, REPORT. */
  level: string | null;
  /** The line as logged (on AWS without the runtime's time, request id and level). */
  message: string;
  /** The handler's structured entry when the line is one (counts, reasons, failed ids), else null. */
  entry: FunctionLogEntry | null;
}

export function logJson(line: LogLine): LogJson {
  return {
    function: line.function,
    timestamp: new Date(line.time).toISOString(),
    level: line.level,
    message: line.message,
    entry: (line.level === 'INFO' ? parseLogEntry(line.message) : undefined) ?? null,
  };
}

export interface TemplateJson {
  /** The TemplateBody, unless it was written to --output. */
  templateBody?: string;
  output?: string;
  bytes: number;
  maxBytes: number;
}

/** Every error, with --json: one object on stdout, and the exit code. */
/** `autocomplete --json`: the script and the lines that install it. */
export interface AutocompleteJson {
  shell: 'bash' | 'zsh' | 'powershell';
  script: string;
  install: string[];
}

export interface ErrorJson {
  error: {
    code: string;
    message: string;
    suggestions: string[];
    exitCode: number;
    /** Lines of a log that explain the failure (a function's last log lines). */
    log?: string[];
  };
}

/** What each exit code means: one table for every command's --help and for the README. */
export const EXIT_CODE_MEANINGS: Record<ExitCodeValue, string> = {
  [ExitCode.ok]: 'done',
  [ExitCode.failed]: 'the operation ran and failed',
  [ExitCode.usage]: 'a flag, argument or input file is wrong',
  [ExitCode.state]: 'the stack is not in a state that allows it',
  [ExitCode.environment]: 'the environment stopped it (credentials, network, disk)',
  [ExitCode.interrupted]: 'interrupted (Ctrl-C)',
};

/**
 * A command's description followed by its exit codes, each with what it means for that command
 * (`specific`), or the shared meaning.
 */
export function withExitCodes(
  description: string,
  specific: Partial<Record<ExitCodeValue, string>> = {},
): string {
  const lines = (Object.keys(EXIT_CODE_MEANINGS).map(Number) as ExitCodeValue[]).map(
    (code) => `  ${code}  ${specific[code] ?? EXIT_CODE_MEANINGS[code]}`,
  );
  return `${description}\n\nExit codes:\n${lines.join('\n')}`;
}

/** The listed fields of a value, and only those: a contract never passes on what it did not declare. */
function pick<T, K extends keyof T>(value: T, fields: readonly K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const field of fields) picked[field] = value[field];
  return picked;
}
