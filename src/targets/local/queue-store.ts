import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';

/** A message as stored: its queue id, body and send time. */
export interface StoredMessage {
  id: number;
  body: string;
  sentAt: number;
}

export interface ExpiredLease {
  id: number;
  receiveCount: number;
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

/** A message as a consumer acknowledges it: its id and the receipt of the receive it came from. */
export interface Receipted {
  messageId: string;
  receipt: string;
}

/** Messages per INSERT statement when sending. */
const SEND_CHUNK = 100;

/**
 * The queue's tables and statements (see database.ts for the schema). Storage is a log: messages
 * never received sit after a cursor and are read in id order. A receive of such messages leases
 * them with one batch row (a range of ids); redelivered messages, and the rest of a batch that was
 * not wholly deleted, get a lease row each. So a body is written once and deleted once, and a batch
 * processed without failures costs a couple of rows, whatever its size.
 *
 * Every method runs inside the caller's transaction (LocalQueue checks that one is open); what the
 * rows mean for delivery (visibility, receive counts, dead letters, batching) is LocalQueue's.
 */
export class QueueStore {
  private readonly statements;
  private readonly inserts = new Map<number, Statement>();

  constructor(private readonly db: Db) {
    const s = (sql: string) => db.prepare(sql);
    this.statements = {
      cursor: s('SELECT last_received FROM queue_cursor WHERE id = 1').pluck(),
      moveCursor: s('UPDATE queue_cursor SET last_received = ? WHERE id = 1'),
      unreceived: s('SELECT id, body, sent_at AS sentAt FROM queue WHERE id > ? ORDER BY id LIMIT ?'),
      expiredLeases: s(
        'SELECT id, receive_count AS receiveCount FROM queue_leases WHERE visible_at <= ? ORDER BY visible_at LIMIT ?',
      ),
      leasePeek: s(
        'SELECT COUNT(*) AS n, MIN(visible_at) AS oldest FROM (SELECT visible_at FROM queue_leases WHERE visible_at <= ? ORDER BY visible_at LIMIT ?)',
      ),
      message: s('SELECT id, body, sent_at AS sentAt FROM queue WHERE id = ?'),
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

  /** Appends bodies sent at `sentAt`; returns their message ids, in order. */
  append(bodies: readonly string[], sentAt: number): string[] {
    const ids: string[] = [];
    for (let at = 0; at < bodies.length; at += SEND_CHUNK) {
      const chunk = bodies.slice(at, at + SEND_CHUNK);
      const values: unknown[] = [];
      for (const body of chunk) values.push(body, sentAt);
      const last = Number(this.insertRows(chunk.length).run(...values).lastInsertRowid);
      // The AUTOINCREMENT ids of one statement's rows are consecutive, in order.
      for (let i = chunk.length - 1; i >= 0; i--) ids.push(String(last - i));
    }
    return ids;
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

  /** Up to `max` messages never received yet, oldest first. */
  unreceived(max: number): StoredMessage[] {
    return this.statements.unreceived.all(this.statements.cursor.get() as number, max) as StoredMessage[];
  }

  /**
   * Leases messages from `unreceived` (a prefix of them, in order) as one batch row, and moves the
   * cursor past them: every queue id in first..last is after the cursor, so the range holds exactly these.
   */
  leaseUnreceived(messages: readonly StoredMessage[], receipt: string, visibleAt: number): void {
    const first = messages[0];
    const last = messages.at(-1);
    if (!first || !last) return;
    this.statements.newBatch.run(receipt, first.id, last.id, messages.length, visibleAt);
    this.statements.moveCursor.run(last.id);
  }

  /** Batch leases whose visibility ran out become single leases, to be redelivered like any other. */
  splitExpiredBatches(now: number): void {
    for (const receipt of this.statements.expiredBatches.all(now) as string[]) this.splitBatch(receipt);
  }

  /** Up to `max` single leases whose visibility ran out, the longest visible first. */
  expiredLeases(now: number, max: number): ExpiredLease[] {
    return this.statements.expiredLeases.all(now, max) as ExpiredLease[];
  }

  /** How many of the first `max` expired single leases there are, and since when the oldest is visible. */
  expiredLeaseSummary(now: number, max: number): { count: number; oldestVisibleAt: number | undefined } {
    const row = this.statements.leasePeek.get(now, max) as { n: number; oldest: number | null };
    return { count: row.n, oldestVisibleAt: row.oldest ?? undefined };
  }

  message(id: number): StoredMessage | undefined {
    return this.statements.message.get(id) as StoredMessage | undefined;
  }

  /** Leases a single message again: a new receipt and visibility, one more receive. */
  renewLease(id: number, receipt: string, visibleAt: number): void {
    this.statements.renewLease.run(visibleAt, receipt, id);
  }

  /** Moves a leased message to the dead letters, with its receive count and last error. */
  deadLetter(id: number, deadAt: number): void {
    this.statements.bury.run(deadAt, id);
    this.statements.dropLease.run(id);
    this.statements.dropMessage.run(id);
  }

  dropLease(id: number): void {
    this.statements.dropLease.run(id);
  }

  /**
   * Deletes messages with the receipt of their latest receive; returns how many went. A stale
   * receipt (the message was received again since) deletes nothing, as in SQS.
   */
  acknowledge(messages: readonly Receipted[]): number {
    let deleted = 0;
    const byReceipt = new Map<string, Receipted[]>();
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
      if (this.statements.ackLease.run(m.messageId, m.receipt).changes > 0) {
        this.statements.dropMessage.run(m.messageId);
        deleted++;
      }
    }
    return deleted;
  }

  /** Keeps why each message failed on its lease (only while the receipt is still its latest). */
  noteErrors(failures: readonly { message: Receipted; error: string }[]): void {
    for (const receipt of new Set(failures.map((f) => f.message.receipt))) this.splitBatch(receipt);
    for (const { message: m, error } of failures)
      this.statements.noteError.run(error, m.messageId, m.receipt);
  }

  /** Turns a batch lease into one lease per message still in the queue, same receipt and visibility. */
  private splitBatch(receipt: string): void {
    this.statements.splitBatch.run(receipt);
    this.statements.dropBatch.run(receipt);
  }

  /**
   * Deletes messages and dead letters sent before `cutoff`. Ids grow with send time, so the oldest
   * sit at the start of each table: look at most `max` rows from there.
   */
  deleteSentBefore(cutoff: number, max: number): number {
    const oldest = (table: string) =>
      `DELETE FROM ${table} WHERE id IN (SELECT id FROM (SELECT id, sent_at FROM ${table} ORDER BY id LIMIT ?) WHERE sent_at < ?)`;
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
  }

  /** Counts as of `now`, in one read transaction of their own unless the caller has one open. */
  /**
   * Of the messages with ids in these ranges (first to last, inclusive), how many are still in the
   * queue (visible or in flight) and how many in the dead letters, which keep a message's id.
   */
  countIn(ranges: readonly (readonly [number, number])[]): { queued: number; deadLetters: number } {
    const inQueue = this.db.prepare('SELECT COUNT(*) FROM queue WHERE id BETWEEN ? AND ?').pluck();
    const inDead = this.db.prepare('SELECT COUNT(*) FROM dead_letters WHERE id BETWEEN ? AND ?').pluck();
    return this.db.transaction(() => {
      let queued = 0;
      let deadLetters = 0;
      for (const [first, last] of ranges) {
        queued += inQueue.get(first, last) as number;
        deadLetters += inDead.get(first, last) as number;
      }
      return { queued, deadLetters };
    })();
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

  /** Moves up to `limit` dead letters, oldest first, back into the queue as new messages sent at `now`. */
  moveDeadLettersBack(now: number, limit: number): number {
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
