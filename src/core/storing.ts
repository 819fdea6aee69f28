import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { EnvironmentError, InvalidEventError } from './errors.js';
import { expiryOf, parseEvent, type StoredEvent } from './event.js';
import type { EventWriter } from './repositories.js';

/** The part of an SQS record the storing function reads. */
export type QueueRecord = Pick<SQSRecord, 'messageId' | 'body'>;

/** Lambda's partial batch response (ReportBatchItemFailures), with why each record failed. */
export interface StoringResult extends SQSBatchResponse {
  stored: number;
  /** Why each failed record failed, for logs and the dead-letter view; never sent back to Lambda. */
  errors: { messageId: string; error: string }[];
}

export interface StoringDeps {
  events: EventWriter;
  ttlMinutes: number;
}

/**
 * The storing function. Every good record is stored (idempotently on the event id); a record that
 * cannot be parsed or stored comes back as a batch item failure and never holds back the others.
 */
export async function storeRecords(records: QueueRecord[], deps: StoringDeps): Promise<StoringResult> {
  const errors: { messageId: string; error: string }[] = [];
  const toStore: StoredEvent[] = [];
  const messageIdsByEvent = new Map<string, string[]>();
  for (const record of records) {
    try {
      const event = parseEvent(record.body);
      const ids = messageIdsByEvent.get(event.id);
      if (ids) ids.push(record.messageId);
      else {
        messageIdsByEvent.set(event.id, [record.messageId]);
        const { id, time, county, data } = event;
        toStore.push({ id, time, county, data, expiresAt: expiryOf(time, deps.ttlMinutes) });
      }
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      errors.push({ messageId: record.messageId, error: error.message });
    }
  }
  const failed = toStore.length > 0 ? await putAll(deps.events, toStore) : { ids: [], reason: '' };
  for (const id of failed.ids) {
    for (const messageId of messageIdsByEvent.get(id) ?? []) errors.push({ messageId, error: failed.reason });
  }
  return {
    stored: records.length - errors.length,
    errors,
    batchItemFailures: errors.map((e) => ({ itemIdentifier: e.messageId })),
  };
}

async function putAll(
  events: EventWriter,
  toStore: StoredEvent[],
): Promise<{ ids: string[]; reason: string }> {
  try {
    const { failedIds } = await events.putEvents(toStore);
    return { ids: failedIds, reason: 'not stored after retries' };
  } catch (error) {
    // The store cannot be used here at all (a full disk, a read-only file system): failing each record
    // would only use up their receives toward the dead letters, so the whole invocation fails.
    if (error instanceof EnvironmentError) throw error;
    return { ids: toStore.map((e) => e.id), reason: `storage failed: ${(error as Error).message}` };
  }
}
