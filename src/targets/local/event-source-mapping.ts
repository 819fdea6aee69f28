import type { SQSBatchResponse } from 'aws-lambda';
import { sqsEventOf } from './lambda-events.js';
import type { LocalFunctions } from './local-functions.js';
import type { LocalQueue, ReceivedMessage, ReceiveOptions } from './queue.js';

export interface BatchResult {
  received: number;
  stored: number;
  failed: number;
}

const NOTHING_RECEIVED: BatchResult = { received: 0, stored: 0, failed: 0 };
const WHOLE_BATCH_FAILED = 'the storing function failed the whole batch';

/**
 * One invocation of Lambda's SQS event source mapping (ReportBatchItemFailures) on the local queue,
 * inside the caller's transaction: receives a batch, invokes the storing function with it as an SQS
 * event, deletes what the function did not report as failed, and keeps the failures in flight with
 * their reason, so they come back after the visibility timeout (or go to the dead letters after
 * MaxReceiveCount). A handler that throws fails the caller's transaction, and with it the receive.
 */
export async function invokeStoringFromQueue(
  queue: LocalQueue,
  functions: Pick<LocalFunctions, 'store'>,
  receive: ReceiveOptions,
): Promise<BatchResult> {
  const messages = queue.receive(receive);
  if (messages.length === 0) return NOTHING_RECEIVED;
  const { response, reasons } = await functions.store(sqsEventOf(messages, receive.now));
  const failed = failedIds(response, messages);
  queue.delete(messages.filter((m) => !failed.has(m.messageId)));
  queue.recordFailures(
    messages
      .filter((m) => failed.has(m.messageId))
      .map((m) => ({ message: m, error: reasons.get(m.messageId) ?? WHOLE_BATCH_FAILED })),
  );
  return { received: messages.length, stored: messages.length - failed.size, failed: failed.size };
}

/** Lambda fails the whole batch when an identifier is empty or names no message of the batch. */
function failedIds(
  response: SQSBatchResponse | undefined,
  messages: readonly ReceivedMessage[],
): Set<string> {
  const batch = new Set(messages.map((m) => m.messageId));
  const failed = new Set<string>();
  for (const { itemIdentifier } of response?.batchItemFailures ?? []) {
    if (!itemIdentifier || !batch.has(itemIdentifier)) return batch;
    failed.add(itemIdentifier);
  }
  return failed;
}
