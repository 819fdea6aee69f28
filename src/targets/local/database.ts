import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StackStateError, UsageError } from '../../core/errors.js';
import { checkStackName } from '../../core/stack-name.js';

/** Bump when the schema changes, and add the step to MIGRATIONS. */
export const SCHEMA_VERSION = 4;

const MIGRATIONS: Record<number, string> = {
  1: `
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    -- The queue is a log read through a cursor: a message is written once and deleted once; only
    -- received messages get a small lease row (visibility, receive count, receipt).
    CREATE TABLE queue (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      body TEXT NOT NULL,
      sent_at INTEGER NOT NULL
    );
    CREATE TABLE queue_leases (
      id INTEGER PRIMARY KEY,
      visible_at INTEGER NOT NULL,
      receive_count INTEGER NOT NULL,
      receipt TEXT NOT NULL,
      last_error TEXT
    );
    CREATE INDEX queue_leases_visible ON queue_leases (visible_at);
    CREATE TABLE queue_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), last_received INTEGER NOT NULL);
    INSERT INTO queue_cursor (id, last_received) VALUES (1, 0);
    CREATE TABLE dead_letters (
      id INTEGER PRIMARY KEY,
      body TEXT NOT NULL,
      sent_at INTEGER NOT NULL,
      dead_at INTEGER NOT NULL,
      receive_count INTEGER NOT NULL,
      last_error TEXT
    );
    CREATE TABLE events (
      id TEXT NOT NULL UNIQUE,
      time INTEGER NOT NULL,
      county TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      data TEXT NOT NULL
    );
    -- Time-ordered keys only: a batch of inserts touches a few pages at the right edge of each tree.
    CREATE INDEX events_time ON events (time, county);
    -- Per-second, per-county counts kept with the inserts, so a window is counted from at most
    -- W * 60 buckets per county plus the events of its two edge seconds.
    CREATE TABLE county_seconds (
      second INTEGER NOT NULL,
      county TEXT NOT NULL,
      n INTEGER NOT NULL,
      PRIMARY KEY (second, county)
    ) WITHOUT ROWID;
    CREATE TABLE aggregates (name TEXT PRIMARY KEY, updated_at INTEGER NOT NULL, snapshot TEXT NOT NULL) WITHOUT ROWID;
  `,
  2: `
    -- A receive of never-received messages leases them with one row: the queue ids first..last
    -- (count of them, all delivered once). A partial acknowledgement, a failure or the lease's
    -- expiry turns it into queue_leases rows, so the common case costs one row per batch.
    CREATE TABLE queue_batches (
      receipt TEXT PRIMARY KEY,
      first_id INTEGER NOT NULL,
      last_id INTEGER NOT NULL,
      count INTEGER NOT NULL,
      visible_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX queue_batches_visible ON queue_batches (visible_at);
  `,
  3: `
    -- Scheduled aggregations that failed, when and why: what the AWS stack's failure queue keeps.
    CREATE TABLE failed_aggregations (at INTEGER NOT NULL, error TEXT NOT NULL);
    CREATE INDEX failed_aggregations_at ON failed_aggregations (at);
  `,
  4: `
    -- What the functions logged (sensorpipe logs), as CloudWatch Logs keeps it on AWS: appended in
    -- the transaction of the invocation that logged it, read and pruned in id order (ids follow time).
    CREATE TABLE function_logs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at INTEGER NOT NULL,
      function TEXT NOT NULL,
      level TEXT,
      message TEXT NOT NULL
    );
  `,
};

export { checkStackName };

export function databasePath(dataDir: string, stackName: string): string {
  checkStackName(stackName);
  return join(resolve(dataDir), `${stackName}.sqlite`);
}

export type Db = Database.Database;

/** Opens an existing stack database (the caller has checked that it exists). */
export function openExisting(path: string, stackName: string): Db {
  // The target says "not deployed" (one wording, with the flags that selected the stack) before this.
  if (!existsSync(path)) throw new Error(`openExisting: ${path} does not exist`);
  const db = connect(path, stackName, { fileMustExist: true });
  const version = schemaVersion(db, path);
  if (version < SCHEMA_VERSION) migrate(db, version);
  return db;
}

