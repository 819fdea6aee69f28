import { UsageError } from './errors.js';
import { parseSchedule } from './schedule.js';

/**
 * The stack's parameters. The names and defaults are those of the CloudFormation template's
 * Parameters, so a local stack and an AWS stack are configured alike.
 */
export interface StackParameters {
  BatchSize: number;
  MaximumBatchingWindowInSeconds: number;
  StoringTimeoutSeconds: number;
  VisibilityTimeoutSeconds: number;
  MessageRetentionSeconds: number;
  MaxReceiveCount: number;
  WindowMinutes: number;
  EventTtlMinutes: number;
  ScheduleEnabled: boolean;
  ScheduleExpression: string;
}

export type ParameterName = keyof StackParameters;

export const DEFAULT_PARAMETERS: Readonly<StackParameters> = Object.freeze({
  BatchSize: 100,
  MaximumBatchingWindowInSeconds: 1,
  StoringTimeoutSeconds: 30,
  VisibilityTimeoutSeconds: 180,
  MessageRetentionSeconds: 345_600,
  MaxReceiveCount: 5,
  WindowMinutes: 5,
  EventTtlMinutes: 60,
  ScheduleEnabled: true,
  ScheduleExpression: 'rate(1 minute)',
});

interface IntegerRule {
  min: number;
  max: number;
  flag: string;
  description: string;
}

/** Bounds are AWS's own (Lambda event source mapping, SQS, Lambda timeout) so local never accepts what AWS rejects. */
export const INTEGER_RULES: Record<
  Exclude<ParameterName, 'ScheduleEnabled' | 'ScheduleExpression'>,
  IntegerRule
> = {
  BatchSize: { min: 1, max: 10_000, flag: 'batch-size', description: 'messages per storing invocation' },
  MaximumBatchingWindowInSeconds: {
    min: 0,
    max: 300,
    flag: 'batching-window',
    description: 'seconds to wait to fill a batch',
  },
  StoringTimeoutSeconds: {
    min: 1,
    max: 900,
    flag: 'storing-timeout',
    description: 'storing function timeout, seconds',
  },
  VisibilityTimeoutSeconds: {
    min: 0,
    max: 43_200,
    flag: 'visibility-timeout',
    description: 'seconds a received message stays hidden',
  },
  MessageRetentionSeconds: {
    min: 60,
    max: 1_209_600,
    flag: 'queue-retention',
    description: 'seconds a message is kept in the queue',
  },
  MaxReceiveCount: {
    min: 1,
    max: 1000,
    flag: 'max-receive-count',
    description: 'receives before a message is dead-lettered',
  },
  WindowMinutes: { min: 1, max: 1440, flag: 'window-minutes', description: 'sliding window length, minutes' },
  EventTtlMinutes: {
    min: 1,
    max: 525_600,
    flag: 'event-ttl',
    description: 'minutes a raw event is kept (TTL)',
  },
};

/** Merges changes over a base and checks the result as a whole (some rules tie two parameters). */
export function resolveParameters(base: StackParameters, changes: Partial<StackParameters>): StackParameters {
  const merged: StackParameters = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
  }
  validateParameters(merged);
  return merged;
}

export function validateParameters(p: StackParameters): void {
  for (const [name, rule] of Object.entries(INTEGER_RULES)) {
    const value = p[name as keyof typeof INTEGER_RULES];
    if (!Number.isInteger(value) || value < rule.min || value > rule.max) {
      throw new UsageError(
        `--${rule.flag} must be a whole number from ${rule.min} to ${rule.max} (${rule.description}); got ${value}.`,
      );
    }
  }
  if (p.BatchSize > 10 && p.MaximumBatchingWindowInSeconds < 1) {
    throw new UsageError(
      `--batch-size ${p.BatchSize} needs --batching-window of at least 1 second (Lambda allows more than 10 messages per batch only with a batching window).`,
    );
  }
  if (p.VisibilityTimeoutSeconds < 6 * p.StoringTimeoutSeconds) {
    throw new UsageError(
      `--visibility-timeout ${p.VisibilityTimeoutSeconds} must be at least 6x --storing-timeout (${6 * p.StoringTimeoutSeconds} s), as AWS recommends for Lambda queues.`,
    );
  }
  if (p.EventTtlMinutes < p.WindowMinutes) {
    throw new UsageError(
      `--event-ttl ${p.EventTtlMinutes} is shorter than --window-minutes ${p.WindowMinutes}: events would expire while still in the window. Use a TTL of at least the window.`,
    );
  }
  parseSchedule(p.ScheduleExpression);
}
