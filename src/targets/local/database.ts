import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { isSensorpipeError, StackStateError } from '../../core/errors.js';
import { checkStackName } from '../../core/stack-name.js';
import { type StackRef, selectorFlags, suggest } from '../stack-ref.js';
import {
  createAtomically,
  ensureDataDir,
  environmentError,
  removeStaleTempFiles,
  restrictMode,
  stackFileExists,
} from './stack-file.js';

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

/** The tables each schema version has: a file at the path without them is not a sensorpipe stack. */
const TABLES: Record<number, readonly string[]> = {
  1: [
    'meta',
    'queue',
    'queue_leases',
    'queue_cursor',
    'dead_letters',
    'events',
    'county_seconds',
    'aggregates',
  ],
  2: ['queue_batches'],
  3: ['failed_aggregations'],
  4: ['function_logs'],
};

export function databasePath(dataDir: string, stackName: string): string {
  checkStackName(stackName);
  return join(resolve(dataDir), `${stackName}.sqlite`);
}

export type Db = Database.Database;

/** A stack, for what its errors suggest: its name, or its name and the flags that selected it. */
export type StackOf = string | Pick<StackRef, 'stackName' | 'selector'>;

function nameOf(stack: StackOf): string {
  return typeof stack === 'string' ? stack : stack.stackName;
}

function selectorOf(stack: StackOf): Pick<StackRef, 'selector'> {
  return typeof stack === 'string' ? { selector: selectorFlags('local', stack, {}) } : stack;
}

export interface OpenOptions {
  /**
   * For the commands that only read (status, show, dead-letters): nothing is written, not even a
   * migration; an older schema is reported instead, with the deploy that upgrades it.
   */
  readOnly?: boolean;
}

/**
 * Opens an existing stack database (the caller has checked that it exists), after checking, without
 * writing, that it is a sensorpipe stack: an empty or half-made file, a foreign SQLite database, a
 * corrupted one and a newer one are each reported as such. Migrates an older schema unless read-only.
 */
