import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import { type Clock, systemClock } from '../../core/clock.js';
import { EnvironmentError, OperationError } from '../../core/errors.js';
import { backoffDelay, pause, type RetryPolicy } from '../../core/retry.js';
import type { Snapshot } from '../../core/snapshot.js';
import { oneLine } from '../../core/text.js';
import { describeFailure, isThrottling } from './errors.js';
import type { StoringMarks } from './window-counts.js';

/** The last lines of a function's log that a failed aggregate shows. */
const LOG_TAIL_LINES = 10;

/**
 * How a throttled invoke is tried again, after the SDK's own retries of it (about 15 s) are used up.
 * With a reserved concurrency of 1 (AggregationReservedConcurrency), a scheduled run holds the only
 * slot for as long as it runs, up to the function's timeout of 60 s: 3 more tries, waits of up to
 * 5, 10 and 20 s, cover that.
 */
export const THROTTLED_INVOKE_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 5_000, maxDelayMs: 20_000 };

export interface InvokeOptions {
  /** The waits between throttled tries. */
  clock?: Clock;
  /** Ctrl-C: ends a wait at once, with an InterruptedError. */
  signal?: AbortSignal;
  /** Uniform in [0, 1), the backoff's jitter. */
  random?: () => number;
  retry?: RetryPolicy;
  /** The command that deploys the stack again, with the flags that selected it. */
  deployCommand?: string;
}

/**
 * What the aggregation function returns (lambdas/aggregation.ts): the snapshot it wrote, and
 * `storing`, what the window's per-second counters said of the storing side. A function deployed by
 * an older sensorpipe returns the snapshot alone.
 */
export type AggregationPayload = Snapshot & { storing?: StoringMarks };

export interface AggregationResponse {
  snapshot: Snapshot;
  /** Undefined when the function did not return them (an older deploy), or not in this shape. */
  storing?: StoringMarks;
}

/**
 * Runs the aggregation function synchronously and returns the snapshot it wrote, with what it read
 * of the storing side. A function error
 * becomes an OperationError (exit 1) with the function's own message, and the tail of its log
 * (Lambda returns the last 4 KB with LogType Tail) as the lines that follow it. An invoke that Lambda
 * throttles is tried again a few times, then reported in one line (exit 4).
 */
export async function invokeAggregation(
  client: Pick<LambdaClient, 'send'>,
  functionName: string,
  options: InvokeOptions = {},
): Promise<AggregationResponse> {
  const result = await invokeThrottled(client, functionName, options);
  const payload = result.Payload ? Buffer.from(result.Payload).toString('utf8') : '';
  if (result.FunctionError) {
    let reason = payload;
    try {
      const parsed = JSON.parse(payload) as { errorType?: string; errorMessage?: string };
      reason = [parsed.errorType, parsed.errorMessage].filter(Boolean).join(': ') || payload;
    } catch {
      // Not JSON: show it as it is.
    }
    throw new OperationError(
      `The aggregation function ${functionName} failed: ${oneLine(reason) || result.FunctionError}.`,
      'AWS_FUNCTION_ERROR',
      { log: logTail(result.LogResult) },
    );
  }
  let snapshot: unknown;
  try {
    snapshot = JSON.parse(payload);
  } catch {
    snapshot = undefined;
  }
  if (!isSnapshot(snapshot)) {
    throw new OperationError(
      `The aggregation function ${functionName} returned something that is not a snapshot: ${oneLine(payload, 200) || 'nothing'}. Is the stack deployed by this version of sensorpipe? Run ${options.deployCommand ?? 'sensorpipe deploy --target aws'}.`,
      'AWS_FUNCTION_RESULT',
    );
  }
  const { storing, ...rest } = snapshot as AggregationPayload;
  return { snapshot: rest, storing: isStoringMarks(storing) ? storing : undefined };
}

async function invokeThrottled(
  client: Pick<LambdaClient, 'send'>,
  functionName: string,
  options: InvokeOptions,
): Promise<InvokeCommandOutput> {
  const { clock = systemClock, signal, random, retry: policy = THROTTLED_INVOKE_RETRY } = options;
  const started = clock.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.send(
        new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', LogType: 'Tail' }),
      );
    } catch (error) {
      if (!isThrottling(error)) throw error;
      if (attempt >= policy.maxAttempts) {
        const seconds = Math.round((clock.now() - started) / 1000);
        throw new EnvironmentError(
          `Lambda throttled the aggregation function ${functionName} (${describeFailure(error)}) ${attempt} times over ${seconds} s: another run holds its reserved concurrency, or the account's concurrent executions are all in use. Try again in a minute.`,
          'AWS_THROTTLED',
          { cause: error },
        );
      }
      await pause(
        backoffDelay(attempt, policy, random),
        { clock, signal },
        `Interrupted while waiting to invoke the aggregation function ${functionName} again (Lambda throttled it): no aggregation ran.`,
      );
    }
  }
}

function logTail(logResult: string | undefined): string[] {
  if (!logResult) return [];
  const lines = Buffer.from(logResult, 'base64')
    .toString('utf8')
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '');
  return lines.slice(-LOG_TAIL_LINES);
}

function isSnapshot(value: unknown): value is Snapshot {
  const v = value as Partial<Snapshot> | undefined;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.updated === 'string' &&
    typeof v.total === 'number' &&
    Array.isArray(v.counties)
  );
}

function isStoringMarks(value: unknown): value is StoringMarks {
  const v = value as Partial<StoringMarks> | undefined;
  return (
    typeof v === 'object' &&
    v !== null &&
    (v.newestSecond === null || Number.isFinite(v.newestSecond)) &&
    Number.isFinite(v.from) &&
    Array.isArray(v.marked) &&
    v.marked.every((n) => Number.isFinite(n) && n >= 0)
  );
}
