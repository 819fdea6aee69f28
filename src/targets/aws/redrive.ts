import {
  type BatchResultErrorEntry,
  DeleteMessageBatchCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { Clock } from '../../core/clock.js';
import { OperationError } from '../../core/errors.js';
import { pause, type RetryPolicy, retryPartial } from '../../core/retry.js';
import { isRetryableEntry } from './errors.js';

/** A stack's queue and its dead-letter queue. */
export interface RedriveQueues {
  queueUrl: string;
  queueArn: string;
  deadLetterUrl: string;
  deadLetterArn: string;
}

export interface RedriveContext {
  sqs: Pick<SQSClient, 'send'>;
  queues: RedriveQueues;
  clock: Clock;
  /** Ctrl-C: ends a by-hand move between batches, and the following of a move task. */
  signal?: AbortSignal;
  onProgress?(moved: number, total: number | null): void;
}

/** Long enough to send a batch and delete it; a message that could not be sent comes back after it. */
const HIDDEN_SECONDS = 30;
const ENTRY_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2_000 };

/**
 * Moves at most `limit` dead letters back to the queue by hand: receive up to 10 from the dead-letter
 * queue (hidden meanwhile), send their bodies to the queue, and delete from the dead-letter queue
 * only those that were sent. Oldest first as far as SQS allows: a standard queue has no order, so
 * each receive's messages go in the order they were first sent. Returns how many moved; stops early
 * when the dead-letter queue looks empty, when SQS takes none of a batch, or on Ctrl-C.
 */
export async function moveByHand(limit: number, context: RedriveContext, total: number): Promise<number> {
  const { sqs, queues } = context;
  let moved = 0;
  while (moved < limit && !context.signal?.aborted) {
    const { Messages: received = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queues.deadLetterUrl,
        MaxNumberOfMessages: Math.min(10, limit - moved),
        VisibilityTimeout: HIDDEN_SECONDS,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['SentTimestamp'],
      }),
    );
    if (received.length === 0) break;
    const batch = [...received].sort((a, b) => sentAt(a) - sentAt(b));
    const sent = await sendAll(batch, context);
    if (sent.length === 0) break;
    await deleteAll(sent, context);
    moved += sent.length;
    context.onProgress?.(moved, total);
  }
  return moved;
}

/** Sends the messages' bodies to the queue; returns those sent. */
function sendAll(messages: Message[], context: RedriveContext): Promise<Message[]> {
  return eachEntry(messages, context, (entries) =>
    context.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: context.queues.queueUrl,
        Entries: entries.map(({ id, message }) => ({ Id: id, MessageBody: message.Body ?? '' })),
      }),
    ),
  );
}

/** Deletes the moved messages from the dead-letter queue; one left behind is only moved twice later. */
async function deleteAll(messages: Message[], context: RedriveContext): Promise<void> {
  await eachEntry(messages, context, (entries) =>
    context.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: context.queues.deadLetterUrl,
        Entries: entries.map(({ id, message }) => ({ Id: id, ReceiptHandle: message.ReceiptHandle })),
      }),
    ),
  );
}

/**
 * One SQS batch request over the messages, sent again for the entries SQS fails on its side (the
 * others are final); returns the messages it succeeded for.
 */
async function eachEntry(
  messages: Message[],
  context: RedriveContext,
  request: (
    entries: { id: string; message: Message }[],
  ) => Promise<{ Successful?: { Id?: string }[]; Failed?: BatchResultErrorEntry[] }>,
): Promise<Message[]> {
  const done: Message[] = [];
  await retryPartial(
    messages,
    async (pending) => {
      const out = await request(pending.map((message, i) => ({ id: String(i), message })));
      const succeeded = new Set((out.Successful ?? []).map((entry) => entry.Id));
      done.push(...pending.filter((_, i) => succeeded.has(String(i))));
      const again = new Set((out.Failed ?? []).filter(isRetryableEntry).map((entry) => entry.Id));
      return pending.filter((_, i) => again.has(String(i)));
    },
    ENTRY_RETRY,
    context,
  );
  return done;
}

function sentAt(message: Message): number {
  const time = Number(message.Attributes?.SentTimestamp);
  return Number.isFinite(time) ? time : 0;
}

/**
 * SQS's own redrive (StartMessageMoveTask) from the dead-letter queue back to the queue, followed to
 * its end; returns how many moved. Ctrl-C stops the following with an InterruptedError: SQS carries on.
 */
export async function followMoveTask(
  context: RedriveContext & { stackName: string; pollIntervalMs: number },
): Promise<number> {
  const { sqs, queues } = context;
  await sqs.send(
    new StartMessageMoveTaskCommand({ SourceArn: queues.deadLetterArn, DestinationArn: queues.queueArn }),
  );
  const interrupted = `Interrupted: SQS carries on moving the dead letters of stack "${context.stackName}" back to its queue. Follow it with: aws sqs list-message-move-tasks --source-arn ${queues.deadLetterArn}`;
  for (;;) {
    const { Results } = await sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: queues.deadLetterArn, MaxResults: 1 }),
    );
    const task = Results?.[0];
    const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
    context.onProgress?.(moved, task?.ApproximateNumberOfMessagesToMove ?? null);
    if (task?.Status === 'COMPLETED') return moved;
    if (task?.Status === 'FAILED' || task?.Status === 'CANCELLED') {
      throw new OperationError(
        `The redrive of stack "${context.stackName}" stopped (${task.Status}) after ${moved} messages: ${task.FailureReason ?? 'no reason given'}.`,
        'AWS_REDRIVE_FAILED',
      );
    }
    await pause(context.pollIntervalMs, context, interrupted);
  }
}