export function openExisting(path: string, stack: StackOf, options: OpenOptions = {}): Db {
  // The target says "not deployed" (one wording, with the flags that selected the stack) before this.
  if (!stackFileExists(path)) throw new Error(`openExisting: ${path} does not exist`);
  const db = connect(path, stack);
  try {
    const version = inspect(db, path, stack);
    if (version === 0) throw incompleteError(path, stack);
    if (version < SCHEMA_VERSION && options.readOnly) {
      throw new StackStateError(
        `Stack "${nameOf(stack)}" (${path}) was deployed by an older sensorpipe (schema ${version}), and this command only reads it.`,
        'OLD_SCHEMA',
        { suggestions: [`Run: ${suggest(selectorOf(stack), 'deploy')} to upgrade it`] },
      );
    }
    tune(db, path, stack, options);
    if (version < SCHEMA_VERSION) migrate(db, path);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Opens an existing file for a deploy, which may complete it: an empty or half-made stack (version 0,
 * no tables) is given its schema in the deploy's own transaction (runSchemaMigrations). Anything that
 * is not a sensorpipe stack is refused, as openExisting does. Takes away modes that let others read it.
 */
export function openForDeploy(path: string, stack: StackOf): Db {
  // A deploy killed after its file got the stack's name leaves its temporary name behind too.
  removeStaleTempFiles(path);
  const db = connect(path, stack);
  try {
    inspect(db, path, stack);
    restrictMode(path);
    tune(db, path, stack);
    return db;
  } catch (error) {
    db.close();
    throw environmentError(error, path) ?? error;
  }
}

/**
 * Creates a new stack database whole (see createAtomically): the schema and what `write` adds (the
 * parameters) go into a temporary file, in one transaction, which then becomes the stack. False
 * when a stack appeared at the path meanwhile; nothing is left behind then.
 */
export function createStackFile(path: string, stack: StackOf, write: (db: Db) => void): boolean {
  ensureDataDir(dirname(path));
  removeStaleTempFiles(path);
  return createAtomically(path, (temp) => {
    const db = connect(temp, stack);
    try {
      tune(db, temp, stack);
      db.transaction(() => {
        runSchemaMigrations(db, 0);
        write(db);
      }).immediate();
      // The stack is the one file: its WAL goes into it before it gets its name.
      const [checkpoint] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (checkpoint?.busy) throw new Error(`createStackFile: the checkpoint of ${temp} was blocked`);
    } finally {
      db.close();
    }
  });
}

/**
 * Creates the database (and its directory) or migrates an older one to the current schema: a stack
 * with its tables and no parameters, for the tests of the storage modules.
 */
export function openOrCreate(
  path: string,
  stack: StackOf,
): { db: Db; created: boolean; migratedFrom?: number } {
  const created = !stackFileExists(path) && createStackFile(path, stack, () => {});
  const db = connect(path, stack);
  try {
    const version = inspect(db, path, stack);
    if (version === 0) throw incompleteError(path, stack);
    tune(db, path, stack);
    if (version < SCHEMA_VERSION) migrate(db, path);
    return { db, created, migratedFrom: version < SCHEMA_VERSION ? version : undefined };
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * A connection holding the stack's write lock (waiting for it up to the busy timeout), for destroy;
 * undefined when the file cannot be locked (not a database, corrupted): it is deleted all the same.
 * Closing it rolls back, and SQLite leaves the side files of a deleted database alone.
 */
export function holdWriteLock(path: string): Db | undefined {
  let db: Db | undefined;
  try {
    db = new Database(path, { fileMustExist: true, timeout: 30_000 });
    db.exec('BEGIN IMMEDIATE');
    return db;
  } catch {
    db?.close();
    return undefined;
  }
}

/** A connection, with no statement run yet: opening a file writes nothing to it. */
function connect(path: string, stack: StackOf): Db {
  try {
    // A generous busy timeout lets several processes share one stack without "database is locked".
    return new Database(path, { fileMustExist: true, timeout: 30_000 });
  } catch (error) {
    throw describeSqliteError(error, path, stack);
  }
}

/**
 * The connection's settings. The first two only take effect on a new, empty database (the stack is
 * created in WAL mode and keeps it); on an existing stack they change nothing in the file.
 */
function tune(db: Db, path: string, stack: StackOf, options: OpenOptions = {}): void {
  try {
    // Rows hold whole message bodies (~1 KB), and a commit writes a WAL frame per page, so 16 KiB
    // pages take a quarter of the writes.
    db.pragma('page_size = 16384');
    if (!options.readOnly && db.pragma('journal_mode', { simple: true }) !== 'wal')
      db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -4096'); // 4 MiB: enough for the hot right edges of the trees, and RSS stays low
    db.pragma('wal_autocheckpoint = 10000');
    // Savepoints (nested transactions) would otherwise write a statement journal to a temp file.
    db.pragma('temp_store = MEMORY');
  } catch (error) {
    throw describeSqliteError(error, path, stack);
  }
}

/**
 * A SQLite or file-system error met on a stack's file, as a user error: corrupted (exit 3), or the
 * disk (full, read-only, failing; exit 4). Any other error is returned as it is.
 */
export function describeSqliteError(error: unknown, path: string, stack: StackOf): unknown {
  if (isSensorpipeError(error)) return error;
  const code = (error as { code?: string }).code ?? '';
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new StackStateError(
      `${path} is not a valid sensorpipe database (it may be corrupted).`,
      'CORRUPTED',
      {
        cause: error,
        suggestions: [`Move it aside or run: ${suggest(selectorOf(stack), 'destroy', '--yes')}`],
      },
    );
  }
  return environmentError(error, path) ?? error;
}

/**
 * The file's schema version, read without writing: 0 for an empty or half-made stack (no tables at
 * all; a deploy completes it). Throws for what is not a sensorpipe stack (a foreign database, or one
 * that lacks tables its version has), a corrupted file, and a newer schema.
 */
function inspect(db: Db, path: string, stack: StackOf): number {
  let version: number;
  let tables: Set<string>;
  try {
    version = db.pragma('user_version', { simple: true }) as number;
    tables = new Set(
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .pluck()
        .all() as string[],
    );
  } catch (error) {
    throw describeSqliteError(error, path, stack);
  }
  if (version > SCHEMA_VERSION) {
    throw new StackStateError(
      `${path} was written by a newer sensorpipe (schema ${version}; this one knows ${SCHEMA_VERSION}).`,
      'TOO_NEW',
      { suggestions: ['Upgrade sensorpipe: npm install -g sensorpipe@latest'] },
    );
  }
  if (version === 0 && tables.size === 0) return 0;
  const expected = Object.entries(TABLES).flatMap(([v, names]) => (Number(v) <= version ? names : []));
  const lacking = expected.filter((name) => !tables.has(name));
  if (version === 0 || lacking.length > 0) {
    const found = [...tables].slice(0, 5).map((t) => `"${t}"`);
    throw new StackStateError(
      `${path} is not a sensorpipe stack: it is another SQLite database (its tables: ${found.join(', ')}${tables.size > found.length ? ', ...' : ''}).`,
      'NOT_A_STACK',
      {
        suggestions: [
          'Move it aside, or pass another --stack-name or --data-dir: sensorpipe never writes into it',
        ],
      },
    );
  }
  return version;
}

/** An empty or half-made stack file: a deploy that was killed (by an older sensorpipe) left it. */
export function incompleteError(path: string, stack: StackOf): StackStateError {
  return new StackStateError(
    `Stack "${nameOf(stack)}" (${path}) is incomplete: a deploy was interrupted before it finished.`,
    'INCOMPLETE',
    { suggestions: [`Run: ${suggest(selectorOf(stack), 'deploy')} to complete it`] },
  );
}

function migrate(db: Db, path: string): void {
  try {
    db.transaction(() => {
      // Another process may have migrated it since the version was read.
      runSchemaMigrations(db, db.pragma('user_version', { simple: true }) as number);
    }).immediate();
  } catch (error) {
    throw environmentError(error, path) ?? error;
  }
}

/** Brings the schema from `from` to SCHEMA_VERSION, inside the caller's transaction. */
export function runSchemaMigrations(db: Db, from: number): void {
  requireTransaction(db, 'runSchemaMigrations');
  for (let v = from + 1; v <= SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] ?? '');
  if (from < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
}

export function getMeta(db: Db, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

/** Meta key of the time (Unix ms) of the last scheduled aggregation that ran to its end. */
export const SCHEDULE_LAST = 'schedule_last';

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

  constructor(
    private readonly db: Db,
    private readonly options: {
      /**
       * Runs with the write lock held, before the work and again after the commit, and throws when
       * the stack's file is gone (destroyed under this process): nothing is then written into a file
       * nobody can see, and nothing written there is reported as done.
       */
      checkStack?: () => void;
    } = {},
  ) {}

  /**
   * Runs `work` in an IMMEDIATE transaction once the previous one ended; commits, or rolls back on a
   * throw. SQLite's errors of the disk (full, read-only) come out as user errors (describeSqliteError).
   */
  run<T>(work: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(async () => {
      try {
        this.db.exec('BEGIN IMMEDIATE');
        let value: T;
        try {
          this.options.checkStack?.();
          value = await work();
          this.db.exec('COMMIT');
        } catch (error) {
          if (this.db.inTransaction) this.db.exec('ROLLBACK');
          throw error;
        }
        this.options.checkStack?.();
        return value;
      } catch (error) {
        throw describeSqliteError(error, this.db.name, basename(this.db.name).replace(/\.sqlite$/, ''));
      }
    });
    this.tail = result.catch(() => undefined);
    return result;
  }
}
