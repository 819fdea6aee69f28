import { UsageError } from './errors.js';
import { EVENT_TTL_MINUTES_DEFAULT, WINDOW_MINUTES_DEFAULT } from './parameter-defaults.js';
import { checkScheduleExpression } from './schedule.js';

/** Where a pipeline runs. */
export type TargetKind = 'local' | 'aws';

const BOTH = ['local', 'aws'] as const;
const AWS_ONLY = ['aws'] as const;

interface Definition {
  /** The deploy flag, without its dashes. */
  flag: string;
  /** What it sets, as a phrase: shown in --help and in the template's Description. */
  description: string;
  /** The targets that have it; another target refuses it. */
  targets: readonly TargetKind[];
  /** Why a target that lacks it lacks it (with `targets` of one). */
  missingBecause?: string;
}

interface IntegerDefinition extends Definition {
  type: 'integer';
  default: number;
  min: number;
  max: number;
  /** The only values allowed (CloudWatch Logs' retentions), within min..max. */
  allowed?: readonly number[];
}

interface BooleanDefinition extends Definition {
  type: 'boolean';
  default: boolean;
}

interface TextDefinition extends Definition {
  type: 'text';
  default: string;
  allowed?: readonly string[];
  /**
   * What a value must match, whole: the validation's and the template's `AllowedPattern` (so only
   * the regular expressions JavaScript and CloudFormation's Java read alike), with what it means.
   */
  pattern?: { regex: RegExp; means: string };
}

export type ParameterDefinition = IntegerDefinition | BooleanDefinition | TextDefinition;

/**
 * Every stack parameter, once: the deploy flags, the validation and the CloudFormation template's
 * `Parameters` are all made from this table. The names are the template's, so a local stack and an
 * AWS stack are configured alike. Integer bounds are AWS's own (Lambda event source mapping, SQS,
 * Lambda timeout), so the local target never accepts what AWS rejects.
 */
export const PARAMETERS = {
  BatchSize: {
    type: 'integer',
    flag: 'batch-size',
    description: 'messages per storing invocation (over 10 needs a batching window of 1 s or more)',
    default: 100,
    min: 1,
    max: 10_000,
    targets: BOTH,
  },
  MaximumBatchingWindowInSeconds: {
    type: 'integer',
    flag: 'batching-window',
    description: 'seconds to wait to fill a batch',
    default: 1,
    min: 0,
    max: 300,
    targets: BOTH,
  },
  StoringTimeoutSeconds: {
    type: 'integer',
    flag: 'storing-timeout',
    description: 'storing function timeout, seconds',
    default: 30,
    min: 1,
    max: 900,
    targets: BOTH,
  },
  VisibilityTimeoutSeconds: {
    type: 'integer',
    flag: 'visibility-timeout',
    description: 'seconds a received message stays hidden (6x the storing timeout or more)',
    default: 180,
    min: 0,
    max: 43_200,
    targets: BOTH,
  },
  MessageRetentionSeconds: {
    type: 'integer',
    flag: 'queue-retention',
    description: 'seconds a message is kept in the queue',
    default: 345_600,
    min: 60,
    max: 1_209_600,
    targets: BOTH,
  },
  MaxReceiveCount: {
    type: 'integer',
    flag: 'max-receive-count',
    description: 'receives before a message is dead-lettered',
    default: 5,
    min: 1,
    max: 1000,
    targets: BOTH,
  },
  WindowMinutes: {
    type: 'integer',
    flag: 'window-minutes',
    description: 'sliding window length, minutes',
    default: WINDOW_MINUTES_DEFAULT,
    min: 1,
    max: 1440,
    targets: BOTH,
  },
  EventTtlMinutes: {
    type: 'integer',
    flag: 'event-ttl',
    description: 'minutes a raw event is kept (TTL, the window or more)',
    default: EVENT_TTL_MINUTES_DEFAULT,
    min: 1,
    max: 525_600,
    targets: BOTH,
  },
  ScheduleEnabled: {
    type: 'boolean',
    flag: 'schedule',
    description: 'run the aggregation on its schedule (--no-schedule turns it off)',
    default: true,
    targets: BOTH,
  },
  ScheduleExpression: {
    type: 'text',
    flag: 'schedule-expression',
    description: 'aggregation schedule, EventBridge rate() or cron() in UTC, e.g. "rate(1 minute)"',
    default: 'rate(1 minute)',
    targets: BOTH,
  },
  LambdaRuntime: {
    type: 'text',
    flag: 'lambda-runtime',
    description: 'Node.js runtime of both functions',
    default: 'nodejs24.x',
    allowed: ['nodejs24.x', 'nodejs22.x'],
    targets: AWS_ONLY,
    missingBecause: 'a local stack runs its functions in the sensorpipe process',
  },
  LogRetentionDays: {
    type: 'integer',
    flag: 'log-retention-days',
    description: "days the functions' logs are kept",
    default: 14,
    min: 1,
    max: 3653,
    allowed: [
      1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
    ],
    targets: AWS_ONLY,
    missingBecause: 'a local stack keeps no function logs in CloudWatch',
  },
  StoringMaximumConcurrency: {
    type: 'integer',
    flag: 'storing-max-concurrency',
    description: 'most storing invocations at once',
    // Lambda's SQS poller starts at 5 concurrent batches: the cap costs no throughput at the start,
    // and leaves half of a new account's 10 concurrent executions to everything else.
    default: 5,
    min: 2,
    max: 1000,
    targets: AWS_ONLY,
    missingBecause: 'a local stack stores in the sensorpipe process, one batch at a time',
  },
  AggregationReservedConcurrency: {
    type: 'integer',
    flag: 'aggregation-reserved-concurrency',
    description: 'reserved concurrency of the aggregation function (0: none)',
    // Off by default: an account with a low concurrency quota (new ones have 10) cannot reserve any,
    // and a template that asks for it fails to deploy there.
    default: 0,
    min: 0,
    max: 1,
    targets: AWS_ONLY,
    missingBecause: 'a local stack runs its aggregations one at a time in its database',
  },
  AggregationMemorySize: {
    type: 'integer',
    flag: 'aggregation-memory',
    description: 'memory of the aggregation function, MB (its CPU grows with it)',
    // The aggregation's raw reads are CPU-bound (deserialising Query pages). 1,024 MB runs a minute of
    // 10,000 events/s in well under 20 s, and a catch-up of a whole 3,000,000-event window within the
    // 60 s timeout (README, "The aggregation on AWS as the window fills").
    default: 1024,
    min: 128,
    max: 10_240,
    targets: AWS_ONLY,
    missingBecause: 'a local stack runs its functions in the sensorpipe process',
  },
  PointInTimeRecovery: {
    type: 'boolean',
    flag: 'point-in-time-recovery',
    description: 'point-in-time recovery of both tables',
    default: false,
    targets: AWS_ONLY,
    missingBecause: 'a local stack is one SQLite file, backed up by copying it',
  },
  KmsKey: {
    type: 'text',
    flag: 'kms-key',
    description: 'KMS key of the tables, queues and logs: empty (AWS-owned keys), "create", or a key ARN',
    default: '',
    pattern: {
      regex: /^(|create|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key\/[a-zA-Z0-9-]+)$/,
      means: 'empty, "create", or a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)',
    },
    targets: AWS_ONLY,
    missingBecause: "a local stack's file is protected by its mode (0600), not by a key",
  },
} as const satisfies Record<string, ParameterDefinition>;

