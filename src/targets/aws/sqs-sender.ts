import {
  type BatchResultErrorEntry,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { EnvironmentError, StackStateError } from '../../core/errors.js';
import { eventBody, MAX_MESSAGE_BYTES, type OutgoingEvent } from '../../core/event.js';
import type { EventSender, SendOutcome } from '../../core/streamer.js';

/** The part of SQSClient the sender uses; an SQSClient fits, and so does a test wrapper around one. */
export interface SqsBatchClient {
  send(command: SendMessageBatchCommand): Promise<SendMessageBatchCommandOutput>;
}

export interface SqsEventSenderOptions {
  client: SqsBatchClient;
  queueUrl: string;
  /** Batches in flight at once; 16 x 10 events holds a few hundred events a second at ~50 ms a request. */
  maxInFlight?: number;
  /** Waits between attempts; injected so tests control time. */
  sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1); injected so tests control the jitter. */
  random?: () => number;
  /** Attempts per batch, the first included. */
  maxAttempts?: number;
  /** Backoff bound of the first retry; doubles each retry up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

/** SendMessageBatch takes at most 10 entries and 1 MiB in all. */
export const SQS_MAX_BATCH_SIZE = 10;
export const SQS_MAX_BATCH_BYTES = MAX_MESSAGE_BYTES;

const CREDENTIAL_CODES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidSecurity',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);
const MISSING_QUEUE_CODES = new Set([
  'AWS.SimpleQueueService.NonExistentQueue',
  'NonExistentQueue',
  'QueueDoesNotExist',
]);
const TRANSIENT_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'KMS.ThrottlingException',
]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

interface Pending {
  /** Batch entry Id: the event's index in the events passed to send ("0".."9"). */
  id: string;
  body: string;
  bytes: number;
}

type Classified =
  | { kind: 'fatal'; error: Error }
  | { kind: 'transient'; reason: string }
  | { kind: 'failed'; reason: string };

