import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_PARAMETERS } from '../src/core/parameters.js';
import type { EventRepository } from '../src/core/repositories.js';
import { type BatchResponse, type QueueRecord, storeRecords } from '../src/core/storing.js';
import { DynamoEventRepository, lambdaDocumentClient } from '../src/targets/aws/dynamo-repositories.js';

/** The part of Lambda's SQS event the storing function reads (other record fields are ignored). */
export interface SqsEvent {
  Records: QueueRecord[];
}

export interface StoringHandlerDeps {
  events: EventRepository;
  ttlMinutes: number;
  /** One line per batch; console.log (CloudWatch Logs) by default. */
  log?: (line: string) => void;
}

/**
 * The storing function: core's storeRecords over the DynamoDB event repository, answering with
 * the batch item failures (ReportBatchItemFailures) so only failed messages come back.
 */
export function createHandler(deps: StoringHandlerDeps): (event: SqsEvent) => Promise<BatchResponse> {
  const log = deps.log ?? ((line: string) => console.log(line));
  return async (event) => {
    const records = event.Records ?? [];
    const result = await storeRecords(records, deps);
    // Counts and reasons only: a message body may hold anything and is never logged.
    const failures: Record<string, string[]> = {};
    for (const { messageId, error } of result.errors) {
      const ids = failures[error] ?? [];
      ids.push(messageId);
      failures[error] = ids;
    }
    log(
      JSON.stringify({
        function: 'storing',
        records: records.length,
        stored: result.stored,
        failed: result.errors.length,
        failures,
      }),
    );
    return { batchItemFailures: result.batchItemFailures };
  };
}

/** A positive integer from the environment, or the stack parameter's default. */
export function positiveIntegerEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

export function requiredEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

// Module scope: created on the first invocation and reused by the warm ones.
let client: DynamoDBDocumentClient | undefined;
let storing: ((event: SqsEvent) => Promise<BatchResponse>) | undefined;

export const handler = async (event: SqsEvent): Promise<BatchResponse> => {
  if (!storing) {
    client ??= lambdaDocumentClient();
    storing = createHandler({
      events: new DynamoEventRepository(client, requiredEnv(process.env, 'EVENTS_TABLE')),
      ttlMinutes: positiveIntegerEnv(process.env, 'EVENT_TTL_MINUTES', DEFAULT_PARAMETERS.EventTtlMinutes),
    });
  }
  return storing(event);
};