type Table = typeof PARAMETERS;
export type ParameterName = keyof Table;
type ValueOf<D> = D extends { type: 'integer' } ? number : D extends { type: 'boolean' } ? boolean : string;
/** Every parameter with its value: the parameters of an AWS stack. */
export type AllParameters = { [K in ParameterName]: ValueOf<Table[K]> };
export type ParameterValue = AllParameters[ParameterName];
/** The parameters a target has. */
export type ParameterNameOf<T extends TargetKind> = {
  [K in ParameterName]: T extends Table[K]['targets'][number] ? K : never;
}[ParameterName];
/** The parameters every target has: what the pipeline itself is configured by. */
export type StackParameters = Pick<AllParameters, ParameterNameOf<'local'>>;
/** What a deploy asks to change: the flags given, nothing for the others. */
export type ParameterChanges = Partial<AllParameters>;

export const PARAMETER_NAMES = Object.keys(PARAMETERS) as ParameterName[];

/** The names of the parameters a target has, in the table's order. */
export function parameterNames(target: TargetKind): ParameterName[] {
  return PARAMETER_NAMES.filter((name) =>
    (PARAMETERS[name].targets as readonly TargetKind[]).includes(target),
  );
}

/** The defaults of a target's parameters: what a first deploy starts from. */
export function defaultParameters(target: TargetKind): Partial<AllParameters> {
  return Object.fromEntries(parameterNames(target).map((name) => [name, PARAMETERS[name].default]));
}

/** The defaults of the parameters both targets have. */
export const DEFAULT_PARAMETERS: Readonly<StackParameters> = Object.freeze(
  defaultParameters('local') as StackParameters,
);

export type IntegerParameterName = {
  [K in ParameterName]: Table[K]['type'] extends 'integer' ? K : never;
}[ParameterName];

/** The integer parameters' bounds and flags, as the table gives them. */
export const INTEGER_RULES = Object.fromEntries(
  PARAMETER_NAMES.flatMap((name) => {
    const d: ParameterDefinition = PARAMETERS[name];
    return d.type === 'integer'
      ? [[name, { min: d.min, max: d.max, flag: d.flag, description: d.description }]]
      : [];
  }),
) as Record<IntegerParameterName, { min: number; max: number; flag: string; description: string }>;

