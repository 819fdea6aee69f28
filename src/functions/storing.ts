import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { EVENT_TTL_MINUTES_DEFAULT } from '../core/parameter-defaults.js';
import type { EventWriter } from '../core/repositories.js';
import { storeRecords } from '../core/storing.js';
import { type FunctionEnvironment, positiveIntegerEnv, requiredEnv } from './environment.js';
import type { LogSink, StoringLogEntry } from './log.js';

export interface StoringConfig {
  eventsTable: string;
  ttlMinutes: number;
}

/** The storing function's settings, from the variables templates/pipeline.yaml gives it. */
export function parseStoringConfig(env: FunctionEnvironment): StoringConfig {
  return {
    eventsTable: requiredEnv(env, 'EVENTS_TABLE'),
    ttlMinutes: positiveIntegerEnv(env, 'EVENT_TTL_MINUTES', EVENT_TTL_MINUTES_DEFAULT),
  };
}

export interface StoringHandlerDeps {
  events: EventWriter;
  ttlMinutes: number;
  log: LogSink<StoringLogEntry>;
}

export type StoringHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/**
 * The storing function: core's storeRecords over an event repository, answering with the batch
 * item failures (ReportBatchItemFailures) so only failed messages come back. It logs one entry per
 * invocation, with the failed message ids by reason.
 */
export function createStoringHandler(deps: StoringHandlerDeps): StoringHandler {
  return async (event) => {
    const records = event.Records ?? [];
    const result = await storeRecords(records, deps);
    const failures: Record<string, string[]> = {};
    for (const { messageId, error } of result.errors) {
      const ids = failures[error] ?? [];
      ids.push(messageId);
      failures[error] = ids;
    }
    deps.log({
      function: 'storing',
      records: records.length,
      stored: result.stored,
      failed: result.errors.length,
      failures,
    });
    return { batchItemFailures: result.batchItemFailures };
  };
}
