import { randomBytes } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
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

/** Messages per INSERT statement when sending. */
const SEND_CHUNK = 100;

interface Row {
  id: number;
  body: string;
  sentAt: number;
}

/**
 * A queue with SQS standard-queue semantics on SQLite: a receive hides messages for the visibility
 * timeout and counts the receive; a delete needs the receipt of the latest receive; a message not
 * deleted becomes visible again; one received MaxReceiveCount times and not deleted moves to the
 * dead-letter table on its next receive instead of being delivered again; messages older than the
 * retention period go.
 *
 * Storage is a log: messages never received sit after a cursor and are read in id order. A receive
 * of such messages leases them with one batch row (a range of ids); redelivered messages, and the
 * rest of a batch that was not wholly deleted, get a lease row each. So a body is written once and
 * deleted once, and a batch processed without failures costs a couple of rows, whatever its size.
 * Every step is one IMMEDIATE transaction, so several processes can share the queue.
 */
export class LocalQueue {
  private readonly statements;
  private readonly inserts = new Map<number, Statement>();

  constructor(private readonly db: Db) {
    const s = (sql: string) => db.prepare(sql);
    this.statements = {
      cursor: s('SELECT last_received FROM queue_cursor WHERE id = 1').pluck(),
      moveCursor: s('UPDATE queue_cursor SET last_received = ? WHERE id = 1'),
      fresh: s('SELECT id, body, sent_at AS sentAt FROM queue WHERE id > ? ORDER BY id LIMIT ?'),
      expiredLeases: s(
        'SELECT id, receive_count AS receiveCount FROM queue_leases WHERE visible_at <= ? ORDER BY visible_at LIMIT ?',
      ),
      leasePeek: s(
        'SELECT COUNT(*) AS n, MIN(visible_at) AS oldest FROM (SELECT visible_at FROM queue_leases WHERE visible_at <= ? ORDER BY visible_at LIMIT ?)',
      ),
      body: s('SELECT id, body, sent_at AS sentAt FROM queue WHERE id = ?'),
      newLease: s(
        'INSERT OR REPLACE INTO queue_leases (id, visible_at, receive_count, receipt) VALUES (?, ?, 1, ?)',
      ),
      renewLease: s(
        'UPDATE queue_leases SET visible_at = ?, receive_count = receive_count + 1, receipt = ? WHERE id = ?',
      ),
      bury: s(
        `INSERT OR REPLACE INTO dead_letters (id, body, sent_at, dead_at, receive_count, last_error)
         SELECT q.id, q.body, q.sent_at, ?, l.receive_count, l.last_error FROM queue q JOIN queue_leases l ON l.id = q.id WHERE q.id = ?`,
      ),
      dropLease: s('DELETE FROM queue_leases WHERE id = ?'),
      dropMessage: s('DELETE FROM queue WHERE id = ?'),
      ackLease: s('DELETE FROM queue_leases WHERE id = ? AND receipt = ?'),
      newBatch: s(
        'INSERT INTO queue_batches (receipt, first_id, last_id, count, visible_at) VALUES (?, ?, ?, ?, ?)',
      ),
      batch: s('SELECT first_id AS firstId, last_id AS lastId, count FROM queue_batches WHERE receipt = ?'),
      expiredBatches: s('SELECT receipt FROM queue_batches WHERE visible_at <= ?').pluck(),
      splitBatch: s(
        `INSERT INTO queue_leases (id, visible_at, receive_count, receipt)
         SELECT q.id, b.visible_at, 1, b.receipt FROM queue_batches b JOIN queue q ON q.id BETWEEN b.first_id AND b.last_id
         WHERE b.receipt = ?`,
      ),
      dropBatch: s('DELETE FROM queue_batches WHERE receipt = ?'),
      dropRange: s('DELETE FROM queue WHERE id BETWEEN ? AND ?'),
      noteError: s('UPDATE queue_leases SET last_error = ? WHERE id = ? AND receipt = ?'),
    };
  }

  /** Enqueues bodies in one transaction; returns the message ids. Once this returns, they are accepted. */
  send(bodies: readonly string[], now: number): string[] {
    return this.db
      .transaction(() => {
        const ids: string[] = [];
        for (let at = 0; at < bodies.length; at += SEND_CHUNK) {
          const chunk = bodies.slice(at, at + SEND_CHUNK);
          const values: unknown[] = [];
          for (const body of chunk) values.push(body, now);
          const last = Number(this.insertRows(chunk.length).run(...values).lastInsertRowid);
          // The AUTOINCREMENT ids of one statement's rows are consecutive, in order.
          for (let i = chunk.length - 1; i >= 0; i--) ids.push(String(last - i));
        }
        return ids;
      })
      .immediate();
  }