/** The parameters that `target` does not have, among those asked for: refused with one line. */
export function refuseForeignParameters(target: TargetKind, changes: ParameterChanges): void {
  const foreign = (Object.keys(changes) as ParameterName[]).filter(
    (name) =>
      changes[name] !== undefined && !(PARAMETERS[name].targets as readonly TargetKind[]).includes(target),
  );
  if (foreign.length === 0) return;
  const flags = foreign.map((name) => `--${PARAMETERS[name].flag}`);
  const owner = (PARAMETERS[foreign[0]!] as Definition).targets.join(' or ');
  const reasons = [...new Set(foreign.map((name) => (PARAMETERS[name] as Definition).missingBecause))];
  throw new UsageError(
    `${flags.join(' and ')} ${flags.length === 1 ? 'is' : 'are'} for --target ${owner}: ${reasons.join('; ')}.`,
  );
}

/**
 * One value as the table types it, from what a store holds: a typed JSON value (a local stack) or
 * CloudFormation's string (an AWS stack). Undefined when it cannot be read as that type.
 */
function decodeValue(definition: ParameterDefinition, raw: unknown): ParameterValue | undefined {
  if (definition.type === 'integer') {
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  }
  if (definition.type === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    return raw === 'true' ? true : raw === 'false' ? false : undefined;
  }
  return typeof raw === 'string' ? raw : undefined;
}

/**
 * A stored stack's parameters, as the table types them: a target's parameters the store lacks (added
 * in a later version) take their defaults; names the table does not know are left out.
 */
export function decodeParameters(target: TargetKind, raw: Record<string, unknown>): Partial<AllParameters> {
  const parameters = defaultParameters(target) as Record<string, ParameterValue>;
  for (const name of parameterNames(target)) {
    const value = decodeValue(PARAMETERS[name], raw[name]);
    if (value !== undefined) parameters[name] = value;
  }
  return parameters as Partial<AllParameters>;
}

/** A parameter value as CloudFormation takes it. */
export function encodeValue(value: ParameterValue): string {
  return String(value);
}

/**
 * Checks parameters as a whole: each against its definition, then the rules that tie two together.
 * Target-specific rules (what the local scheduler can run) are the target's to add.
 */
export function validateParameters(p: Partial<AllParameters>): void {
  for (const name of Object.keys(p) as ParameterName[]) checkValue(name, p[name]);
  const { BatchSize, MaximumBatchingWindowInSeconds, VisibilityTimeoutSeconds, StoringTimeoutSeconds } = p;
  if (BatchSize !== undefined && BatchSize > 10 && (MaximumBatchingWindowInSeconds ?? 0) < 1) {
    throw new UsageError(
      `--batch-size ${BatchSize} needs --batching-window of at least 1 second (Lambda allows more than 10 messages per batch only with a batching window).`,
    );
  }
  if (
    VisibilityTimeoutSeconds !== undefined &&
    StoringTimeoutSeconds !== undefined &&
    VisibilityTimeoutSeconds < 6 * StoringTimeoutSeconds
  ) {
    throw new UsageError(
      `--visibility-timeout ${VisibilityTimeoutSeconds} must be at least 6x --storing-timeout (${6 * StoringTimeoutSeconds} s), as AWS recommends for Lambda queues.`,
    );
  }
  if (
    p.EventTtlMinutes !== undefined &&
    p.WindowMinutes !== undefined &&
    p.EventTtlMinutes < p.WindowMinutes
  ) {
    throw new UsageError(
      `--event-ttl ${p.EventTtlMinutes} is shorter than --window-minutes ${p.WindowMinutes}: events would expire while still in the window. Use a TTL of at least the window.`,
    );
  }
}

function checkValue(name: ParameterName, value: unknown): void {
  const d: ParameterDefinition = PARAMETERS[name];
  if (d.type === 'integer') {
    const n = value as number;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < d.min || n > d.max) {
      throw new UsageError(
        `--${d.flag} must be a whole number from ${d.min} to ${d.max} (${d.description}); got ${value}.`,
      );
    }
    if (d.allowed && !d.allowed.includes(n))
      throw new UsageError(
        `--${d.flag} must be one of ${d.allowed.join(', ')} (${d.description}); got ${n}.`,
      );
  } else if (d.type === 'boolean') {
    if (typeof value !== 'boolean') throw new UsageError(`--${d.flag} must be true or false; got ${value}.`);
  } else {
    if (typeof value !== 'string') throw new UsageError(`--${d.flag} must be text; got ${value}.`);
    if (d.allowed && !d.allowed.includes(value))
      throw new UsageError(`--${d.flag} must be one of ${d.allowed.join(', ')}; got ${value}.`);
    if (d.pattern && !d.pattern.regex.test(value))
      throw new UsageError(`--${d.flag} must be ${d.pattern.means}; got ${JSON.stringify(value)}.`);
    if (name === 'ScheduleExpression') checkScheduleExpression(value);
  }
}

/**
 * Merges changes over a base and checks the result as a whole (some rules tie two parameters).
 * Changes a target does not have are refused first.
 */
export function resolveParameters<P extends Partial<AllParameters>>(base: P, changes: ParameterChanges): P {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(changes)) if (value !== undefined) merged[key] = value;
  validateParameters(merged as Partial<AllParameters>);
  return merged as P;
}
