import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { formatError } from '../../../src/cli/errors.js';
import { StackStateError, UsageError } from '../../../src/core/errors.js';
import { eventBody, type OutgoingEvent } from '../../../src/core/event.js';
import { DEFAULT_PARAMETERS, type StackParameters } from '../../../src/core/parameters.js';
import { openExisting } from '../../../src/targets/local/database.js';
import { LocalTarget } from '../../../src/targets/local/local-target.js';
import { LocalQueue } from '../../../src/targets/local/queue.js';
import { StackGoneError } from '../../../src/targets/stack-ref.js';
import {
  type FakeClock,
  fakeClock,
  makeEvent,
  makeTempDir,
  outgoing,
  removeTempDir,
  T0,
} from '../../../testkit/local.js';
import { rejection } from '../../../testkit/rejection.js';

const STACK = 'pipeline';
const MINUTE = 60_000;
const PARAMETER_NAMES = Object.keys(DEFAULT_PARAMETERS).sort();

describe('local target', () => {
  let dir: string;
  let clock: FakeClock;
  let target: LocalTarget;
  const targets: LocalTarget[] = [];

  function newTarget(): LocalTarget {
    const t = new LocalTarget({ dataDir: dir, stackName: STACK, clock });
    targets.push(t);
    return t;
  }

  beforeEach(() => {
    dir = makeTempDir();
    clock = fakeClock();
    target = newTarget();
  });

  afterEach(async () => {
    for (const t of targets.splice(0)) await t.close();
    removeTempDir(dir);
  });

  function events(n: number, county = 'Albany'): OutgoingEvent[] {
    return Array.from({ length: n }, (_, i) => outgoing(makeEvent(clock.now() - n + i, county)));
  }

  /** Messages left in the queue by a stream that stopped before they were processed. */
  function enqueueRaw(bodies: string[]): void {
    const db = openExisting(target.location, STACK);
    try {
      db.transaction(() => new LocalQueue(db).send(bodies, clock.now())).immediate();
    } finally {
      db.close();
    }
  }

  describe('deploy', () => {
    it('creates the stack with every parameter listed as a change', async () => {
      expect(await target.exists()).to.equal(false);
      const result = await target.deploy({});
      expect(result).to.deep.include({
        stackName: STACK,
        target: 'local',
        action: 'created',
        location: path.join(path.resolve(dir), `${STACK}.sqlite`),
        parameters: { ...DEFAULT_PARAMETERS },
      });
      expect(result.changes.map((c) => c.parameter).sort()).to.deep.equal(PARAMETER_NAMES);
      for (const change of result.changes) {
        expect(change.from).to.equal(null);
        expect(change.to).to.equal(DEFAULT_PARAMETERS[change.parameter as keyof StackParameters]);
      }
      expect(await target.exists()).to.equal(true);
      expect(fs.existsSync(result.location)).to.equal(true);
    });

    it('creates the stack with the given parameters', async () => {
      const result = await target.deploy({ BatchSize: 5, WindowMinutes: 15 });
      expect(result.action).to.equal('created');
      expect(result.parameters).to.include({ BatchSize: 5, WindowMinutes: 15 });
      expect((await target.status()).parameters).to.deep.equal(result.parameters);
    });

    it('reports a redeploy without changes as unchanged, and changes nothing', async () => {
      await target.deploy({});
      const created = await target.status();
      clock.advance(MINUTE);
      const result = await target.deploy({});
      expect(result.action).to.equal('unchanged');
      expect(result.changes).to.deep.equal([]);
      expect(result.parameters).to.deep.equal({ ...DEFAULT_PARAMETERS });
      // Giving the current values is no change either.
      expect((await target.deploy({ BatchSize: DEFAULT_PARAMETERS.BatchSize })).action).to.equal('unchanged');
      const status = await target.status();
      expect(status.updatedAt).to.equal(created.updatedAt);
      expect(status.createdAt).to.equal(new Date(T0).toISOString());
    });

    it('updates exactly the changed parameters and keeps the others and the data', async () => {
      await target.deploy({ WindowMinutes: 10 });
      const session = await target.openStream();
      await session.sender.send(events(3));
      await session.finish();
      clock.advance(MINUTE);

      const result = await target.deploy({ BatchSize: 10, MaximumBatchingWindowInSeconds: 0 });
      expect(result.action).to.equal('updated');
      expect(result.changes).to.have.deep.members([
        { parameter: 'BatchSize', from: 100, to: 10 },
        { parameter: 'MaximumBatchingWindowInSeconds', from: 1, to: 0 },
      ]);
      expect(result.changes).to.have.length(2);
      const expected = {
        ...DEFAULT_PARAMETERS,
        WindowMinutes: 10,
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 0,
      };
      expect(result.parameters).to.deep.equal(expected);

      const status = await target.status();
      expect(status.parameters).to.deep.equal(expected);
      expect(status.updatedAt).to.equal(new Date(T0 + MINUTE).toISOString());
      expect(status.createdAt).to.equal(new Date(T0).toISOString());
      expect(status.eventsStored).to.equal(3);
    });

    const invalid: [string, Partial<StackParameters>][] = [
      ['a batch over 10 without a batching window', { BatchSize: 50, MaximumBatchingWindowInSeconds: 0 }],
      ['a visibility timeout under 6x the storing timeout', { VisibilityTimeoutSeconds: 60 }],
      ['an event TTL shorter than the window', { WindowMinutes: 30, EventTtlMinutes: 20 }],
      ['a batch size of 0', { BatchSize: 0 }],
      ['a fractional batch size', { BatchSize: 2.5 }],
      ['a malformed schedule', { ScheduleExpression: 'rate(1 minutes)' }],
      ['a schedule that never fires (February 31st)', { ScheduleExpression: 'cron(0 0 31 2 ? *)' }],
      ['a schedule of a year gone by', { ScheduleExpression: 'cron(0/1 * * * ? 2020)' }],
      ['a rate whose next run no date can hold', { ScheduleExpression: 'rate(99999999999 days)' }],
      ['a schedule that fired once and never again', { ScheduleExpression: 'cron(0 12 1 1 ? 2024)' }],
    ];

    for (const [what, changes] of invalid) {
      it(`rejects ${what} with a UsageError and keeps the stored parameters`, async () => {
        await target.deploy({ BatchSize: 10, MaximumBatchingWindowInSeconds: 0 });
        const before = await target.status();
        await target.close();
        clock.advance(MINUTE);

        const error = await rejection(target.deploy(changes));
        expect(error).to.be.instanceOf(UsageError);

        const after = await newTarget().status();
        expect(after.parameters).to.deep.equal(before.parameters);
        expect(after.updatedAt).to.equal(before.updatedAt);
        // The stack still works with them.
        expect((await target.deploy({})).action).to.equal('unchanged');
      });
    }

    it('leaves nothing deployed when the first deploy has invalid parameters', async () => {
      const error = await rejection(target.deploy({ BatchSize: 50, MaximumBatchingWindowInSeconds: 0 }));
      expect(error).to.be.instanceOf(UsageError);
      expect(await target.exists()).to.equal(false);
      expect((await target.status()).deployed).to.equal(false);
      const next = await target.deploy({ BatchSize: 50 });
      expect(next.action).to.equal('created');
      expect(next.parameters.BatchSize).to.equal(50);
    });

    it('Ctrl-C before the deploy began: nothing created, and a deployed stack left as it was', async () => {
      const controller = new AbortController();
      controller.abort('SIGINT');
      const first = await rejection(target.deploy({}, { signal: controller.signal }));
      expect(first).to.include({ code: 'INTERRUPTED' });
      expect(first.message).to.equal(
        'Interrupted before the deploy of stack "pipeline" began: nothing was created or changed.',
      );
      expect(fs.existsSync(target.location)).to.equal(false);
      await target.deploy({});
      await rejection(target.deploy({ BatchSize: 10 }, { signal: controller.signal }));
      expect((await target.status()).parameters?.BatchSize).to.equal(DEFAULT_PARAMETERS.BatchSize);
    });

    it('rejects an invalid stack name before touching the disk', () => {
      expect(() => new LocalTarget({ dataDir: dir, stackName: 'bad_name', clock })).to.throw(UsageError);
      expect(fs.readdirSync(dir)).to.deep.equal([]);
    });
  });

  describe('deploy, whole or not at all', () => {
    const mode = (file: string) => fs.statSync(file).mode & 0o777;

    it('gives a new stack mode 0600 from its first byte, whatever the umask', async () => {
      const umask = process.umask(0o002);
      try {
        await target.deploy({});
      } finally {
        process.umask(umask);
      }
      expect(mode(target.location)).to.equal(0o600);
      expect(fs.readdirSync(dir)).to.deep.equal([`${STACK}.sqlite`]);
    });

    it('takes away the modes an older version gave a stack and its side files, on the next deploy', async () => {
      await target.deploy({});
      await target.close();
      fs.chmodSync(target.location, 0o644);
      fs.writeFileSync(`${target.location}-wal`, '');
      fs.chmodSync(`${target.location}-wal`, 0o644);
      expect((await target.deploy({})).action).to.equal('unchanged');
      expect(mode(target.location)).to.equal(0o600);
    });

    it('completes an empty file (an older deploy killed at its start): created, with the parameters asked', async () => {
      fs.writeFileSync(target.location, '', { mode: 0o644 });
      const status = await rejection(target.status());
      expect(status).to.include({ code: 'INCOMPLETE', exitCode: 3 });
      expect(fs.statSync(target.location).size).to.equal(0); // status wrote nothing
      const result = await target.deploy({ WindowMinutes: 7 });
      expect(result.action).to.equal('created');
      expect((await target.status()).parameters?.WindowMinutes).to.equal(7);
      expect(mode(target.location)).to.equal(0o600);
    });

    it('completes a stack whose deploy was killed between its schema and its parameters', async () => {
      await target.deploy({ WindowMinutes: 7 });
      await target.close();
      const db = openExisting(target.location, STACK);
      db.exec("DELETE FROM meta WHERE key IN ('parameters', 'created_at', 'updated_at')");
      db.close();
      // Never shown as deployed with the defaults instead of the parameters asked for.
      expect(await rejection(target.status())).to.include({ code: 'INCOMPLETE' });
      expect(await rejection(target.aggregate())).to.include({ code: 'INCOMPLETE' });
      const result = await target.deploy({ WindowMinutes: 9 });
      expect(result.action).to.equal('created');
      expect((await target.status()).parameters).to.deep.equal({ ...DEFAULT_PARAMETERS, WindowMinutes: 9 });
    });

    it('refuses a foreign SQLite file at the stack path with one line, exit 3, and leaves it alone', async () => {
      const raw = new Database(target.location);
      raw.exec('CREATE TABLE meta (k, v); INSERT INTO meta VALUES (1, 2)');
      raw.close();
      const before = fs.readFileSync(target.location);
      for (const attempt of [() => target.deploy({}), () => target.status(), () => target.aggregate()]) {
        const error = await rejection(attempt());
        expect(error).to.include({ code: 'NOT_A_STACK', exitCode: 3 });
        expect(formatError(error).line).to.not.match(/Unexpected error/);
      }
      expect(fs.readFileSync(target.location).equals(before)).to.equal(true);
    });

    it('refuses a directory at the stack path (exit 4), and destroy never deletes it', async () => {
      fs.mkdirSync(target.location);
      for (const attempt of [() => target.deploy({}), () => target.status(), () => target.destroy()]) {
        expect(await rejection(attempt())).to.include({ code: 'STACK_PATH', exitCode: 4 });
      }
      expect(fs.statSync(target.location).isDirectory()).to.equal(true);
    });
  });

  describe('read-only commands', () => {
    it('status, show, dead-letters, the audit and countStored write nothing to the stack', async () => {
      await target.deploy({});
      const session = await target.openStream();
      await session.sender.send(events(5));
      await session.finish();
      await target.close();
      const hash = () => fs.readFileSync(target.location).toString('base64');
      const before = { bytes: hash(), files: fs.readdirSync(dir).sort() };
      const reader = newTarget();
      await reader.status();
      await reader.latestSnapshot();
      await reader.deadLetters(10);
      await reader.audit();
      await reader.countStored([]);
      await reader.close();
      expect({ bytes: hash(), files: fs.readdirSync(dir).sort() }).to.deep.equal(before);
    });
  });

  describe('a stack destroyed under a live process', () => {
    it("every write transaction finds the file gone: the stream's next send fails with STACK_DESTROYED, exit 3", async () => {
      await target.deploy({ ScheduleEnabled: false });
      const session = await target.openStream();
      await session.sender.send(events(3));
      await newTarget().destroy();
      const error = await rejection(session.sender.send(events(1)));
      expect(error).to.be.instanceOf(StackGoneError);
      expect(error).to.include({ code: 'STACK_DESTROYED', exitCode: 3 });
      expect(error.message).to.equal(
        `Stack "${STACK}" was destroyed (${target.location}) while this command was using it.`,
      );
      await rejection(session.finish());
    });

    it('says replaced when the stack was destroyed and deployed again, and never writes to the new one', async () => {
      await target.deploy({ ScheduleEnabled: false });
      const session = await target.openStream();
      await session.sender.send(events(3));
      const other = newTarget();
      await other.destroy();
      await other.deploy({ WindowMinutes: 9 });
      await other.close();
      const error = await rejection(session.sender.send(events(10)));
      expect(error.message).to.include('was destroyed and deployed again');
      await rejection(session.finish());
      await target.close();
      const fresh = await newTarget().status();
      expect(fresh.parameters?.WindowMinutes).to.equal(9);
      expect(fresh.eventsStored).to.equal(0);
      expect(fresh.queue).to.include({ visible: 0, inFlight: 0 });
    });

    it("a watch ends on its own when the stack is destroyed, with the reason as the signal's", async () => {
      await target.deploy({ ScheduleEnabled: false });
      const watch = target.watchStack();
      try {
        setTimeout(() => void newTarget().destroy(), 100);
        // Nothing else runs on the stack: only the watch's own look at the file can end this.
        await new Promise<void>((resolve) => watch.signal.addEventListener('abort', () => resolve()));
        expect(watch.gone).to.be.instanceOf(StackGoneError);
        expect(watch.signal.reason).to.equal(watch.gone);
      } finally {
        watch.dispose();
      }
    });

    it("a watch follows the caller's signal (Ctrl-C) and then reports nothing gone", async () => {
      await target.deploy({});
      const controller = new AbortController();
      const watch = target.watchStack(controller.signal);
      controller.abort('SIGINT');
      expect(watch.signal.aborted).to.equal(true);
      expect(watch.gone).to.equal(undefined);
      watch.dispose();
    });
  });

  describe('before deploy', () => {
    it('reports status as not deployed', async () => {
      const status = await target.status();
      expect(status).to.deep.equal({
        stackName: STACK,
        target: 'local',
        deployed: false,
        location: target.location,
        createdAt: null,
        updatedAt: null,
        parameters: null,
        queue: null,
        eventsStored: null,
        lastAggregation: null,
        nextScheduledRun: null,
        failedAggregations: null,
        clockErrors: [],
        details: null,
      });
      expect(fs.existsSync(target.location)).to.equal(false);
    });

    it('refuses to stream or aggregate, saying how to deploy', async () => {
      for (const attempt of [target.ensureDeployed(), target.openStream(), target.aggregate()]) {
        const error = await rejection(attempt);
        expect(error).to.be.instanceOf(StackStateError);
        expect((error as StackStateError).code).to.equal('NOT_DEPLOYED');
        expect((error as StackStateError).suggestions.join(' ')).to.contain(
          'sensorpipe deploy --target local',
        );
      }
      expect(fs.existsSync(target.location)).to.equal(false);
    });
  });

  describe('status: failed aggregations', () => {
    it('counts the scheduled runs that failed, as the failure queue does on AWS, not those `aggregate` ran', async () => {
      await target.deploy({});
      expect((await target.status()).failedAggregations).to.equal(0);
      const runtime = target.runtime();
      expect(await runtime.runScheduleIfDue()).to.equal(false); // 12:00:30: the first slot is 12:01:00
      // GIVEN a stack whose snapshot cannot be written (another process set a trap for it)
      const other = openExisting(target.location, STACK);
      other.exec(`CREATE TRIGGER trap BEFORE INSERT ON aggregates BEGIN SELECT RAISE(ABORT, 'trapped'); END`);
      other.close();
      // WHEN the scheduled run fails, and so does a run asked for
      clock.set(T0 + 30_000);
      expect((await rejection(runtime.runScheduleIfDue())).message).to.equal('trapped');
      expect((await rejection(target.aggregate())).message).to.equal('trapped');
      // THEN status counts the scheduled one, from the stack (another process sees it too)
      expect((await target.status()).failedAggregations).to.equal(1);
      const fresh = new LocalTarget({ dataDir: dir, stackName: STACK, clock });
      try {
        expect((await fresh.status()).failedAggregations).to.equal(1);
      } finally {
        await fresh.close();
      }
    });
  });

  describe('stream', () => {
    it('stores every event sent by the time finish() returns, and leaves the queue empty', async () => {
      await target.deploy({});
      const session = await target.openStream();
      const all = events(250);
      for (let i = 0; i < all.length; i += 40) {
        const outcome = await session.sender.send(all.slice(i, i + 40));
        expect(outcome).to.deep.equal({ sent: Math.min(40, all.length - i), failed: 0 });
      }
      const result = await session.finish();
      expect(result).to.deep.equal({
        stored: 250,
        storedByOthers: 0,
        failedDeliveries: 0,
        inFlight: 0,
        deadLetters: 0,
        approximate: false,
      });

      const status = await target.status();
      expect(status.eventsStored).to.equal(250);
      expect(status.queue).to.deep.equal({
        visible: 0,
        inFlight: 0,
        deadLetters: 0,
        oldestDeadLetterAgeSeconds: null,
        approximate: false,
      });
      const snapshot = await target.aggregate();
      expect(snapshot.total).to.equal(250);
    });

    it('tells what other consumers of the stack stored of what it sent: not a loss', async () => {
      // GIVEN a stream whose batches wait for their window (the fake clock stands still)
      await target.deploy({ BatchSize: 100, MaximumBatchingWindowInSeconds: 60 });
      const session = await target.openStream();
      await session.sender.send(events(30));
      // WHEN another process stores them first (an aggregate catches up), and more come after
      const other = newTarget();
      await other.aggregate();
      await session.sender.send(events(12));
      // THEN the stream stored the last ones, and says the others' share of what it sent
      const result = await session.finish();
      expect(result).to.include({ stored: 12, storedByOthers: 30, inFlight: 0, deadLetters: 0 });
      expect((await target.status()).eventsStored).to.equal(42);
    });

    it('does not count what it sent that is still in the queue (in flight elsewhere) as stored by anyone', async () => {
      await target.deploy({ BatchSize: 100, MaximumBatchingWindowInSeconds: 60 });
      const session = await target.openStream();
      await session.sender.send(events(5));
      // Another consumer received them and has not stored them yet: in flight, out of this one's reach.
      const db = openExisting(target.location, STACK);
      try {
        const received = db
          .transaction(() =>
            new LocalQueue(db).receive({
              now: clock.now(),
              maxMessages: 10,
              visibilityTimeoutMs: 60_000,
              maxReceiveCount: 5,
              batchingWindowMs: 0,
            }),
          )
          .immediate();
        expect(received).to.have.length(5);
      } finally {
        db.close();
      }
      expect(await session.finish()).to.include({ stored: 0, storedByOthers: 0, inFlight: 5 });
    });

    it('processes full batches while sending, so the queue does not grow', async () => {
      await target.deploy({ BatchSize: 10, MaximumBatchingWindowInSeconds: 0 });
      const session = await target.openStream();
      await session.sender.send(events(35));
      const status = await target.status();
      expect(status.eventsStored).to.be.at.least(30);
      expect(status.queue?.visible).to.be.at.most(5);
      expect((await session.finish()).stored).to.equal(35);
    });
    it('stops the stream with the error when the background runtime fails, instead of dropping it', async () => {
      // GIVEN a stream whose runtime processes partial batches in the background
      await target.deploy({ BatchSize: 10, MaximumBatchingWindowInSeconds: 0 });
      const session = await target.openStream();
      // WHEN storage breaks underneath it (another process drops a table the storing path writes)
      const other = openExisting(target.location, STACK);
      other.exec('DROP TABLE county_seconds');
      other.close();
      await session.sender.send(events(3));
      await new Promise((resolve) => setTimeout(resolve, 300));
      // THEN the next send and the finish both fail with the storage error
      const sendError = await rejection(session.sender.send(events(1)));
      expect(String(sendError)).to.match(/county_seconds/);
      const finishError = await rejection(session.finish());
      expect(String(finishError)).to.match(/county_seconds/);
    });
  });

  describe('aggregate', () => {
    it('processes the messages still queued, then counts the window', async () => {
      await target.deploy({ WindowMinutes: 5 });
      enqueueRaw([
        ...events(4, 'Albany').map(eventBody),
        ...events(2, 'Bronx').map(eventBody),
        JSON.stringify(makeEvent(T0 - 5 * MINUTE, 'Cayuga')), // exactly W old: not counted
      ]);
      expect((await target.status()).queue?.visible).to.equal(7);

      const snapshot = await target.aggregate();
      expect(snapshot).to.deep.include({
        updated: new Date(T0).toISOString(),
        windowMinutes: 5,
        total: 6,
        counties: [
          { county: 'Albany', count: 4 },
          { county: 'Bronx', count: 2 },
        ],
      });
      const status = await target.status();
      expect(status.eventsStored).to.equal(7);
      expect(status.queue).to.include({ visible: 0, inFlight: 0 });
      expect(status.lastAggregation).to.equal(snapshot.updated);
      expect(await target.latestSnapshot()).to.deep.equal(snapshot);
    });

    it('counts only the latest window, replacing the previous snapshot', async () => {
      await target.deploy({ WindowMinutes: 5 });
      enqueueRaw(events(3, 'Albany').map(eventBody));
      expect((await target.aggregate()).total).to.equal(3);
      clock.advance(5 * MINUTE);
      enqueueRaw(events(2, 'Bronx').map(eventBody));
      const second = await target.aggregate();
      expect(second.counties).to.deep.equal([{ county: 'Bronx', count: 2 }]);
      expect((await target.latestSnapshot())?.counties).to.deep.equal([{ county: 'Bronx', count: 2 }]);
    });
  });

  describe('health (the dashboard)', () => {
    it('counts what was sent and stored, the queue, the newest stored event and the schedule, from the stack', async () => {
      await target.deploy({});
      const before = await target.health();
      expect(before).to.deep.include({
        sentCount: 0,
        storedCount: 0,
        newestEventTime: null,
        lastScheduledRun: null,
      });
      expect(before.nextScheduledRun).to.equal(new Date(T0 + 30_000).toISOString());
      const bodies = events(4).map(eventBody);
      enqueueRaw([...bodies, 'not JSON']);
      expect(await target.health()).to.deep.include({
        sentCount: 5,
        storedCount: 0,
        queue: { visible: 5, inFlight: 0, deadLetters: 0, approximate: false },
      });
      await target.aggregate();
      const after = await target.health();
      expect(after).to.deep.include({ at: T0, sentCount: 5, storedCount: 4, newestEventTime: T0 - 1 });
      // A redelivered event is not stored again, so not counted again.
      enqueueRaw(bodies.slice(0, 1));
      await target.aggregate();
      expect((await target.health()).storedCount).to.equal(4);
    });

    it('gives the last scheduled run once one ran to its end, seen by another process too', async () => {
      await target.deploy({});
      expect(await target.runtime().runScheduleIfDue()).to.equal(false); // the first slot is 12:01:00
      expect((await target.health()).lastScheduledRun).to.equal(null);
      clock.set(T0 + 30_000);
      expect(await target.runtime().runScheduleIfDue()).to.equal(true);
      const fresh = new LocalTarget({ dataDir: dir, stackName: STACK, clock });
      try {
        expect((await fresh.health()).lastScheduledRun).to.equal(new Date(T0 + 30_000).toISOString());
      } finally {
        await fresh.close();
      }
    });
  });

  describe('status', () => {
    it('reports queue depths, stored events, the last aggregation and the next scheduled run', async () => {
      await target.deploy({ MaxReceiveCount: 1 });
      let status = await target.status();
      expect(status).to.deep.include({
        deployed: true,
        createdAt: new Date(T0).toISOString(),
        updatedAt: new Date(T0).toISOString(),
        queue: {
          visible: 0,
          inFlight: 0,
          deadLetters: 0,
          oldestDeadLetterAgeSeconds: null,
          approximate: false,
        },
        eventsStored: 0,
        lastAggregation: null,
        nextScheduledRun: '2025-01-01T12:01:00.000Z',
      });

      const poisonSentAt = clock.now();
      enqueueRaw(['{"broken":', ...events(5).map(eventBody)]);
      status = await target.status();
      expect(status.queue).to.deep.equal({
        visible: 6,
        inFlight: 0,
        deadLetters: 0,
        oldestDeadLetterAgeSeconds: null,
        approximate: false,
      });

      await target.aggregate(); // stores 5; the poison message fails and stays in flight
      status = await target.status();
      expect(status.queue).to.deep.equal({
        visible: 0,
        inFlight: 1,
        deadLetters: 0,
        oldestDeadLetterAgeSeconds: null,
        approximate: false,
      });
      expect(status.eventsStored).to.equal(5);
      expect(status.lastAggregation).to.equal(new Date(T0).toISOString());

      clock.advance(DEFAULT_PARAMETERS.VisibilityTimeoutSeconds * 1000 + 20_000);
      const snapshot = await target.aggregate(); // its next receive dead-letters it
      status = await target.status();
      expect(status.queue).to.deep.equal({
        visible: 0,
        inFlight: 0,
        deadLetters: 1,
        oldestDeadLetterAgeSeconds: Math.floor((clock.now() - poisonSentAt) / 1000),
        approximate: false,
      });
      expect(status.queue?.oldestDeadLetterAgeSeconds).to.equal(200);
      expect(status.lastAggregation).to.equal(snapshot.updated);
      expect(status.eventsStored).to.equal(5);
    });

    it('shows no next run when the schedule is disabled', async () => {
      await target.deploy({ ScheduleEnabled: false });
      expect((await target.status()).nextScheduledRun).to.equal(null);
    });

    it('says what a clock a day ahead left (snapshot, schedule slot); the next aggregation and claim replace them', async () => {
      // GIVEN a process a day ahead that aggregated and claimed the schedule
      await target.deploy({});
      enqueueRaw(events(4).map(eventBody));
      const DAY = 24 * 60 * MINUTE;
      const ahead = new LocalTarget({ dataDir: dir, stackName: STACK, clock: fakeClock(T0 + DAY) });
      targets.push(ahead);
      await ahead.aggregate();
      await ahead.runtime().runScheduleIfDue();
      await ahead.close();
      // THEN status here says so, in a field, and shows the next run from now
      let status = await target.status();
      expect(status.lastAggregation).to.equal(new Date(T0 + DAY).toISOString());
      expect(status.nextScheduledRun).to.equal('2025-01-01T12:01:00.000Z');
      expect(status.clockErrors).to.deep.equal([
        { subject: 'lastAggregation', time: '2025-01-02T12:00:30.000Z', aheadSeconds: 86_400 },
        { subject: 'scheduleSlot', time: '2025-01-02T12:01:00.000Z', aheadSeconds: 86_430 },
      ]);
      // WHEN this process aggregates and claims the schedule
      const snapshot = await target.aggregate();
      await target.runtime().runScheduleIfDue();
      // THEN the future snapshot is replaced (the events count again) and the errors are gone
      expect(snapshot.total).to.equal(4);
      expect(await target.latestSnapshot()).to.deep.equal(snapshot);
      status = await target.status();
      expect(status.clockErrors).to.deep.equal([]);
      expect(status.lastAggregation).to.equal(new Date(T0).toISOString());
    });

    it('does not call a clock a few seconds ahead an error (within the one-minute skew)', async () => {
      await target.deploy({});
      const ahead = new LocalTarget({ dataDir: dir, stackName: STACK, clock: fakeClock(T0 + 59_000) });
      targets.push(ahead);
      await ahead.aggregate();
      expect((await target.status()).clockErrors).to.deep.equal([]);
    });

    /** A stack whose stored parameters an older sensorpipe wrote, without the checks of today's deploy. */
    function storeParameters(changes: Partial<StackParameters>, slot?: string): void {
      const db = openExisting(target.location, STACK);
      try {
        const raw = db.prepare("SELECT value FROM meta WHERE key = 'parameters'").pluck().get() as string;
        db.prepare("UPDATE meta SET value = ? WHERE key = 'parameters'").run(
          JSON.stringify({ ...JSON.parse(raw), ...changes }),
        );
        if (slot !== undefined)
          db.prepare("INSERT OR REPLACE INTO meta VALUES ('schedule_next', ?)").run(slot);
      } finally {
        db.close();
      }
    }

    for (const [expression, slot] of [
      ['cron(0 0 31 2 ? *)', undefined],
      ['cron(0/1 * * * ? 2020)', undefined],
      ['rate(99999999999 days)', undefined],
      ['rate(99999999999 days)', '8640000000000000000'],
      ['cron(0 12 1 1 ? 2025)', 'Infinity'],
    ] as const) {
      it(`shows no next run, and does not fail, for a stored ${expression}${slot ? ` with the slot ${slot}` : ''}`, async () => {
        await target.deploy({});
        await target.close();
        storeParameters({ ScheduleExpression: expression }, slot);
        const status = await newTarget().status();
        expect(status.parameters?.ScheduleExpression).to.equal(expression);
        expect(status.nextScheduledRun).to.equal(null);
        expect(status.clockErrors).to.deep.equal([]);
        const other = newTarget();
        expect(await other.runtime().runScheduleIfDue()).to.equal(false);
        expect((await other.aggregate()).total).to.equal(0);
      });
    }
  });

  describe('destroy', () => {
    it('removes the database with its -wal and -shm files', async () => {
      await target.deploy({});
      const other = newTarget();
      const session = await other.openStream(); // another process holds the stack open
      await session.sender.send(events(3));
      await session.finish();
      const files = ['', '-wal', '-shm'].map((suffix) => `${target.location}${suffix}`);
      for (const file of files) expect(fs.existsSync(file), `${file} before destroy`).to.equal(true);

      const result = await target.destroy();
      expect(result).to.deep.equal({
        stackName: STACK,
        target: 'local',
        destroyed: true,
        location: target.location,
      });
      for (const file of files) expect(fs.existsSync(file), `${file} after destroy`).to.equal(false);
      expect(await target.exists()).to.equal(false);
      expect((await target.status()).deployed).to.equal(false);

      expect((await target.destroy()).destroyed).to.equal(false);
      await other.close();
      for (const file of files) expect(fs.existsSync(file), `${file} after the other closed`).to.equal(false);
    });

    it('lets the stack be deployed again from scratch', async () => {
      await target.deploy({ BatchSize: 10, MaximumBatchingWindowInSeconds: 0 });
      enqueueRaw(events(2).map(eventBody));
      await target.aggregate();
      await target.destroy();
      const again = await target.deploy({});
      expect(again.action).to.equal('created');
      const status = await target.status();
      expect(status.parameters).to.deep.equal({ ...DEFAULT_PARAMETERS });
      expect(status.eventsStored).to.equal(0);
      expect(status.lastAggregation).to.equal(null);
    });
  });

  it("outputs: the local equivalents of the AWS stack's, its file and tables; none before deploy", async () => {
    expect(await rejection(target.outputs())).to.include({ code: 'NOT_DEPLOYED' });
    await target.deploy({});
    const outputs = await target.outputs();
    expect(outputs).to.deep.equal({
      DatabaseFile: target.location,
      QueueTable: 'queue',
      DeadLetterQueueTable: 'dead_letters',
      EventsTableName: 'events',
      AggregatesTableName: 'aggregates',
      FailedAggregationsTable: 'failed_aggregations',
      FunctionLogsTable: 'function_logs',
    });
    // Each names a table the stack has.
    const db = openExisting(target.location, STACK);
    try {
      for (const [key, table] of Object.entries(outputs).filter(([key]) => key !== 'DatabaseFile'))
        expect(db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get(), key).to.be.a('number');
    } finally {
      db.close();
    }
  });

  describe('logs', () => {
    const BOTH = { functions: ['storing', 'aggregation'] as const, since: 0 };

    async function read(t: LocalTarget, query: Parameters<LocalTarget['logs']>[0], options = {}) {
      const lines: string[] = [];
      for await (const batch of t.logs(query, options))
        lines.push(...batch.map((l) => `${l.function} ${l.level}`));
      return lines;
    }

    it('reads what the runtime kept: both functions in the order they logged, by function, since a time, filtered', async () => {
      await target.deploy({ BatchSize: 10, MaximumBatchingWindowInSeconds: 0 });
      enqueueRaw([...events(3).map(eventBody), 'not JSON']);
      await target.aggregate(); // a storing batch (one failed message), then the aggregation
      clock.advance(MINUTE);
      await target.aggregate();
      expect(await read(target, BOTH)).to.deep.equal([
        'storing INFO',
        'aggregation INFO',
        'aggregation INFO',
      ]);
      expect(await read(target, { ...BOTH, functions: ['storing'] })).to.deep.equal(['storing INFO']);
      expect(await read(target, { ...BOTH, since: clock.now() })).to.deep.equal(['aggregation INFO']);
      expect(await read(target, { ...BOTH, filter: 'message body is not JSON' })).to.deep.equal([
        'storing INFO',
      ]);
      // Another process of the stack reads the same lines.
      expect(await read(newTarget(), BOTH)).to.have.length(3);
    });

    it('--follow: then what any process of the stack logs, polled about once a second, until the signal aborts', async () => {
      await target.deploy({});
      await target.aggregate();
      const controller = new AbortController();
      const other = newTarget();
      const steps: (() => Promise<void>)[] = [
        async () => {
          await other.aggregate();
        },
        async () => {},
        async () => {
          await other.aggregate();
          await other.aggregate();
        },
        async () => controller.abort(),
      ];
      const sleeps: number[] = [];
      const follower = new LocalTarget({
        dataDir: dir,
        stackName: STACK,
        clock: {
          now: () => clock.now(),
          async sleep(ms) {
            sleeps.push(ms);
            await steps.shift()?.();
          },
        },
      });
      targets.push(follower);
      const batches: number[] = [];
      for await (const batch of follower.logs(BOTH, { follow: true, signal: controller.signal }))
        batches.push(batch.length);
      expect(batches).to.deep.equal([1, 1, 2]);
      expect(sleeps).to.deep.equal([1000, 1000, 1000, 1000]);
    });
  });

  describe('runtime', () => {
    it('is one per target: streams and aggregate run on it, and its log reaches listeners', async () => {
      await target.deploy({ BatchSize: 10, MaximumBatchingWindowInSeconds: 0, MaxReceiveCount: 1 });
      const runtime = target.runtime();
      expect(target.runtime()).to.equal(runtime);
      const seen: string[] = [];
      runtime.subscribe({
        onBatch: (b) => seen.push(`batch ${b.received}`),
        onAggregation: (s) => seen.push(`aggregation ${s.total}`),
        onLog: (entry) => seen.push(`log ${entry.function}`),
      });

      const first = await target.openStream();
      await first.sender.send(events(10));
      expect(await first.finish()).to.include({ stored: 10 });
      const second = await target.openStream();
      await second.sender.send([...events(4), outgoing({ ...makeEvent(T0, 'Albany'), county: '' })]);
      // The second session counts its own batches only.
      expect(await second.finish()).to.include({ stored: 4, failedDeliveries: 1, inFlight: 1 });
      expect((await target.aggregate()).total).to.equal(14);
      expect(seen).to.deep.equal([
        'log storing',
        'batch 10',
        'log storing',
        'batch 5',
        'log aggregation',
        'aggregation 14',
      ]);
      expect(target.runtime()).to.equal(runtime);

      // Redrive writes through it too: the dead letter goes back to the queue.
      clock.advance(DEFAULT_PARAMETERS.VisibilityTimeoutSeconds * 1000);
      await target.aggregate();
      expect(await target.redrive()).to.deep.equal({ moved: 1, remaining: 0 });
      expect((await target.status()).queue).to.include({ visible: 1, deadLetters: 0 });

      // After close, the next use opens the stack again, with a runtime of its own.
      await target.close();
      expect(target.runtime()).to.not.equal(runtime);
    });
  });

  describe('several processes', () => {
    it('gives a second LocalTarget on the same data dir the same stack', async () => {
      await target.deploy({ WindowMinutes: 10 });
      const session = await target.openStream();
      await session.sender.send(events(20, 'Albany'));
      await session.finish();
      const first = await target.aggregate();

      const second = newTarget();
      expect(await second.exists()).to.equal(true);
      const seen = await second.status();
      expect(seen.parameters?.WindowMinutes).to.equal(10);
      expect(seen.eventsStored).to.equal(20);
      expect(seen.lastAggregation).to.equal(first.updated);
      expect(await second.latestSnapshot()).to.deep.equal(first);

      // And the other way round, while the first keeps its connection open.
      const more = await second.openStream();
      await more.sender.send(events(5, 'Bronx'));
      await more.finish();
      clock.advance(1000);
      const both = await target.aggregate();
      expect(both.counties).to.deep.equal([
        { county: 'Albany', count: 20 },
        { county: 'Bronx', count: 5 },
      ]);
      expect((await target.status()).eventsStored).to.equal(25);
      expect((await second.latestSnapshot())?.updated).to.equal(both.updated);
    });
  });
});