/** Sends events to an SQS queue with SendMessageBatch, retrying throttling, transient errors and failed entries. */
export class SqsEventSender implements EventSender {
  readonly maxBatchSize = SQS_MAX_BATCH_SIZE;
  readonly maxInFlight: number;
  private readonly client: SqsBatchClient;
  private readonly queueUrl: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly maxAttempts: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(options: SqsEventSenderOptions) {
    this.client = options.client;
    this.queueUrl = options.queueUrl;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 16);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 6);
    this.baseBackoffMs = options.baseBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
  }

  async send(events: OutgoingEvent[]): Promise<SendOutcome> {
    if (events.length > this.maxBatchSize) {
      throw new RangeError(
        `SqsEventSender.send takes at most ${this.maxBatchSize} events, got ${events.length}`,
      );
    }
    const reasons: string[] = [];
    let failed = 0;
    const entries: Pending[] = [];
    events.forEach((event, index) => {
      const body = eventBody(event);
      const bytes = Buffer.byteLength(body, 'utf8');
      if (bytes > MAX_MESSAGE_BYTES) {
        failed++;
        reasons.push(
          `event larger than the SQS limit of ${MAX_MESSAGE_BYTES} bytes (${bytes} bytes), not sent`,
        );
      } else {
        entries.push({ id: String(index), body, bytes });
      }
    });

    // Each request stays within the 1 MiB batch total; the requests of one send go out together.
    const results = await Promise.allSettled(
      splitBySize(entries).map((chunk) => this.sendWithRetries(chunk)),
    );
    let sent = 0;
    let fatal: unknown;
    for (const result of results) {
      if (result.status === 'rejected') {
        fatal ??= result.reason;
        continue;
      }
      sent += result.value.sent;
      failed += result.value.failed;
      reasons.push(...result.value.reasons);
    }
    if (fatal !== undefined) throw fatal;
    const outcome: SendOutcome = { sent, failed };
    if (failed > 0) outcome.error = summarize(failed, events.length, reasons);
    return outcome;
  }

  /** One SendMessageBatch request and its retries; rejects only on fatal errors. */
  private async sendWithRetries(
    entries: Pending[],
  ): Promise<{ sent: number; failed: number; reasons: string[] }> {
    let pending = entries;
    let sent = 0;
    let failed = 0;
    const reasons: string[] = [];
    let lastReason = '';
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > this.maxAttempts) {
        failed += pending.length;
        reasons.push(`${lastReason} (gave up after ${this.maxAttempts} attempts)`);
        break;
      }
      if (attempt > 1) await this.sleep(this.backoff(attempt - 1));
      let output: SendMessageBatchCommandOutput;
      try {
        output = await this.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: pending.map(
              (entry): SendMessageBatchRequestEntry => ({ Id: entry.id, MessageBody: entry.body }),
            ),
          }),
        );
      } catch (error) {
        const classified = this.classify(error);
        if (classified.kind === 'fatal') throw classified.error;
        if (classified.kind === 'failed') {
          failed += pending.length;
          reasons.push(classified.reason);
          break;
        }
        lastReason = classified.reason;
        continue;
      }
      const accepted = new Set((output.Successful ?? []).map((entry) => entry.Id));
      const errors = new Map((output.Failed ?? []).map((entry) => [entry.Id, entry]));
      const retry: Pending[] = [];
      for (const entry of pending) {
        if (accepted.has(entry.id)) {
          sent++;
          continue;
        }
        const error = errors.get(entry.id);
        if (error && !isRetryableEntry(error)) {
          failed++;
          reasons.push(describeEntry(error));
          continue;
        }
        lastReason = error ? describeEntry(error) : 'SQS returned no result for the message';
        retry.push(entry);
      }
      pending = retry;
    }
    return { sent, failed, reasons };
  }

  /** Full jitter: uniform in [0, min(max, base * 2^(retry-1))]. */
  private backoff(retry: number): number {
    const bound = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** (retry - 1));
    return Math.floor(this.random() * bound);
  }

  private classify(error: unknown): Classified {
    const code = errorCode(error);
    const queryCode = queryErrorCode(error);
    if (CREDENTIAL_CODES.has(code) || CREDENTIAL_CODES.has(queryCode)) {
      return {
        kind: 'fatal',
        error: new EnvironmentError(
          `AWS refused the request (${code}): refresh your credentials (aws sso login, or new keys) and try again.`,
          'AWS_CREDENTIALS',
        ),
      };
    }
    if (code === 'CredentialsProviderError') {
      return {
        kind: 'fatal',
        error: new EnvironmentError(
          'No AWS credentials found: run aws sso login, set AWS_PROFILE, or export access keys, and try again.',
          'AWS_CREDENTIALS',
        ),
      };
    }
    if (MISSING_QUEUE_CODES.has(code) || MISSING_QUEUE_CODES.has(queryCode)) {
      return {
        kind: 'fatal',
        error: new StackStateError(
          `The queue ${this.queueUrl} does not exist: deploy the stack (sensorpipe deploy) or pass the right --queue-url.`,
          'QUEUE_MISSING',
        ),
      };
    }
    const status = httpStatus(error);
    const reason = `SendMessageBatch failed: ${code}${status ? ` (HTTP ${status})` : ''}`;
    if (
      TRANSIENT_CODES.has(code) ||
      NETWORK_CODES.has(code) ||
      NETWORK_CODES.has(systemCode(error)) ||
      status === 429 ||
      (status !== undefined && status >= 500) ||
      faultOf(error) === 'server'
    ) {
      return { kind: 'transient', reason };
    }
    if (status !== undefined || faultOf(error) === 'client') {
      // Any other refusal of the request (a bad parameter, a batch too long): retrying cannot help.
      return { kind: 'failed', reason: `${reason}: ${oneLine(messageOf(error))}` };
    }
    // Not an AWS or network error: a bug or a misconfigured client; stop rather than fail every batch.
    return { kind: 'fatal', error: error instanceof Error ? error : new Error(String(error)) };
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

/** Server-side failures (SenderFault false) are worth retrying; sender faults such as invalid contents are not. */
function isRetryableEntry(entry: BatchResultErrorEntry): boolean {
  if (entry.SenderFault === true) return TRANSIENT_CODES.has(entry.Code ?? '');
  return !['InvalidMessageContents', 'InvalidParameterValue', 'MissingParameter'].includes(entry.Code ?? '');
}

function describeEntry(entry: BatchResultErrorEntry): string {
  const code = entry.Code ?? 'UnknownError';
  return entry.Message ? `${code}: ${oneLine(entry.Message)}` : code;
}

/** "3 of 10 events not sent: InternalError: ...; ..." with each distinct reason once. */
function summarize(failed: number, total: number, reasons: string[]): string {
  const distinct = [...new Set(reasons)];
  const shown = distinct.slice(0, 3).join('; ');
  const more = distinct.length > 3 ? `; and ${distinct.length - 3} more` : '';
  return `${failed} of ${total} events not sent: ${shown}${more}`;
}

/** AWS messages never contain the message body, but keep them short and on one line anyway. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 197)}...` : flat;
}

function field(error: unknown, key: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[key] : undefined;
}

function errorCode(error: unknown): string {
  for (const key of ['name', 'Code', 'code']) {
    const value = field(error, key);
    if (typeof value === 'string' && value !== '' && value !== 'Error') return value;
  }
  return systemCode(error) || 'UnknownError';
}

/** The query-protocol code (AWS.SimpleQueueService.NonExistentQueue) the SDK keeps next to the JSON one. */
function queryErrorCode(error: unknown): string {
  const value = field(error, 'Code');
  return typeof value === 'string' ? value : '';
}

/** A Node system error code, on the error or its cause (the SDK wraps socket errors). */
function systemCode(error: unknown): string {
  for (let current = error, depth = 0; current !== undefined && depth < 5; depth++) {
    const code = field(current, 'code');
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    current = field(current, 'cause');
  }
  return '';
}

function httpStatus(error: unknown): number | undefined {
  const status = field(field(error, '$metadata'), 'httpStatusCode');
  return typeof status === 'number' ? status : undefined;
}

function faultOf(error: unknown): string | undefined {
  const fault = field(error, '$fault');
  return typeof fault === 'string' ? fault : undefined;
}

function messageOf(error: unknown): string {
  const message = field(error, 'message');
  return typeof message === 'string' ? message : '';
}
