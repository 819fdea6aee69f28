import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { BatchResponse } from '../../src/core/storing.js';

export interface SqsEvent {
  Records: { messageId: string; body: string }[];
}

export interface Invocation {
  /** Messages in the batch (0: the queue had none visible, and nothing was invoked). */
  received: number;
  /** Messages deleted: those the function did not report as failed. */
  deleted: number;
  /** Whether a receive came back empty (the last one before a short batch). */
  emptyReceive: boolean;
}

/**
 * One invocation of Lambda's SQS event source mapping, played on an emulator: ReceiveMessage of 10
 * until `batchSize` or an empty receive, the function on the batch, then DeleteMessageBatch of 10 for
 * what it did not report in batchItemFailures. Failures stay in flight until their visibility timeout.
 */
export async function invokeFromQueue(
  sqs: Pick<SQSClient, 'send'>,
  queueUrl: string,
  batchSize: number,
  invoke: (event: SqsEvent) => Promise<BatchResponse>,
): Promise<Invocation> {
  const batch: Message[] = [];
  let emptyReceive = false;
  while (batch.length < batchSize) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (!out.Messages?.length) {
      emptyReceive = true;
      break;
    }
    batch.push(...out.Messages);
  }
  if (batch.length === 0) return { received: 0, deleted: 0, emptyReceive };
  const response = await invoke({
    Records: batch.map((m) => ({ messageId: m.MessageId ?? '', body: m.Body ?? '' })),
  });
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const done = batch.filter((m) => !failed.has(m.MessageId ?? ''));
  for (let i = 0; i < done.length; i += 10) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: done.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
  return { received: batch.length, deleted: done.length, emptyReceive };
}