  /** An INSERT of n messages: one statement (and one sqlite_sequence update) for many rows. */
  private insertRows(n: number): Statement {
    let statement = this.inserts.get(n);
    if (!statement) {
      statement = this.db.prepare(
        `INSERT INTO queue (body, sent_at) VALUES ${Array(n).fill('(?, ?)').join(', ')}`,
      );
      this.inserts.set(n, statement);
    }
    return statement;
  }

  receive(options: ReceiveOptions): ReceivedMessage[] {
    const st = this.statements;
    const { now, maxMessages: max } = options;
    return this.db
      .transaction(() => {
        this.acknowledgeAll(options.acknowledge ?? []);
        // Batches whose visibility ran out come back as single leases, redelivered like any other.
        for (const expired of st.expiredBatches.all(now) as string[]) this.splitBatch(expired);
        const cursor = st.cursor.get() as number;
        // Read once: they decide whether a batch is ready, and they are what it delivers after redeliveries.
        const fresh = st.fresh.all(cursor, max) as Row[];
        if (!options.immediate && options.batchingWindowMs > 0 && !this.batchReady(fresh, options)) return [];
        const receipt = randomBytes(8).toString('hex');
        const until = now + options.visibilityTimeoutMs;
        const delivered: ReceivedMessage[] = [];
        // Messages whose visibility ran out come back first (as SQS redeliveries do). Leases that are
        // dead-lettered or dropped free their slots, so look again until the batch is full or none is left.
        for (let dropped = 1; dropped > 0 && delivered.length < max; ) {
          dropped = 0;
          const leases = st.expiredLeases.all(now, max - delivered.length) as {
            id: number;
            receiveCount: number;
          }[];
          for (const lease of leases) {
            if (lease.receiveCount >= options.maxReceiveCount) {
              // SQS moves a message to the dead-letter queue on the receive that would exceed MaxReceiveCount.
              st.bury.run(now, lease.id);
              st.dropLease.run(lease.id);
              st.dropMessage.run(lease.id);
              dropped++;
              continue;
            }
            const row = st.body.get(lease.id) as Row | undefined;
            if (!row) {
              st.dropLease.run(lease.id); // expired by retention meanwhile
              dropped++;
              continue;
            }
            st.renewLease.run(until, receipt, lease.id);
            delivered.push(message(row, lease.receiveCount + 1, receipt));
          }
        }
        if (delivered.length < max) {
          const rows = fresh.slice(0, max - delivered.length);
          for (const row of rows) delivered.push(message(row, 1, receipt));
          const first = rows[0];
          const last = rows.at(-1);
          if (first && last) {
            // Every queue id in first..last is after the cursor, so the range holds exactly these.
            st.newBatch.run(receipt, first.id, last.id, rows.length, until);
            st.moveCursor.run(last.id);
          }
        }
        return delivered;
      })
      .immediate();
  }

  /** A full batch waits, or the oldest visible message has waited for the whole batching window. */
  private batchReady(fresh: readonly Row[], options: ReceiveOptions): boolean {
    const { now, maxMessages: max } = options;
    if (fresh.length >= max) return true;
    const leases = this.statements.leasePeek.get(now, max) as { n: number; oldest: number | null };
    const n = leases.n + fresh.length;
    if (n === 0) return false;
    if (n >= max) return true;
    let oldest = leases.oldest ?? Number.POSITIVE_INFINITY;
    for (const row of fresh) oldest = Math.min(oldest, row.sentAt);
    return now - oldest >= options.batchingWindowMs;
  }

  private acknowledgeAll(messages: readonly Pick<ReceivedMessage, 'messageId' | 'receipt'>[]): number {
    let deleted = 0;
    const byReceipt = new Map<string, Pick<ReceivedMessage, 'messageId' | 'receipt'>[]>();
    for (const m of messages) {
      const group = byReceipt.get(m.receipt);
      if (group) group.push(m);
      else byReceipt.set(m.receipt, [m]);
    }
    for (const [receipt, acknowledged] of byReceipt) {
      const batch = this.statements.batch.get(receipt) as
        | { firstId: number; lastId: number; count: number }
        | undefined;
      if (!batch) continue;
      const ids = new Set(acknowledged.map((m) => Number(m.messageId)));
      const whole =
        ids.size === batch.count && [...ids].every((id) => id >= batch.firstId && id <= batch.lastId);
      if (whole) {
        // The common case: the whole batch processed; messages dropped by retention meanwhile are simply gone.
        deleted += this.statements.dropRange.run(batch.firstId, batch.lastId).changes;
        this.statements.dropBatch.run(receipt);
        byReceipt.delete(receipt);
      } else this.splitBatch(receipt);
    }
    for (const m of [...byReceipt.values()].flat()) {
      // A stale receipt (the message was received again since) deletes nothing, as in SQS.
      if (this.statements.ackLease.run(m.messageId, m.receipt).changes > 0) {
        this.statements.dropMessage.run(m.messageId);
        deleted++;
      }
    }
    return deleted;
  }

