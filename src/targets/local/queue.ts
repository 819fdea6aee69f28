import { randomBytes } from 'node:crypto';
import { type Db, requireTransaction } from './database.js';
import {
  type DeadLetter,
  type QueueDepths,
  QueueStore,
  type Receipted,
  type StoredMessage,
} from './queue-store.js';

export type { DeadLetter, QueueDepths, Receipted };

export interface ReceivedMessage extends Receipted {
  body: string;
  receiveCount: number;
  sentAt: number;
}

export interface ReceiveOptions {
  now: number;
  maxMessages: number;
  visibilityTimeoutMs: number;
  maxReceiveCount: number;
  /** Wait for a full batch until the oldest visible message is this old (Lambda's batching window). */
  batchingWindowMs: number;
  /** Take what is there now, full batch or not (used when draining). */
  immediate?: boolean;
  /** Processed messages to delete first, in the same transaction. */
  acknowledge?: readonly Receipted[];
}

/** The longest error kept with a failed message, for the dead-letter view. */
const MAX_ERROR_CHARS = 500;

/**
 * A queue with SQS standard-queue semantics on SQLite: a receive hides messages for the visibility
 * timeout and counts the receive; a delete needs the receipt of the latest receive; a message not
 * deleted becomes visible again; one received MaxReceiveCount times and not deleted moves to the
 * dead-letter table on its next receive instead of being delivered again; messages older than the
 * retention period go. The rows behind it are QueueStore's.
 *
 * Every method that writes runs inside the caller's transaction (LocalRuntime.withTransaction) and
 * throws when none is open: a receive is exclusive only if it is one transaction, and the storing
 * runtime deletes what it stored in the transaction that stored it. Several processes share the
 * queue through SQLite's write lock.
 */
export class LocalQueue {
  private readonly store: QueueStore;

  constructor(private readonly db: Db) {
    this.store = new QueueStore(db);
  }

  /** Enqueues bodies; returns their message ids. Accepted once the caller's transaction commits. */
  send(bodies: readonly string[], now: number): string[] {
    requireTransaction(this.db, 'LocalQueue.send');
    return this.store.append(bodies, now);
  }

  receive(options: ReceiveOptions): ReceivedMessage[] {
    requireTransaction(this.db, 'LocalQueue.receive');
    const { now, maxMessages: max } = options;
    this.store.acknowledge(options.acknowledge ?? []);
    this.store.splitExpiredBatches(now);
    // Read once: they decide whether a batch is ready, and they are what it delivers after redeliveries.
    const fresh = this.store.unreceived(max);
    if (!options.immediate && options.batchingWindowMs > 0 && !this.batchReady(fresh, options)) return [];
    const receipt = randomBytes(8).toString('hex');
    const visibleAt = now + options.visibilityTimeoutMs;
    // Messages whose visibility ran out come back first, as SQS redeliveries do.
    const delivered = this.redeliver(options, receipt, visibleAt);
    const first = fresh.slice(0, max - delivered.length);
    this.store.leaseUnreceived(first, receipt, visibleAt);
    for (const row of first) delivered.push(message(row, 1, receipt));
    return delivered;
  }

  /**
   * Redelivers messages whose visibility ran out, each with one more receive. One received
   * MaxReceiveCount times goes to the dead letters instead (SQS moves it on the receive that would
   * exceed the count). Those, and leases whose message expired meanwhile, free their slots: look
   * again until the batch is full or none is left.
   */
  private redeliver(options: ReceiveOptions, receipt: string, visibleAt: number): ReceivedMessage[] {
    const { now, maxMessages: max } = options;
    const delivered: ReceivedMessage[] = [];
    for (let dropped = 1; dropped > 0 && delivered.length < max; ) {
      dropped = 0;
      for (const lease of this.store.expiredLeases(now, max - delivered.length)) {
        if (lease.receiveCount >= options.maxReceiveCount) {
          this.store.deadLetter(lease.id, now);
          dropped++;
          continue;
        }
        const row = this.store.message(lease.id);
        if (!row) {
          this.store.dropLease(lease.id); // expired by retention meanwhile
          dropped++;
          continue;
        }
        this.store.renewLease(lease.id, receipt, visibleAt);
        delivered.push(message(row, lease.receiveCount + 1, receipt));
      }
    }
    return delivered;
  }

  /** A full batch waits, or the oldest visible message has waited for the whole batching window. */
  private batchReady(fresh: readonly StoredMessage[], options: ReceiveOptions): boolean {
    const { now, maxMessages: max } = options;
    if (fresh.length >= max) return true;
    const leases = this.store.expiredLeaseSummary(now, max);
    const n = leases.count + fresh.length;
    if (n === 0) return false;
    if (n >= max) return true;
    let oldest = leases.oldestVisibleAt ?? Number.POSITIVE_INFINITY;
    for (const row of fresh) oldest = Math.min(oldest, row.sentAt);
    return now - oldest >= options.batchingWindowMs;
  }

  /** Deletes processed messages; returns how many were deleted. */
  delete(messages: readonly Receipted[]): number {
    if (messages.length === 0) return 0;
    requireTransaction(this.db, 'LocalQueue.delete');
    return this.store.acknowledge(messages);
  }

  /** Records why messages failed; they stay hidden until their visibility timeout, then come back. */
  recordFailures(failures: readonly { message: Receipted; error: string }[]): void {
    if (failures.length === 0) return;
    requireTransaction(this.db, 'LocalQueue.recordFailures');
    this.store.noteErrors(
      failures.map((f) => ({ message: f.message, error: f.error.slice(0, MAX_ERROR_CHARS) })),
    );
  }

  /** Deletes messages (and dead letters) older than the retention period, as SQS does; at most `max` of each. */
  expire(now: number, retentionMs: number, max = 10_000): number {
    requireTransaction(this.db, 'LocalQueue.expire');
    return this.store.deleteSentBefore(now - retentionMs, max);
  }

  depths(now: number): QueueDepths {
    return this.store.depths(now);
  }

  /** Of the messages sent with these ids (ranges, first to last), how many wait in the queue or its dead letters. */
  countIn(ranges: readonly (readonly [number, number])[]): { queued: number; deadLetters: number } {
    return this.store.countIn(ranges);
  }

  /**
   * Moves up to `limit` dead letters, oldest first, back to the queue as new messages (receive count
   * back to 0), as SQS's dead-letter queue redrive does; returns how many moved.
   */
  redrive(now: number, limit = Number.MAX_SAFE_INTEGER): number {
    requireTransaction(this.db, 'LocalQueue.redrive');
    return this.store.moveDeadLettersBack(now, limit);
  }

  deadLetters(limit: number): DeadLetter[] {
    return this.store.deadLetters(limit);
  }
}

function message(row: StoredMessage, receiveCount: number, receipt: string): ReceivedMessage {
  return { messageId: String(row.id), body: row.body, receiveCount, receipt, sentAt: row.sentAt };
}
