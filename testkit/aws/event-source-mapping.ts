import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

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
  invoke: (event: SQSEvent) => Promise<SQSBatchResponse>,
): Promise<Invocation> {
  const batch: Message[] = [];
  let emptyReceive = false;
  while (batch.length < batchSize) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (!out.Messages?.length) {
      emptyReceive = true;
      break;
    }
    batch.push(...out.Messages);
  }
  if (batch.length === 0) return { received: 0, deleted: 0, emptyReceive };
  const response = await invoke({ Records: batch.map((m) => sqsRecord(m, queueUrl)) });
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

/** A received message as Lambda hands it to the function; the queue's ARN from its URL (…/account/name). */
function sqsRecord(m: Message, queueUrl: string): SQSRecord {
  const [account = '', name = ''] = new URL(queueUrl).pathname.split('/').filter(Boolean);
  const attribute = (key: string) => m.Attributes?.[key as keyof typeof m.Attributes] ?? '';
  return {
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attribute('ApproximateReceiveCount'),
      SentTimestamp: attribute('SentTimestamp'),
      SenderId: attribute('SenderId'),
      ApproximateFirstReceiveTimestamp: attribute('ApproximateFirstReceiveTimestamp'),
    },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:${account}:${name}`,
    awsRegion: 'us-east-1',
  };
}