/** Creates the database (and its directory) or migrates an older one to the current schema. */
export function openOrCreate(
  path: string,
  stackName: string,
): { db: Db; created: boolean; migratedFrom?: number } {
  const dir = join(path, '..');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new UsageError(
      `Cannot create the data directory ${dir}: ${(error as Error).message}. Pass --data-dir with a writable directory.`,
      { cause: error },
    );
  }
  const existed = existsSync(path);
  const db = connect(path, stackName, {});
  if (!existed) chmodSync(path, 0o600);
  const version = schemaVersion(db, path);
  if (version < SCHEMA_VERSION) migrate(db, version);
  return {
    db,
    created: version === 0,
    migratedFrom: version > 0 && version < SCHEMA_VERSION ? version : undefined,
  };
}

function connect(path: string, stackName: string, options: Database.Options): Db {
  let db: Db | undefined;
  try {
    // A generous busy timeout lets several processes share one stack without "database is locked".
    db = new Database(path, { ...options, timeout: 30_000 });
    // For a new file only: rows hold whole message bodies (~1 KB), and a commit writes a WAL frame
    // per page, so 16 KiB pages take a quarter of the writes.
    db.pragma('page_size = 16384');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -4096'); // 4 MiB: enough for the hot right edges of the trees, and RSS stays low
    db.pragma('wal_autocheckpoint = 10000');
    // Savepoints (nested transactions) would otherwise write a statement journal to a temp file.
    db.pragma('temp_store = MEMORY');
    return db;
  } catch (error) {
    db?.close();
    throw describeOpenError(error, path, stackName);
  }
}

function describeOpenError(error: unknown, path: string, stackName: string): Error {
  const code = (error as { code?: string }).code ?? '';
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new StackStateError(
      `${path} is not a valid sensorpipe database (it may be corrupted).`,
      'CORRUPTED',
      {
        cause: error,
        suggestions: [
          `Move it aside or run: sensorpipe destroy --target local --stack-name ${stackName} --yes`,
        ],
      },
    );
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM') {
    return new UsageError(
      `Cannot open ${path} for writing (${code}). Check its permissions or pass --data-dir with a writable directory.`,
      { cause: error },
    );
  }
  return error as Error;
}

function schemaVersion(db: Db, path: string): number {
  let version: number;
  try {
    version = db.pragma('user_version', { simple: true }) as number;
  } catch (error) {
    db.close();
    throw describeOpenError(error, path, 'sensorpipe');
  }
  if (version > SCHEMA_VERSION) {
    db.close();
    throw new StackStateError(
      `${path} was written by a newer sensorpipe (schema ${version}; this one knows ${SCHEMA_VERSION}).`,
      'TOO_NEW',
      { suggestions: ['Upgrade sensorpipe: npm install -g sensorpipe@latest'] },
    );
  }
  return version;
}

function migrate(db: Db, from: number): void {
  db.transaction(() => {
    // Another process may have migrated it since the version was read.
    const current = Math.max(from, db.pragma('user_version', { simple: true }) as number);
    for (let v = current + 1; v <= SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] ?? '');
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

export function getMeta(db: Db, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function setMeta(db: Db, key: string, value: string): void {
  db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  ).run(key, value);
}

/**
 * For storage methods that run inside their caller's transaction: outside one, each statement
 * would commit on its own, and a receive, a store or a delete would no longer be all or nothing.
 */
export function requireTransaction(db: Db, method: string): void {
  if (!db.inTransaction) throw new Error(`${method} runs inside the caller's transaction; none is open`);
}

/**
 * This process's write transactions on one connection, one at a time. A connection has one
 * transaction, and a storing invocation awaits inside it: without this queue, a second writer on the
 * connection would join that transaction (and be rolled back or committed with it) instead of
 * waiting. Other processes wait on SQLite's lock (IMMEDIATE, with the connection's busy timeout).
 */
export class WriteTransactions {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly db: Db) {}

  /** Runs `work` in an IMMEDIATE transaction once the previous one ended; commits, or rolls back on a throw. */
  run<T>(work: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const value = await work();
        this.db.exec('COMMIT');
        return value;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    });
    this.tail = result.catch(() => undefined);
    return result;
  }
}