  /** Deletes processed messages; returns how many were deleted. */
  delete(messages: readonly Pick<ReceivedMessage, 'messageId' | 'receipt'>[]): number {
    if (messages.length === 0) return 0;
    return this.db.transaction(() => this.acknowledgeAll(messages)).immediate();
  }

  /** Records why messages failed; they stay hidden until their visibility timeout, then come back. */
  recordFailures(failures: readonly { message: ReceivedMessage; error: string }[]): void {
    if (failures.length === 0) return;
    this.db
      .transaction(() => {
        for (const receipt of new Set(failures.map((f) => f.message.receipt))) this.splitBatch(receipt);
        for (const { message: m, error } of failures)
          this.statements.noteError.run(error.slice(0, 500), m.messageId, m.receipt);
      })
      .immediate();
  }

  /** Turns a batch lease into one lease per message still in the queue, same receipt and visibility. */
  private splitBatch(receipt: string): void {
    this.statements.splitBatch.run(receipt);
    this.statements.dropBatch.run(receipt);
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
      .transaction(() => {
        const n = this.db.prepare(oldest('queue')).run(max, cutoff).changes;
        if (n > 0) {
          this.db.prepare('DELETE FROM queue_leases WHERE id NOT IN (SELECT id FROM queue)').run();
          this.db
            .prepare(
              'DELETE FROM queue_batches AS b WHERE NOT EXISTS (SELECT 1 FROM queue q WHERE q.id BETWEEN b.first_id AND b.last_id)',
            )
            .run();
        }
        return n + this.db.prepare(oldest('dead_letters')).run(max, cutoff).changes;
      })
      .immediate();
  }

  depths(now: number): QueueDepths {
    return this.db.transaction(() => {
      const one = (sql: string, ...args: number[]) =>
        this.db
          .prepare(sql)
          .pluck()
          .get(...args) as number;
      const cursor = this.statements.cursor.get() as number;
      const batched = (condition: string) =>
        one(
          `SELECT COUNT(*) FROM queue_batches b JOIN queue q ON q.id BETWEEN b.first_id AND b.last_id WHERE b.visible_at ${condition} ?`,
          now,
        );
      const visible =
        one('SELECT COUNT(*) FROM queue WHERE id > ?', cursor) +
        one('SELECT COUNT(*) FROM queue_leases WHERE visible_at <= ?', now) +
        batched('<=');
      const inFlight = one('SELECT COUNT(*) FROM queue_leases WHERE visible_at > ?', now) + batched('>');
      const dead = this.db
        .prepare('SELECT COUNT(*) AS n, MIN(sent_at) AS oldest FROM dead_letters')
        .get() as {
        n: number;
        oldest: number | null;
      };
      return { visible, inFlight, deadLetters: dead.n, oldestDeadLetterSentAt: dead.oldest ?? undefined };
    })();
  }

  /**
   * Moves up to `limit` dead letters, oldest first, back to the queue as new messages (receive count
   * back to 0), as SQS's dead-letter queue redrive does; returns how many moved. One transaction.
   */
  redrive(now: number, limit = Number.MAX_SAFE_INTEGER): number {
    return this.db
      .transaction(() => {
        const rows = this.db
          .prepare('SELECT id, body FROM dead_letters ORDER BY id LIMIT ?')
          .all(Math.min(limit, Number.MAX_SAFE_INTEGER)) as { id: number; body: string }[];
        const insert = this.db.prepare('INSERT INTO queue (body, sent_at) VALUES (?, ?)');
        const remove = this.db.prepare('DELETE FROM dead_letters WHERE id = ?');
        for (const row of rows) {
          insert.run(row.body, now);
          remove.run(row.id);
        }
        return rows.length;
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

function message(row: Row, receiveCount: number, receipt: string): ReceivedMessage {
  return { messageId: String(row.id), body: row.body, receiveCount, receipt, sentAt: row.sentAt };
}
