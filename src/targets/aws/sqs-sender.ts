import {
  type BatchResultErrorEntry,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
} from '@aws-sdk/client-sqs';
import { type Clock, systemClock } from '../../core/clock.js';
import { eventBody, MAX_MESSAGE_BYTES, type OutgoingEvent } from '../../core/event.js';
import { type RetryPolicy, retryPartial } from '../../core/retry.js';
import type { EventSender, SendOutcome } from '../../core/streamer.js';
import { oneLine } from '../../core/text.js';
import { SQS_MAX_IN_FLIGHT } from './environment.js';
import {
  describeFailure,
  type ErrorContext,
  isRefused,
  isRetryable,
  isRetryableEntry,
  isThrottledEntry,
  toUserError,
} from './errors.js';

/** The part of SQSClient the sender uses; an SQSClient fits, and so does a test wrapper around one. */
export interface SqsBatchClient {
  send(command: SendMessageBatchCommand): Promise<SendMessageBatchCommandOutput>;
}

export interface SqsEventSenderOptions {
  client: SqsBatchClient;
  queueUrl: string;
  /**
   * The most requests in flight at once (default SQS_MAX_IN_FLIGHT, the client's connection pool);
   * the streamer keeps as many as the rate needs over the measured round trip.
   */
  maxInFlight?: number;
  /** The fewest it allows, and what a stream starts with (default 16, capped by maxInFlight). */
  minInFlight?: number;
  /** Attempts SQS has throttled so far, counted by the client inside the SDK's retries. */
  throttles?: () => number;
  /** Waits between retries of failed entries; injected so tests control time. */
  clock?: Clock;
  /** Ctrl-C: ends the waits for a retry at once; the entries still unsent are counted as failed. */
  signal?: AbortSignal;
  /** Uniform in [0, 1); injected so tests control the jitter. */
  random?: () => number;
  /** How the entries SQS fails (its answer's Failed list) are sent again. */
  retry?: Partial<RetryPolicy>;
  /** What the one-line errors name: --endpoint-url and such, and the flags that selected the stack. */
  errorContext?: Pick<ErrorContext, 'settings' | 'selector'>;
}

/** SendMessageBatch takes at most 10 entries and 1 MiB in all. */
export const SQS_MAX_BATCH_SIZE = 10;
export const SQS_MAX_BATCH_BYTES = MAX_MESSAGE_BYTES;

/**
 * 16 requests of 10: what a stream had before the slots followed the round trip. A floor costs
 * nothing (a request goes only when events are due) and absorbs a slow answer at any rate.
 */
const SQS_MIN_IN_FLIGHT = 16;

/** Up to 5 s between the last attempts: entries SQS fails on its side usually go through on the next. */
const ENTRY_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 5_000 };

interface Pending {
  /** Batch entry Id: the event's index in the events passed to send ("0".."9"). */
  id: string;
  body: string;
  bytes: number;
}

interface ChunkOutcome {
  sent: number;
  /** The batch entry Ids (indexes in the events sent) that failed. */
  failed: string[];
  reasons: string[];
}

/**
 * Sends events to an SQS queue with SendMessageBatch. The SDK retries whole requests (throttling,
 * 5xx, dropped connections); the sender sends again the entries SQS fails in an answer, with backoff.
 */
export class SqsEventSender implements EventSender {
  readonly maxBatchSize = SQS_MAX_BATCH_SIZE;
  readonly maxInFlight: number;
  readonly minInFlight: number;
  private readonly client: SqsBatchClient;
  private readonly clientThrottles: (() => number) | undefined;
  /** Entries SQS failed as throttled in an answer (the SDK sees only whole requests). */
  private throttledEntries = 0;
  private readonly queueUrl: string;
  private readonly clock: Clock;
  private readonly signal: AbortSignal | undefined;
  private readonly random: () => number;
  private readonly retry: RetryPolicy;
  private readonly errorContext: Pick<ErrorContext, 'settings' | 'selector'>;

