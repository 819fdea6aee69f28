import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { OperationError } from '../../core/errors.js';
import type { Snapshot } from '../../core/snapshot.js';
import { oneLine } from '../../core/text.js';

/** The last lines of a function's log that a failed aggregate shows. */
const LOG_TAIL_LINES = 10;

/**
 * Runs the aggregation function synchronously and returns the snapshot it wrote. A function error
 * becomes an OperationError (exit 1) with the function's own message, and the tail of its log
 * (Lambda returns the last 4 KB with LogType Tail) as the lines that follow it.
 */
export async function invokeAggregation(
  client: Pick<LambdaClient, 'send'>,
  functionName: string,
): Promise<Snapshot> {
  const result = await client.send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', LogType: 'Tail' }),
  );
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
      `The aggregation function ${functionName} returned something that is not a snapshot: ${oneLine(payload, 200) || 'nothing'}. Is the stack deployed by this version of sensorpipe? Run sensorpipe deploy --target aws.`,
      'AWS_FUNCTION_RESULT',
    );
  }
  return snapshot;
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
