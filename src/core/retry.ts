import type { Clock } from './clock.js';
import { InterruptedError } from './errors.js';

/**
 * Retries and waits, in one place. Requests that fail as a whole are not retried here: the AWS SDK
 * retries those itself (see AWS_RETRY_POLICY). What it cannot see are the parts of a batch that a
 * successful answer hands back (SQS's Failed entries, DynamoDB's UnprocessedItems and
 * UnprocessedKeys): retryPartial sends those again. Every wait goes through the Clock, so tests drive
 * time, and takes the caller's AbortSignal, so Ctrl-C ends it at once.
 */
export interface RetryPolicy {
  /** Attempts, the first included. */
  maxAttempts: number;
  /** The backoff bound of the first retry; it doubles on each retry up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface WaitContext {
  clock: Clock;
  /** Ctrl-C: ends a wait at once, and the operation with it. */
  signal?: AbortSignal;
}

export interface RetryContext extends WaitContext {
  /** Uniform in [0, 1), the jitter; injectable so that tests control it. */
  random?: () => number;
}

/** Full jitter (AWS's recommendation): uniform in [0, min(max, base x 2^(retry - 1))), retries from 1. */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const bound = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * bound);
}

export interface PartialRetryResult<T> {
  /** What the last attempt handed back, or what was waiting when the signal aborted. */
  left: T[];
  attempts: number;
  /** The signal cut the retries short. */
  interrupted: boolean;
}

/**
 * Sends `items` with `attempt`, which returns the items to send again (the parts of its batch the
 * service handed back), and sends those again after a backoff, until none are left, the attempts run
 * out or the signal aborts. An attempt that throws ends it with that error.
 */
export async function retryPartial<T>(
  items: readonly T[],
  attempt: (pending: T[], attemptNumber: number) => Promise<T[]>,
  policy: RetryPolicy,
  context: RetryContext,
): Promise<PartialRetryResult<T>> {
  let pending = [...items];
  let attempts = 0;
  while (pending.length > 0 && attempts < policy.maxAttempts) {
    if (attempts > 0) {
      await context.clock.sleep(backoffDelay(attempts, policy, context.random), context.signal);
      if (context.signal?.aborted) return { left: pending, attempts, interrupted: true };
    }
    attempts++;
    pending = await attempt(pending, attempts);
  }
  return { left: pending, attempts, interrupted: false };
}

/** Waits `ms`; a wait the signal ends early throws InterruptedError with `message`. */
export async function pause(ms: number, context: WaitContext, message: string): Promise<void> {
  if (!context.signal?.aborted) await context.clock.sleep(ms, context.signal);
  if (context.signal?.aborted) throw new InterruptedError(message);
}