  constructor(options: SqsEventSenderOptions) {
    this.client = options.client;
    this.queueUrl = options.queueUrl;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? SQS_MAX_IN_FLIGHT);
    this.minInFlight = Math.min(this.maxInFlight, Math.max(1, options.minInFlight ?? SQS_MIN_IN_FLIGHT));
    this.clientThrottles = options.throttles;
    this.clock = options.clock ?? systemClock;
    this.signal = options.signal;
    this.random = options.random ?? Math.random;
    this.retry = { ...ENTRY_RETRY, ...options.retry };
    this.errorContext = options.errorContext ?? {};
  }

  /** Requests (and entries) SQS has throttled so far. */
  throttles(): number {
    return (this.clientThrottles?.() ?? 0) + this.throttledEntries;
  }

  async send(events: OutgoingEvent[]): Promise<SendOutcome> {
    if (events.length > this.maxBatchSize) {
      throw new RangeError(
        `SqsEventSender.send takes at most ${this.maxBatchSize} events, got ${events.length}`,
      );
    }
    const reasons: string[] = [];
    const failedIndexes: number[] = [];
    const entries: Pending[] = [];
    events.forEach((event, index) => {
      const body = eventBody(event);
      const bytes = Buffer.byteLength(body, 'utf8');
      if (bytes > MAX_MESSAGE_BYTES) {
        failedIndexes.push(index);
        reasons.push(
          `event larger than the SQS limit of ${MAX_MESSAGE_BYTES} bytes (${bytes} bytes), not sent`,
        );
      } else {
        entries.push({ id: String(index), body, bytes });
      }
    });

    // Each request stays within the 1 MiB batch total; the requests of one send go out together.
    const results = await Promise.allSettled(splitBySize(entries).map((chunk) => this.sendChunk(chunk)));
    let sent = 0;
    let fatal: unknown;
    for (const result of results) {
      if (result.status === 'rejected') {
        fatal ??= result.reason;
        continue;
      }
      sent += result.value.sent;
      for (const id of result.value.failed) failedIndexes.push(Number(id));
      reasons.push(...result.value.reasons);
    }
    if (fatal !== undefined) throw fatal;
    const failed = failedIndexes.length;
    if (failed === 0) return { sent, failed };
    const outcome: SendOutcome = { sent, failed, error: summarize(failed, events.length, reasons) };
    return sent > 0 ? { ...outcome, failedIndexes: failedIndexes.sort((a, b) => a - b) } : outcome;
  }

  /** One SendMessageBatch request and the retries of its failed entries; rejects only on fatal errors. */
  private async sendChunk(entries: Pending[]): Promise<ChunkOutcome> {
    const outcome: ChunkOutcome = { sent: 0, failed: [], reasons: [] };
    let lastReason = '';
    const { left, attempts, interrupted } = await retryPartial(
      entries,
      async (pending) => {
        let output: SendMessageBatchCommandOutput;
        try {
          output = await this.client.send(
            new SendMessageBatchCommand({
              QueueUrl: this.queueUrl,
              Entries: pending.map((entry) => ({ Id: entry.id, MessageBody: entry.body })),
            }),
          );
        } catch (error) {
          const reason = this.requestFailure(error);
          for (const entry of pending) outcome.failed.push(entry.id);
          outcome.reasons.push(reason);
          return [];
        }
        const accepted = new Set((output.Successful ?? []).map((entry) => entry.Id));
        const errors = new Map((output.Failed ?? []).map((entry) => [entry.Id, entry]));
        const again: Pending[] = [];
        for (const entry of pending) {
          if (accepted.has(entry.id)) {
            outcome.sent++;
            continue;
          }
          const error = errors.get(entry.id);
          if (error && isThrottledEntry(error)) this.throttledEntries++;
          if (error && !isRetryableEntry(error)) {
            outcome.failed.push(entry.id);
            outcome.reasons.push(describeEntry(error));
            continue;
          }
          lastReason = error ? describeEntry(error) : 'SQS returned no result for the message';
          again.push(entry);
        }
        return again;
      },
      this.retry,
      { clock: this.clock, signal: this.signal, random: this.random },
    );
    if (left.length > 0) {
      for (const entry of left) outcome.failed.push(entry.id);
      outcome.reasons.push(
        `${lastReason} (${interrupted ? 'interrupted before it was sent again' : `gave up after ${attempts} attempts`})`,
      );
    }
    return outcome;
  }

  /**
   * The reason a whole request failed, to count its events as failed; or a throw, for what must stop
   * the stream (credentials, permissions, a missing queue, and bugs). The SDK has already retried
   * what can be retried, so the request is not sent again here.
   */
  private requestFailure(error: unknown): string {
    const reason = `SendMessageBatch failed: ${describeFailure(error)}`;
    if (isRetryable(error)) return reason;
    const userError = toUserError(error, { ...this.errorContext, queueUrl: this.queueUrl });
    if (userError) throw userError;
    // Any other refusal of the request (a bad parameter, a batch too long): retrying cannot help.
    if (isRefused(error)) return `${reason}: ${oneLine(messageOf(error), 200)}`;
    // Not an AWS or network error: a bug or a misconfigured client; stop rather than fail every batch.
    throw error instanceof Error ? error : new Error(String(error));
  }
}

/** Splits entries, in order, into requests of at most SQS_MAX_BATCH_BYTES in all. */
function splitBySize(entries: Pending[]): Pending[][] {
  const chunks: Pending[][] = [];
  let current: Pending[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (current.length > 0 && bytes + entry.bytes > SQS_MAX_BATCH_BYTES) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += entry.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function describeEntry(entry: BatchResultErrorEntry): string {
  const code = entry.Code ?? 'UnknownError';
  // AWS messages never contain the message body, but keep them short and on one line anyway.
  return entry.Message ? `${code}: ${oneLine(entry.Message, 200)}` : code;
}

/** "3 of 10 events not sent: InternalError: ...; ..." with each distinct reason once. */
function summarize(failed: number, total: number, reasons: string[]): string {
  const distinct = [...new Set(reasons)];
  const shown = distinct.slice(0, 3).join('; ');
  const more = distinct.length > 3 ? `; and ${distinct.length - 3} more` : '';
  return `${failed} of ${total} events not sent: ${shown}${more}`;
}

function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : '';
}
