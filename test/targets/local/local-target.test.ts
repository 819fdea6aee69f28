import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { StackStateError, UsageError } from '../../../src/core/errors.js';
import { eventBody, type OutgoingEvent } from '../../../src/core/event.js';
import { DEFAULT_PARAMETERS, type StackParameters } from '../../../src/core/parameters.js';
import { openExisting } from '../../../src/targets/local/database.js';
import { LocalTarget } from '../../../src/targets/local/local-target.js';
import { LocalQueue } from '../../../src/targets/local/queue.js';
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
