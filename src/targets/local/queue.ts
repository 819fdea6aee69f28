import { randomBytes } from 'node:crypto';
import type { Db } from './database.js';

export interface ReceivedMessage {
  messageId: string;
  body: string;
  receiveCount: number;
  receipt: string;
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
  /** Processed messages to delete in the same transaction (saves a commit per batch). */
  acknowledge?: readonly Pick<ReceivedMessage, 'messageId' | 'receipt'>[];
}

export interface QueueDepths {
  visible: number;
  inFlight: number;
  deadLetters: number;
  oldestDeadLetterSentAt?: number;
}

export interface DeadLetter {
  messageId: string;
  body: string;
  sentAt: number;
  deadAt: number;
  receiveCount: number;
  lastError?: string;
}

/**
 * A queue with SQS standard-queue semantics on SQLite: a receive hides messages for the visibility
 * timeout and counts the receive; a delete needs the receipt of the latest receive; a message not
 * deleted becomes visible again; one received MaxReceiveCount times and not deleted moves to the
 * dead-letter table on its next receive instead of being delivered again; messages older than the retention period go.
 * Every step is one IMMEDIATE transaction, so several processes can share the queue.
 */
export class LocalQueue {
  private readonly insert;
  private readonly peek;
  private readonly take;
  private readonly moveDead;
  private readonly remove;
  private readonly removeAcked;
  private readonly noteError;

  constructor(private readonly db: Db) {
    this.insert = db.prepare('INSERT INTO queue (body, sent_at, visible_at) VALUES (?, ?, ?)');
    this.peek = db.prepare(
      'SELECT COUNT(*) AS n, MIN(visible_at) AS oldest FROM (SELECT visible_at FROM queue WHERE visible_at <= ? ORDER BY visible_at LIMIT ?)',
    );
    this.take = db.prepare(
      `UPDATE queue SET visible_at = @until, receive_count = receive_count + 1, receipt = @receipt
       WHERE id IN (SELECT id FROM queue WHERE visible_at <= @now ORDER BY visible_at LIMIT @limit)
       RETURNING id, body, receive_count AS receiveCount, sent_at AS sentAt`,
    );
    this.moveDead = db.prepare(
      `INSERT OR REPLACE INTO dead_letters (id, body, sent_at, dead_at, receive_count, last_error)
       SELECT id, body, sent_at, ?, receive_count, last_error FROM queue WHERE id = ?`,
    );
    this.remove = db.prepare('DELETE FROM queue WHERE id = ?');
    this.removeAcked = db.prepare('DELETE FROM queue WHERE id = ? AND receipt = ?');
    this.noteError = db.prepare('UPDATE queue SET last_error = ? WHERE id = ? AND receipt = ?');
  }

  /** Enqueues bodies in one transaction; returns the message ids. Once this returns, they are accepted. */
  send(bodies: readonly string[], now: number): string[] {
    return this.db
      .transaction(() => bodies.map((body) => String(this.insert.run(body, now, now).lastInsertRowid)))
      .immediate();
  }

  receive(options: ReceiveOptions): ReceivedMessage[] {
    const { now } = options;
    return this.db
      .transaction(() => {
        for (const m of options.acknowledge ?? []) this.removeAcked.run(m.messageId, m.receipt);
        if (!options.immediate && options.batchingWindowMs > 0) {
          const { n, oldest } = this.peek.get(now, options.maxMessages) as {
            n: number;
            oldest: number | null;
          };
          if (n === 0) return [];
          if (n < options.maxMessages && oldest !== null && now - oldest < options.batchingWindowMs)
            return [];
        }
        const receipt = randomBytes(8).toString('hex');
        const params = { now, until: now + options.visibilityTimeoutMs, receipt, limit: options.maxMessages };
        for (;;) {
          const rows = this.take.all(params) as {
            id: number;
            body: string;
            receiveCount: number;
            sentAt: number;
          }[];
          if (rows.length === 0) return [];
          // SQS moves a message to the dead-letter queue on the receive that would exceed MaxReceiveCount.
          const delivered = rows.filter((row) => {
            if (row.receiveCount <= options.maxReceiveCount) return true;
            this.moveDead.run(now, row.id);
            this.remove.run(row.id);
            return false;
          });
          if (delivered.length > 0) {
            return delivered.map((row) => ({
              messageId: String(row.id),
              body: row.body,
              receiveCount: row.receiveCount,
              sentAt: row.sentAt,
              receipt,
            }));
          }
        }
      })
      .immediate();
  }

  /** Deletes processed messages; a stale receipt (the message was received again since) deletes nothing. */
  delete(messages: readonly Pick<ReceivedMessage, 'messageId' | 'receipt'>[]): number {
    if (messages.length === 0) return 0;
    return this.db
      .transaction(() =>
        messages.reduce((n, m) => n + this.removeAcked.run(m.messageId, m.receipt).changes, 0),
      )
      .immediate();
  }

  /** Records why messages failed; they stay hidden until their visibility timeout, then come back. */
  recordFailures(failures: readonly { message: ReceivedMessage; error: string }[]): void {
    if (failures.length === 0) return;
    this.db
      .transaction(() => {
        for (const { message, error } of failures)
          this.noteError.run(error.slice(0, 500), message.messageId, message.receipt);
      })
      .immediate();
  }

  /**
   * Deletes messages (and dead letters) older than the retention period, as SQS does. Ids grow with
   * send time, so the oldest sit at the start of the table: look at most `max` rows from there.
   */
  expire(now: number, retentionMs: number, max = 10_000): number {
    const cutoff = now - retentionMs;
    const oldest = (table: string) =>
      `DELETE FROM ${table} WHERE id IN (SELECT id FROM (SELECT id, sent_at FROM ${table} ORDER BY id LIMIT ?) WHERE sent_at < ?)`;
    return this.db
      .transaction(
        () =>
          this.db.prepare(oldest('queue')).run(max, cutoff).changes +
          this.db.prepare(oldest('dead_letters')).run(max, cutoff).changes,
      )
      .immediate();
  }

  depths(now: number): QueueDepths {
    return this.db
      .transaction(() => {
        const visible = (
          this.db.prepare('SELECT COUNT(*) AS n FROM queue WHERE visible_at <= ?').get(now) as { n: number }
        ).n;
        const inFlight = (
          this.db.prepare('SELECT COUNT(*) AS n FROM queue WHERE visible_at > ?').get(now) as { n: number }
        ).n;
        const dead = this.db
          .prepare('SELECT COUNT(*) AS n, MIN(sent_at) AS oldest FROM dead_letters')
          .get() as {
          n: number;
          oldest: number | null;
        };
        return { visible, inFlight, deadLetters: dead.n, oldestDeadLetterSentAt: dead.oldest ?? undefined };
      })
      .immediate();
  }

  deadLetters(limit: number): DeadLetter[] {
    const rows = this.db
      .prepare(
        'SELECT id, body, sent_at AS sentAt, dead_at AS deadAt, receive_count AS receiveCount, last_error AS lastError FROM dead_letters ORDER BY id LIMIT ?',
      )
      .all(limit) as (Omit<DeadLetter, 'messageId' | 'lastError'> & {
      id: number;
      lastError: string | null;
    })[];
    return rows.map(({ id, lastError, ...rest }) => ({
      messageId: String(id),
      ...rest,
      lastError: lastError ?? undefined,
    }));
  }
}
