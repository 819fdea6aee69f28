import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { formatError } from '../../../src/cli/errors.js';
import { EnvironmentError, ExitCode, StackStateError, UsageError } from '../../../src/core/errors.js';
import {
  checkStackName,
  createStackFile,
  type Db,
  databasePath,
  getMeta,
  openExisting,
  openForDeploy,
  openOrCreate,
  SCHEMA_VERSION,
  setMeta,
  WriteTransactions,
} from '../../../src/targets/local/database.js';
import { LocalTarget } from '../../../src/targets/local/local-target.js';
import { LocalQueue } from '../../../src/targets/local/queue.js';
import { makeTempDir, removeTempDir } from '../../../testkit/local.js';
import { rejection } from '../../../testkit/rejection.js';

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  expect.fail('expected an error');
}

function userVersion(file: string): number {
  const raw = new Database(file, { readonly: true });
  try {
    return raw.pragma('user_version', { simple: true }) as number;
  } finally {
    raw.close();
  }
}

describe('local database', () => {
  let dir: string;
  const open: Db[] = [];

  beforeEach(() => {
    dir = makeTempDir();
  });

  afterEach(() => {
    for (const db of open.splice(0)) if (db.open) db.close();
    removeTempDir(dir);
  });

  function track(db: Db): Db {
    open.push(db);
    return db;
  }

  describe('openOrCreate', () => {
    it('creates the database file readable by its owner only, at the current schema version', () => {
      const file = databasePath(dir, 'stack');
      expect(fs.existsSync(file)).to.equal(false);
      const result = openOrCreate(file, 'stack');
      track(result.db);
      expect(result.created).to.equal(true);
      expect(result.migratedFrom).to.equal(undefined);
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      expect(result.db.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION);
      expect(result.db.pragma('journal_mode', { simple: true })).to.equal('wal');
      expect(result.db.pragma('page_size', { simple: true })).to.equal(16384);
    });

    it('creates missing parent directories of the data dir', () => {
      const file = databasePath(path.join(dir, 'a', 'b'), 'stack');
      track(openOrCreate(file, 'stack').db);
      expect(fs.existsSync(file)).to.equal(true);
    });

    it('reopens an existing database without recreating it or touching its data', () => {
      const file = databasePath(dir, 'stack');
      const first = openOrCreate(file, 'stack');
      setMeta(first.db, 'marker', 'kept');
      first.db.close();

      const second = openOrCreate(file, 'stack');
      track(second.db);
      expect(second.created).to.equal(false);
      expect(second.migratedFrom).to.equal(undefined);
      expect(getMeta(second.db, 'marker')).to.equal('kept');
      expect(second.db.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION);
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    });

    it('migrates a schema 1 database to the current schema, keeping its queue and its messages in flight', () => {
      // GIVEN a stack written by the first release: one message in flight (a lease row), one waiting
      const file = databasePath(dir, 'stack');
      const v1 = openOrCreate(file, 'stack').db;
      v1.exec('DROP TABLE queue_batches; DROP TABLE failed_aggregations; DROP TABLE function_logs');
      v1.pragma('user_version = 1');
      v1.exec(`INSERT INTO queue (body, sent_at) VALUES ('in flight', 1), ('waiting', 2);
        INSERT INTO queue_leases (id, visible_at, receive_count, receipt) VALUES (1, 1000, 1, 'r1');
        UPDATE queue_cursor SET last_received = 1;`);
      v1.close();

      // WHEN this version opens it
      const db = track(openExisting(file, 'stack'));

      // THEN it is at the current schema and the queue goes on from where it was
      expect(db.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION);
      const queue = new LocalQueue(db);
      expect(queue.depths(0)).to.include({ visible: 1, inFlight: 1 });
      const received = db
        .transaction(() =>
          queue.receive({
            now: 1000,
            maxMessages: 10,
            visibilityTimeoutMs: 1000,
            maxReceiveCount: 5,
            batchingWindowMs: 0,
          }),
        )
        .immediate();
      expect(received.map((m) => [m.body, m.receiveCount])).to.deep.equal([
        ['in flight', 2],
        ['waiting', 1],
      ]);
      expect(db.transaction(() => queue.delete(received)).immediate()).to.equal(2);
      expect(queue.depths(1000)).to.include({ visible: 0, inFlight: 0 });
    });

    it('migrates a schema 2 database to the current schema: it gains the table of failed aggregations, keeps its data', () => {
      const file = databasePath(dir, 'stack');
      const v2 = openOrCreate(file, 'stack').db;
      v2.exec(`DROP TABLE failed_aggregations; DROP TABLE function_logs;
        INSERT INTO queue (body, sent_at) VALUES ('waiting', 2);
        INSERT INTO aggregates (name, updated_at, snapshot) VALUES ('latest', 5, '{"total":1}')`);
      v2.pragma('user_version = 2');
      v2.close();

      const db = track(openExisting(file, 'stack'));
      expect(db.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION);
      expect(db.prepare('SELECT COUNT(*) FROM failed_aggregations').pluck().get()).to.equal(0);
      expect(new LocalQueue(db).depths(0)).to.include({ visible: 1 });
      expect(db.prepare('SELECT snapshot FROM aggregates').pluck().get()).to.equal('{"total":1}');
    });

    it("migrates a schema 3 database to the current schema: it gains the functions' log, keeps its data", () => {
      const file = databasePath(dir, 'stack');
      const v3 = openOrCreate(file, 'stack').db;
      v3.exec(`DROP TABLE function_logs;
        INSERT INTO failed_aggregations (at, error) VALUES (1, 'boom');
        INSERT INTO queue (body, sent_at) VALUES ('waiting', 2)`);
      v3.pragma('user_version = 3');
      v3.close();

      const db = track(openExisting(file, 'stack'));
      expect(db.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION);
      expect(SCHEMA_VERSION).to.equal(4);
      expect(db.prepare('SELECT COUNT(*) FROM function_logs').pluck().get()).to.equal(0);
      expect(db.prepare('SELECT error FROM failed_aggregations').pluck().get()).to.equal('boom');
      expect(new LocalQueue(db).depths(0)).to.include({ visible: 1 });
    });

    it('rejects a data dir that cannot be created with a UsageError naming --data-dir', () => {
      const blocker = path.join(dir, 'not-a-dir');
      fs.writeFileSync(blocker, 'x');
      const file = databasePath(path.join(blocker, 'data'), 'stack');
      const error = catchError(() => openOrCreate(file, 'stack'));
      expect(error).to.be.instanceOf(UsageError);
      expect((error as UsageError).exitCode).to.equal(ExitCode.usage);
      expect((error as UsageError).message).to.contain('--data-dir');
    });

    it('refuses a corrupted file without overwriting it', () => {
      const file = databasePath(dir, 'stack');
      const garbage = Buffer.alloc(8192, 0x5a);
      fs.writeFileSync(file, garbage);
      const error = catchError(() => openOrCreate(file, 'stack'));
      expect(error).to.be.instanceOf(StackStateError);
      expect((error as StackStateError).code).to.equal('CORRUPTED');
      expect(fs.readFileSync(file).equals(garbage)).to.equal(true);
    });

    it('refuses a database from a newer sensorpipe without downgrading it', () => {
      const file = databasePath(dir, 'stack');
      openOrCreate(file, 'stack').db.close();
      const raw = new Database(file);
      raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      raw.close();
      const error = catchError(() => openOrCreate(file, 'stack'));
      expect(error).to.be.instanceOf(StackStateError);
      expect((error as StackStateError).code).to.equal('TOO_NEW');
      expect(userVersion(file)).to.equal(SCHEMA_VERSION + 1);
    });
  });

  describe('openExisting', () => {
    it('opens a deployed database', () => {
      const file = databasePath(dir, 'stack');
      const created = openOrCreate(file, 'stack').db;
      setMeta(created, 'marker', 'here');
      created.close();
      const db = track(openExisting(file, 'stack'));
      expect(getMeta(db, 'marker')).to.equal('here');
    });

    it('never creates a missing database: the target reports it as not deployed', async () => {
      const file = databasePath(dir, 'my-stack');
      expect(() => openExisting(file, 'my-stack')).to.throw();
      expect(fs.existsSync(file)).to.equal(false);
      // What the user reads, through the target: NOT_DEPLOYED, and how to deploy this very stack.
      const target = new LocalTarget({
        dataDir: dir,
        stackName: 'my-stack',
        selector: ['--target', 'local', '--stack-name', 'my-stack', '--data-dir', dir],
      });
      const error = await rejection(target.ensureDeployed());
      expect(error).to.be.instanceOf(StackStateError);
      const stateError = error as StackStateError;
      expect(stateError.code).to.equal('NOT_DEPLOYED');
      expect(stateError.exitCode).to.equal(ExitCode.state);
      const { line } = formatError(error);
      expect(line).to.contain(
        `Run: sensorpipe deploy --target local --stack-name my-stack --data-dir ${dir}`,
      );
      expect(fs.existsSync(file)).to.equal(false);
    });

    it('reports a file of random bytes as CORRUPTED', () => {
      const file = databasePath(dir, 'stack');
      const bytes = randomBytes(4096);
      fs.writeFileSync(file, bytes);
      const error = catchError(() => openExisting(file, 'stack'));
      expect(error).to.be.instanceOf(StackStateError);
      expect((error as StackStateError).code).to.equal('CORRUPTED');
      expect((error as StackStateError).exitCode).to.equal(ExitCode.state);
      expect(formatError(error).line).to.contain('destroy --target local --stack-name stack');
    });

    it('reports a database with a higher user_version as TOO_NEW and suggests an upgrade', () => {
      const file = databasePath(dir, 'stack');
      openOrCreate(file, 'stack').db.close();
      const raw = new Database(file);
      raw.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
      raw.close();
      const error = catchError(() => openExisting(file, 'stack'));
      expect(error).to.be.instanceOf(StackStateError);
      const stateError = error as StackStateError;
      expect(stateError.code).to.equal('TOO_NEW');
      expect(stateError.message).to.contain(`schema ${SCHEMA_VERSION + 5}`);
      expect(formatError(error).line).to.match(/upgrade sensorpipe/i);
    });
  });

  describe('files that are not a complete stack, found without writing to them', () => {
    const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    const files = () => fs.readdirSync(dir).sort();

    /** What an older deploy killed after journal_mode=WAL and before its schema left: a header, no tables. */
    function halfMade(file: string): void {
      const raw = new Database(file);
      raw.pragma('page_size = 16384');
      raw.pragma('journal_mode = WAL');
      raw.close();
    }

    const refusals: [string, (file: string) => void, string, RegExp][] = [
      [
        'an empty file',
        (f) => fs.writeFileSync(f, ''),
        'INCOMPLETE',
        /is incomplete: a deploy was interrupted/,
      ],
      ['a half-made file (a header, no tables)', halfMade, 'INCOMPLETE', /is incomplete/],
      [
        'a foreign SQLite database',
        (f) => {
          const raw = new Database(f);
          raw.exec('CREATE TABLE meta (a); CREATE TABLE users (name)');
          raw.close();
        },
        'NOT_A_STACK',
        /is not a sensorpipe stack: it is another SQLite database \(its tables: "meta", "users"\)/,
      ],
      [
        'a database with our version number and not our tables',
        (f) => {
          const raw = new Database(f);
          raw.exec('CREATE TABLE meta (key, value)');
          raw.pragma('user_version = 2');
          raw.close();
        },
        'NOT_A_STACK',
        /is not a sensorpipe stack/,
      ],
    ];
    for (const [what, make, code, message] of refusals) {
      it(`${what}: ${code}, exit 3, and the file left byte for byte as it was`, () => {
        const file = databasePath(dir, 'stack');
        make(file);
        const before = { hash: sha(file), files: files() };
        for (const open of [
          () => openExisting(file, 'stack', { readOnly: true }),
          () => openExisting(file, 'stack'),
        ]) {
          const error = catchError(open);
          expect(error).to.be.instanceOf(StackStateError);
          expect(error).to.include({ code, exitCode: ExitCode.state });
          expect((error as Error).message).to.match(message);
        }
        expect({ hash: sha(file), files: files() }).to.deep.equal(before);
      });
    }

    it('a deploy refuses a foreign database too, and never writes into it', () => {
      const file = databasePath(dir, 'stack');
      refusals[2]![1](file);
      const before = sha(file);
      expect(catchError(() => openForDeploy(file, 'stack'))).to.include({ code: 'NOT_A_STACK' });
      expect(sha(file)).to.equal(before);
    });

    it('reading an older schema does not migrate it: OLD_SCHEMA, with the deploy that upgrades it', () => {
      const file = databasePath(dir, 'stack');
      const v1 = openOrCreate(file, 'stack').db;
      v1.exec('DROP TABLE queue_batches');
      v1.pragma('user_version = 1');
      v1.close();
      const error = catchError(() =>
        openExisting(
          file,
          { stackName: 'stack', selector: ['--target', 'local', '--data-dir', dir] },
          {
            readOnly: true,
          },
        ),
      );
      expect(error).to.include({ code: 'OLD_SCHEMA', exitCode: ExitCode.state });
      expect(formatError(error).line).to.include(`Run: sensorpipe deploy --target local --data-dir ${dir}`);
      expect(userVersion(file)).to.equal(1);
    });
  });

  describe('createStackFile', () => {
    it('makes the stack whole in one file (its WAL folded in), mode 0600, with nothing else left', () => {
      const file = databasePath(path.join(dir, 'data'), 'stack');
      const created = createStackFile(file, 'stack', (db) => setMeta(db, 'parameters', '{"BatchSize":7}'));
      expect(created).to.equal(true);
      expect(fs.readdirSync(path.dirname(file))).to.deep.equal(['stack.sqlite']);
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      const db = track(openExisting(file, 'stack', { readOnly: true }));
      expect(getMeta(db, 'parameters')).to.equal('{"BatchSize":7}');
      expect(db.pragma('journal_mode', { simple: true })).to.equal('wal');
    });

    it('leaves a stack another deploy made meanwhile alone, and says so', () => {
      const file = databasePath(dir, 'stack');
      const made = createStackFile(file, 'stack', () => {
        createStackFile(file, 'stack', (db) => setMeta(db, 'winner', 'other'));
      });
      expect(made).to.equal(false);
      expect(fs.readdirSync(dir)).to.deep.equal(['stack.sqlite']);
      const db = track(openExisting(file, 'stack', { readOnly: true }));
      expect(getMeta(db, 'winner')).to.equal('other');
    });
  });

  describe('WriteTransactions', () => {
    it('checks the stack under the write lock, before the work and after the commit', async () => {
      const file = databasePath(dir, 'stack');
      const db = track(openOrCreate(file, 'stack').db);
      const seen: string[] = [];
      const transactions = new WriteTransactions(db, {
        checkStack: () => seen.push(db.inTransaction ? 'in the transaction' : 'after the commit'),
      });
      await transactions.run(() => {
        seen.push('work');
        setMeta(db, 'k', 'v');
      });
      expect(seen).to.deep.equal(['in the transaction', 'work', 'after the commit']);
    });

    it('rolls back what the work wrote when the check finds the stack gone, and throws its error', async () => {
      const file = databasePath(dir, 'stack');
      const db = track(openOrCreate(file, 'stack').db);
      const gone = new StackStateError('gone', 'STACK_DESTROYED');
      let calls = 0;
      const transactions = new WriteTransactions(db, {
        checkStack: () => {
          if (++calls > 1) throw gone;
        },
      });
      const error = await rejection(transactions.run(() => setMeta(db, 'k', 'v')));
      expect(error).to.equal(gone);
      // After the commit: the work is in, and reported as failed; the next one never starts its work.
      expect(getMeta(db, 'k')).to.equal('v');
      await rejection(transactions.run(() => setMeta(db, 'k', 'second')));
      expect(getMeta(db, 'k')).to.equal('v');
      expect(db.inTransaction).to.equal(false);
    });

    it('turns a full disk (a real SQLITE_FULL) into DISK_FULL, exit 4, rolled back', async () => {
      const file = databasePath(dir, 'stack');
      const db = track(openOrCreate(file, 'stack').db);
      db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
      const error = await rejection(
        new WriteTransactions(db).run(() => {
          setMeta(db, 'small', 'fits');
          setMeta(db, 'blob', 'x'.repeat(1_000_000));
        }),
      );
      expect(error).to.be.instanceOf(EnvironmentError);
      expect(error).to.include({ code: 'DISK_FULL', exitCode: ExitCode.environment });
      expect(error.message).to.include('(SQLITE_FULL): free some space');
      expect(getMeta(db, 'small')).to.equal(undefined);
    });
  });

  describe('stack names', () => {
    for (const bad of ['1abc', 'a_b', '', 'a'.repeat(129), 'a b', 'a/b', '../etc', '-abc', 'ä', 'abc\n']) {
      it(`rejects ${JSON.stringify(bad.length > 20 ? `${bad.slice(0, 5)}... (${bad.length} chars)` : bad)}`, () => {
        expect(() => checkStackName(bad)).to.throw(UsageError, /Invalid stack name/);
        expect(() => databasePath(dir, bad)).to.throw(UsageError);
      });
    }

    for (const good of ['a', 'A', 'my-stack-1', `a${'b'.repeat(127)}`]) {
      it(`accepts a ${good.length}-character name like ${good.slice(0, 12)}`, () => {
        expect(() => checkStackName(good)).not.to.throw();
        expect(databasePath(dir, good)).to.equal(path.join(path.resolve(dir), `${good}.sqlite`));
      });
    }
  });
});
