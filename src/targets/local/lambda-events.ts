import { createHash, randomUUID } from 'node:crypto';
import type { ScheduledEvent, SQSEvent, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import type { ReceivedMessage } from './queue.js';

/** A local stack has no AWS account or region; these stand in for them in the events' fields. */
const LOCAL_ACCOUNT = '000000000000';
const LOCAL_REGION = 'local';

/** A batch from the local queue as Lambda's SQS event source mapping delivers it to the storing function. */
export function sqsEventOf(messages: readonly ReceivedMessage[], receivedAt: number): SQSEvent {
  return { Records: messages.map((m) => new LocalSqsRecord(m, receivedAt)) };
}

class LocalSqsRecord implements SQSRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: SQSRecordAttributes;
  readonly messageAttributes = {};
  readonly eventSource = 'aws:sqs';
  readonly eventSourceARN = `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:queue`;
  readonly awsRegion = LOCAL_REGION;

  constructor(message: ReceivedMessage, receivedAt: number) {
    this.messageId = message.messageId;
    this.receiptHandle = message.receipt;
    this.body = message.body;
    this.attributes = {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: 'sensorpipe',
      // The queue does not keep when a message was first received: this receive's time stands in.
      ApproximateFirstReceiveTimestamp: String(receivedAt),
    };
  }

  /** Computed when read: the storing function never reads it, and hashing every body costs throughput. */
  get md5OfBody(): string {
    return createHash('md5').update(this.body).digest('hex');
  }
}

/** What EventBridge sends the aggregation function for a scheduled run at `time`. */
export function scheduledEventAt(time: number): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT,
    time: new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [],
    detail: {},
  };
}
