import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { SensorEvent } from '../../../src/core/event.js';
import type { StackParameters } from '../../../src/core/parameters.js';
import type { FunctionLogEntry } from '../../../src/functions/log.js';
import { openExisting } from '../../../src/targets/local/database.js';
import { FailedAggregations } from '../../../src/targets/local/failed-aggregations.js';
import { FUNCTION_LOG_RETENTION_MS } from '../../../src/targets/local/function-logs.js';
import type { SqliteSnapshotRepository } from '../../../src/targets/local/repositories.js';
import { LocalRuntime, type RuntimeEvents } from '../../../src/targets/local/runtime.js';
import {
  connectTo,
  type FakeClock,
  fakeClock,
  type LocalStack,
  makeEvent,
  makeTempDir,
  openStack,
  params,
  removeTempDir,
  stored,
  T0,
} from '../../../testkit/local.js';

const MINUTE = 60_000;

describe('local runtime', () => {
  let dir: string;
  let clock: FakeClock;
  let stack: LocalStack;
  const connections: LocalStack[] = [];
  const runtimes: LocalRuntime[] = [];

  beforeEach(() => {
    dir = makeTempDir();
    clock = fakeClock();
    stack = openStack(dir);
    connections.push(stack);
  });

  afterEach(async () => {
    for (const runtime of runtimes.splice(0)) await runtime.stop();
    for (const c of connections.splice(0)) c.db.close();
    removeTempDir(dir);
  });

  function runtimeOn(
    on: LocalStack,
    changes: Partial<StackParameters> = {},
    listeners: RuntimeEvents = {},
  ): LocalRuntime {
    const runtime = new LocalRuntime({ ...on, parameters: params(changes), clock }, listeners);
    runtimes.push(runtime);
    return runtime;
  }

  /** Another process's view of the same stack: its own connection. */
  function secondConnection(): LocalStack {
    const other = connectTo(stack.path, openExisting(stack.path, 'test-stack'));
    connections.push(other);
    return other;
  }

  function send(...items: (SensorEvent | string)[]): void {
    const bodies = items.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
    stack.tx(() => stack.queue.send(bodies, clock.now()));
  }

  function goodEvents(n: number, county = 'Albany'): SensorEvent[] {
    return Array.from({ length: n }, (_, i) => makeEvent(clock.now() - 1000 - i, county));
  }

  const POISON_NOT_JSON = 'not json at all';
  const POISON_NO_COUNTY = JSON.stringify({ id: 'no-county', time: T0, data: {} });
  const FAST = { BatchSize: 10, MaximumBatchingWindowInSeconds: 0, MaxReceiveCount: 3 } as const;
  const VISIBILITY_MS = params().VisibilityTimeoutSeconds * 1000;

  describe('withTransaction', () => {
    it('rolls back all the work did when it throws after an await, and runs the next one', async () => {
      const runtime = runtimeOn(stack);
      // GIVEN a transaction that writes, awaits, writes again and fails
      const failing = runtime.withTransaction(async () => {
        stack.queue.send(['lost'], clock.now());
        await sleep(5);
        stack.queue.send(['lost too'], clock.now());
        throw new Error('boom');
      });
      // AND another one asked for while it is open
      const next = runtime.withTransaction(() => stack.queue.send(['kept'], clock.now()));
      // THEN the first rolls back whole, and the second runs after it, on its own, and commits
      const error = await failing.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(String(error)).to.equal('Error: boom');
      expect(await next).to.have.length(1);
      expect(stack.db.inTransaction).to.equal(false);
      const bodies = secondConnection().db.prepare('SELECT body FROM queue').pluck().all();
      expect(bodies).to.deep.equal(['kept']);
    });

    it('runs transactions one at a time, in the order asked, even when they await', async () => {
      const runtime = runtimeOn(stack);
      const steps: string[] = [];
      const work = (name: string, ms: number) => async () => {
        steps.push(`${name} begins`);
        await sleep(ms);
        steps.push(`${name} ends`);
      };
      await Promise.all([
        runtime.withTransaction(work('a', 20)),
        runtime.withTransaction(work('b', 1)),
        runtime.withTransaction(work('c', 5)),
      ]);
      expect(steps).to.deep.equal(['a begins', 'a ends', 'b begins', 'b ends', 'c begins', 'c ends']);
    });
  });

  describe('functions', () => {
    it('runs the Lambda storing handler: its log entry reaches onLog with the reasons, kept on the failures', async () => {
      const log: FunctionLogEntry[] = [];
      const runtime = runtimeOn(
        stack,
        { ...FAST, MaxReceiveCount: 1 },
        { onLog: (entry) => log.push(entry) },
      );
      send(...goodEvents(3), POISON_NOT_JSON, POISON_NO_COUNTY);
      const ids = (stack.db.prepare('SELECT id FROM queue ORDER BY id').pluck().all() as number[]).map(
        String,
      );

      await runtime.processBatch();
      expect(log).to.deep.equal([
        {
          function: 'storing',
          records: 5,
          stored: 3,
          failed: 2,
          failures: {
            'message body is not JSON': [ids[3]],
            'event county is missing or empty': [ids[4]],
          },
        },
      ]);
      clock.advance(VISIBILITY_MS);
      await runtime.drain(); // the next receive dead-letters them, with the handler's reasons
      expect(stack.queue.deadLetters(10).map((d) => [d.messageId, d.lastError])).to.deep.equal([
        [ids[3], 'message body is not JSON'],
        [ids[4], 'event county is missing or empty'],
      ]);

      const snapshot = await runtime.aggregateNow();
      expect(log.at(-1)).to.deep.equal({
        function: 'aggregation',
        windowEnd: snapshot.windowEnd,
        total: 3,
        counties: 1,
      });
    });

    it('configures the functions from the environment the template gives them (EVENT_TTL_MINUTES, WINDOW_MINUTES)', async () => {
      const runtime = runtimeOn(stack, { ...FAST, EventTtlMinutes: 90, WindowMinutes: 15 });
      const event = makeEvent(T0 - 10 * MINUTE, 'Albany');
      send(event);
      await runtime.drain();
      const expiresAt = stack.db.prepare('SELECT expires_at FROM events').pluck().get();
      expect(expiresAt).to.equal(Math.ceil(event.time / 1000) + 90 * 60);
      expect(await runtime.aggregateNow()).to.deep.include({ windowMinutes: 15, total: 1 });
    });
  });

  describe('function logs', () => {
    /** What the stack keeps of the functions' logs, read on another connection (committed only). */
    function keptLines(): { function: string; level: string; message: string; at: number }[] {
      return secondConnection()
        .db.prepare('SELECT at, function, level, message FROM function_logs ORDER BY id')
        .all() as { function: string; level: string; message: string; at: number }[];
    }

    it('keeps each entry a handler logs in the stack, as the JSON line Lambda writes, committed with its batch', async () => {
      const log: FunctionLogEntry[] = [];
      const runtime = runtimeOn(
        stack,
        { ...FAST, MaxReceiveCount: 1 },
        { onLog: (entry) => log.push(entry) },
      );
      send(...goodEvents(2), POISON_NOT_JSON);
      await runtime.processBatch();
      const snapshot = await runtime.aggregateNow();
      expect(keptLines()).to.deep.equal([
        { at: clock.now(), function: 'storing', level: 'INFO', message: JSON.stringify(log[0]) },
        { at: clock.now(), function: 'aggregation', level: 'INFO', message: JSON.stringify(log[1]) },
      ]);
      expect(JSON.parse(keptLines()[0]!.message).failures).to.have.property('message body is not JSON');
      expect(snapshot.total).to.equal(2);
    });

    it('keeps no line of a batch that was rolled back, and logs the failed invocation as Lambda does (Invoke Error)', async () => {
      // GIVEN a storing invocation whose transaction fails after the handler logged its entry
      const queue = Object.assign(Object.create(stack.queue), {
        delete: () => {
          throw new Error('the queue refused the delete');
        },
      });
      const runtime = new LocalRuntime({ ...stack, queue, parameters: params(FAST), clock });
      runtimes.push(runtime);
      send(...goodEvents(3));
      const error = await runtime.processBatch().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).to.equal('the queue refused the delete');
      // THEN its entry went with the rollback, and the failure is logged on its own
      expect(keptLines()).to.deep.equal([
        {
          at: clock.now(),
          function: 'storing',
          level: 'ERROR',
          message: 'Invoke Error {"errorType":"Error","errorMessage":"the queue refused the delete"}',
        },
      ]);
      // The batch was not taken: its messages are still there for the next invocation.
      expect(stack.queue.depths(clock.now())).to.include({ visible: 3, inFlight: 0 });
      expect(stack.events.countAll()).to.equal(0);
    });

    it('logs a failed aggregation too, and a scheduled one is also recorded as failed', async () => {
      const snapshots: SqliteSnapshotRepository = Object.assign(Object.create(stack.snapshots), {
        putSnapshot: async () => {
          throw new TypeError('snapshot refused');
        },
      });
      const runtime = new LocalRuntime({ ...stack, snapshots, parameters: params(), clock });
      runtimes.push(runtime);
      expect(await runtime.runScheduleIfDue()).to.equal(false); // 12:00:30: the first slot is 12:01:00
      clock.set(Date.UTC(2025, 0, 1, 12, 1, 0));
      await runtime.runScheduleIfDue().catch(() => undefined);
      expect(keptLines().map((l) => [l.function, l.level, l.message])).to.deep.equal([
        ['aggregation', 'ERROR', 'Invoke Error {"errorType":"TypeError","errorMessage":"snapshot refused"}'],
      ]);
      expect(new FailedAggregations(stack.db).count(clock.now())).to.equal(1);
    });

    it('forgets lines past the retention (14 days) on its housekeeping', async () => {
      const runtime = runtimeOn(stack, { ...FAST, ScheduleEnabled: false });
      send(...goodEvents(1));
      await runtime.drain();
      expect(keptLines()).to.have.length(1);
      // GIVEN 15 days later, WHEN the runtime's housekeeping runs (the background consumer's chores)
      clock.advance(FUNCTION_LOG_RETENTION_MS + MINUTE);
      runtime.start();
      for (let i = 0; i < 100 && keptLines().length > 0; i++) await sleep(10);
      await runtime.stop();
      expect(keptLines()).to.deep.equal([]);
    });
  });

  describe('processBatch', () => {
    it('stores the good messages, removes them from the queue, and leaves poison messages in flight', async () => {
      const batches: { received: number; stored: number; failed: number }[] = [];
      const runtime = runtimeOn(stack, FAST, { onBatch: (b) => batches.push(b) });
      send(...goodEvents(4), POISON_NOT_JSON, POISON_NO_COUNTY);

      expect(await runtime.processBatch()).to.equal(6);
      expect(batches).to.deep.equal([{ received: 6, stored: 4, failed: 2 }]);
      expect(runtime.totals).to.include({ received: 6, stored: 4, failed: 2 });
      expect(stack.events.countAll()).to.equal(4);

      await runtime.drain(); // nothing visible is left; any pending delete is done by now
      expect(stack.queue.depths(clock.now())).to.include({ visible: 0, inFlight: 2, deadLetters: 0 });

      // After the visibility timeout only the poison messages come back.
      clock.advance(VISIBILITY_MS);
      expect(stack.queue.depths(clock.now())).to.include({ visible: 2, inFlight: 0 });
      expect(await runtime.processBatch()).to.equal(2);
      expect(stack.events.countAll()).to.equal(4);
    });

    it('a full disk while storing fails the whole invocation: rolled back, no receive spent, exit 4', async () => {
      const runtime = runtimeOn(stack, FAST);
      send(...Array.from({ length: 10 }, (_, i) => makeEvent(T0 - i, 'Erie', { blob: 'x'.repeat(20_000) })));
      // The events' pages no longer fit: SQLite answers SQLITE_FULL inside the storing function.
      stack.db.pragma(`max_page_count = ${stack.db.pragma('page_count', { simple: true })}`);
      const error = await runtime.processBatch().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.include({ code: 'DISK_FULL', exitCode: 4 });
      expect(stack.events.countAll()).to.equal(0);
      // Still never received: not in flight, not a step toward the dead letters.
      expect(stack.queue.depths(clock.now())).to.include({ visible: 10, inFlight: 0, deadLetters: 0 });
      expect(runtime.totals).to.include({ received: 0, failed: 0 });
    });

    it('moves poison messages to dead letters after MaxReceiveCount deliveries; good ones are stored once', async () => {
      const runtime = runtimeOn(stack, { ...FAST, WindowMinutes: 60 });
      const good = goodEvents(15, 'Bronx');
      send(...good.slice(0, 5), POISON_NOT_JSON, ...good.slice(5, 10), POISON_NO_COUNTY);

      for (let delivery = 1; delivery <= 3; delivery++) {
        await runtime.drain();
        expect(stack.queue.depths(clock.now()), `after delivery ${delivery}`).to.include({
          visible: 0,
          inFlight: 2,
          deadLetters: 0,
        });
        if (delivery === 2) send(...good.slice(10)); // more good ones meanwhile
        clock.advance(VISIBILITY_MS);
      }
      // The 4th receive dead-letters them instead of delivering them.
      expect(await runtime.drain()).to.equal(0);
      expect(stack.queue.depths(clock.now())).to.deep.equal({
        visible: 0,
        inFlight: 0,
        deadLetters: 2,
        oldestDeadLetterSentAt: T0,
      });
      const dead = stack.queue.deadLetters(10);
      expect(dead.map((d) => [d.body, d.receiveCount, d.lastError])).to.have.deep.members([
        [POISON_NOT_JSON, 3, 'message body is not JSON'],
        [POISON_NO_COUNTY, 3, 'event county is missing or empty'],
      ]);

      expect(stack.events.countAll()).to.equal(15);
      expect(runtime.totals).to.include({ stored: 15, failed: 6 });
      const snapshot = await runtime.aggregateNow();
      expect(snapshot.total).to.equal(15);
      expect(snapshot.counties).to.deep.equal([{ county: 'Bronx', count: 15 }]);
    });

    it('does not count an already stored event twice when it is delivered again', async () => {
      const runtime = runtimeOn(stack, FAST);
      const events = goodEvents(6, 'Cayuga');
      // A consumer that stored a batch and crashed before deleting it.
      send(...events.slice(0, 3));
      const crashed = stack.tx(() =>
        stack.queue.receive({
          now: clock.now(),
          maxMessages: 10,
          visibilityTimeoutMs: VISIBILITY_MS,
          maxReceiveCount: 3,
          batchingWindowMs: 0,
        }),
      );
      expect(crashed).to.have.length(3);
      await stack.write(() => stack.events.putEvents(events.slice(0, 3).map((e) => stored(e))));
      // And the same event sent twice (at-least-once delivery), in one batch and in two.
      send(...events.slice(3), events[3]!);
      await runtime.drain();
      send(events[4]!);
      clock.advance(VISIBILITY_MS);
      await runtime.drain();

      expect(stack.queue.depths(clock.now())).to.include({ visible: 0, inFlight: 0, deadLetters: 0 });
      expect(stack.events.countAll()).to.equal(6);
      const snapshot = await runtime.aggregateNow();
      expect(snapshot.counties).to.deep.equal([{ county: 'Cayuga', count: 6 }]);
    });
  });

  describe('drain', () => {
    it('processes every visible message at once, whatever the batching window', async () => {
      const runtime = runtimeOn(stack, { BatchSize: 100, MaximumBatchingWindowInSeconds: 5 });
      send(...goodEvents(7));
      expect(await runtime.processBatch()).to.equal(0); // waiting for the window
      expect(stack.events.countAll()).to.equal(0);
      expect(await runtime.drain()).to.equal(7);
      expect(stack.events.countAll()).to.equal(7);
      expect(stack.queue.depths(clock.now())).to.include({ visible: 0, inFlight: 0 });
    });

    it('takes as many batches as needed', async () => {
      const batches: number[] = [];
      const runtime = runtimeOn(
        stack,
        { BatchSize: 10, MaximumBatchingWindowInSeconds: 1 },
        { onBatch: (b) => batches.push(b.received) },
      );
      send(...goodEvents(25));
      expect(await runtime.drain()).to.equal(25);
      expect(batches).to.deep.equal([10, 10, 5]);
      expect(stack.events.countAll()).to.equal(25);
    });

    it('waits out the batching window on processBatch, not on a full batch', async () => {
      const runtime = runtimeOn(stack, { BatchSize: 10, MaximumBatchingWindowInSeconds: 2 });
      send(...goodEvents(3));
      expect(await runtime.processBatch()).to.equal(0);
      clock.advance(1999);
      expect(await runtime.processBatch()).to.equal(0);
      clock.advance(1);
      expect(await runtime.processBatch()).to.equal(3);
      send(...goodEvents(10));
      expect(await runtime.processBatch()).to.equal(10);
    });
  });

  describe('schedule', () => {
    it('runs the aggregation once per rate(1 minute) slot, between two runtimes on two connections', async () => {
      const other = secondConnection();
      const a = runtimeOn(stack, { ScheduleExpression: 'rate(1 minute)', WindowMinutes: 60 });
      const b = runtimeOn(other, { ScheduleExpression: 'rate(1 minute)', WindowMinutes: 60 });
      send(...goodEvents(3));
      await a.drain();

      const runs: string[] = [];
      const tick = async () => {
        for (const [name, runtime] of [
          ['a', a],
          ['b', b],
        ] as const) {
          if (await runtime.runScheduleIfDue()) runs.push(`${name}@${new Date(clock.now()).toISOString()}`);
        }
      };

      await tick(); // 12:00:30: the first slot is 12:01:00
      expect(runs).to.deep.equal([]);
      clock.set(Date.UTC(2025, 0, 1, 12, 0, 59, 999));
      await tick();
      expect(runs).to.deep.equal([]);
      clock.set(Date.UTC(2025, 0, 1, 12, 1, 0));
      await tick();
      await tick();
      expect(runs).to.deep.equal(['a@2025-01-01T12:01:00.000Z']);
      clock.advance(30_000);
      await tick();
      expect(runs).to.have.length(1);
      clock.set(Date.UTC(2025, 0, 1, 12, 2, 0, 1));
      await b.runScheduleIfDue(); // b first this time
      await tick();
      expect(runs).to.have.length(1);
      expect(b.totals.aggregations).to.equal(1);

      // Missed slots are not replayed: one run, then the next slot.
      clock.set(Date.UTC(2025, 0, 1, 12, 10, 30));
      await tick();
      await tick();
      expect(runs).to.deep.equal(['a@2025-01-01T12:01:00.000Z', 'a@2025-01-01T12:10:30.000Z']);
      clock.set(Date.UTC(2025, 0, 1, 12, 11, 0));
      await tick();
      expect(runs).to.have.length(3);
      expect(a.totals.aggregations + b.totals.aggregations).to.equal(4);

      const latest = await other.snapshots.latestSnapshot();
      expect(latest?.updated).to.equal('2025-01-01T12:11:00.000Z');
      expect(latest?.total).to.equal(3);
    });

    it('records a scheduled run that fails (when, why) and rethrows; a run asked for is not recorded', async () => {
      const snapshots: SqliteSnapshotRepository = Object.assign(Object.create(stack.snapshots), {
        putSnapshot: async () => {
          throw new Error('the disk is on fire\n  at somewhere');
        },
      });
      const runtime = new LocalRuntime({ ...stack, snapshots, parameters: params(), clock });
      runtimes.push(runtime);
      expect(await runtime.runScheduleIfDue()).to.equal(false); // 12:00:30: the first slot is 12:01:00
      clock.set(Date.UTC(2025, 0, 1, 12, 1, 0));
      const error = await runtime.runScheduleIfDue().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).to.match(/^the disk is on fire/);
      await runtime.aggregateNow().then(
        () => expect.fail('the aggregation should fail'),
        () => undefined,
      );
      const rows = secondConnection().db.prepare('SELECT at, error FROM failed_aggregations').all();
      expect(rows).to.deep.equal([{ at: clock.now(), error: 'the disk is on fire at somewhere' }]);
      expect(new FailedAggregations(stack.db).count(clock.now())).to.equal(1);
      // The slot was used, as EventBridge's would be: the next run is the next slot's.
      expect(await runtime.runScheduleIfDue()).to.equal(false);
      expect(stack.db.inTransaction).to.equal(false);
    });

    it('recomputes from now a slot stored by a clock a day ahead: the schedule fires again at its next slot', async () => {
      // GIVEN a process whose clock ran a day ahead: it ran the schedule and stored its next slot
      const ahead = fakeClock(T0 + 24 * 60 * MINUTE);
      const other = secondConnection();
      const future = new LocalRuntime({ ...other, parameters: params(), clock: ahead });
      runtimes.push(future);
      expect(await future.runScheduleIfDue()).to.equal(false); // stores 12:01 on the next day
      ahead.set(Date.UTC(2025, 0, 2, 12, 1, 0));
      expect(await future.runScheduleIfDue()).to.equal(true);
      const meta = () =>
        Number(stack.db.prepare("SELECT value FROM meta WHERE key = 'schedule_next'").pluck().get());
      expect(new Date(meta()).toISOString()).to.equal('2025-01-02T12:02:00.000Z');
      // WHEN time is right again (T0, 12:00:30 on the day before)
      clock.set(T0);
      const runtime = runtimeOn(stack);
      // THEN the slot is recomputed from now, and the schedule fires at 12:01, and each minute after
      expect(await runtime.runScheduleIfDue()).to.equal(false);
      expect(new Date(meta()).toISOString()).to.equal('2025-01-01T12:01:00.000Z');
      clock.set(Date.UTC(2025, 0, 1, 12, 1, 0));
      expect(await runtime.runScheduleIfDue()).to.equal(true);
      clock.set(Date.UTC(2025, 0, 1, 12, 2, 0));
      expect(await runtime.runScheduleIfDue()).to.equal(true);
      expect(runtime.totals.aggregations).to.equal(2);
      // AND the future snapshot the ahead process wrote was replaced by the first run
      expect((await stack.snapshots.latestSnapshot())?.updated).to.equal('2025-01-01T12:02:00.000Z');
    });

    it('keeps a slot stored by a clock a few seconds ahead (within the skew): no extra run', async () => {
      const ahead = fakeClock(Date.UTC(2025, 0, 1, 12, 1, 20));
      const future = new LocalRuntime({ ...secondConnection(), parameters: params(), clock: ahead });
      runtimes.push(future);
      const runtime = runtimeOn(stack);
      await runtime.runScheduleIfDue(); // 12:00:30 stores 12:01
      expect(await future.runScheduleIfDue()).to.equal(true); // 20 s ahead: runs 12:01, stores 12:02
      clock.set(Date.UTC(2025, 0, 1, 12, 1, 0, 5));
      expect(await runtime.runScheduleIfDue()).to.equal(false); // 12:01 was run: nothing until 12:02
      clock.set(Date.UTC(2025, 0, 1, 12, 2, 0));
      expect(await runtime.runScheduleIfDue()).to.equal(true);
    });

    const neverAgain: [string, Partial<StackParameters>, string | undefined][] = [
      ['February 31st', { ScheduleExpression: 'cron(0 0 31 2 ? *)' }, undefined],
      ['a year gone by', { ScheduleExpression: 'cron(0/1 * * * ? 2020)' }, undefined],
      ['a rate past what a Date holds', { ScheduleExpression: 'rate(99999999999 days)' }, undefined],
      ['a slot an older version stored past what a Date holds', {}, '8640000000000000000'],
      ['a slot that is not a number', {}, 'soon'],
      ['a slot stored as Infinity', { ScheduleExpression: 'cron(0 0 31 2 ? *)' }, 'Infinity'],
    ];
    for (const [what, changes, storedSlot] of neverAgain) {
      it(`never fails on a schedule with no next run or a bad stored slot: ${what}`, async () => {
        if (storedSlot !== undefined)
          stack.tx(() => stack.db.prepare("INSERT INTO meta VALUES ('schedule_next', ?)").run(storedSlot));
        const runtime = runtimeOn(stack, changes);
        const runs: boolean[] = [];
        for (let i = 0; i < 5; i++) {
          runs.push(await runtime.runScheduleIfDue());
          clock.advance(370 * 24 * 60 * MINUTE);
        }
        // A stored slot that is not a time is replaced by the next one from now (rate(1 minute)), which
        // runs from the second look on.
        expect(runs).to.deep.equal(
          changes.ScheduleExpression ? [false, false, false, false, false] : [false, true, true, true, true],
        );
      });
    }

    it('runs a schedule that fires once, once, and then never again', async () => {
      const runtime = runtimeOn(stack, { ScheduleExpression: 'cron(1 12 1 1 ? 2025)' });
      const runs: string[] = [];
      for (const at of ['12:00:30', '12:01:00', '12:01:30', '12:02:00']) {
        clock.set(Date.parse(`2025-01-01T${at}Z`));
        if (await runtime.runScheduleIfDue()) runs.push(at);
      }
      clock.set(Date.UTC(2026, 0, 1, 12, 1));
      expect(await runtime.runScheduleIfDue()).to.equal(false);
      expect(runs).to.deep.equal(['12:01:00']);
    });

    it('never runs when ScheduleEnabled is false', async () => {
      const runtime = runtimeOn(stack, { ScheduleEnabled: false });
      for (let i = 0; i < 10; i++) {
        expect(await runtime.runScheduleIfDue()).to.equal(false);
        clock.advance(MINUTE);
      }
      expect(runtime.totals.aggregations).to.equal(0);
      expect(await stack.snapshots.latestSnapshot()).to.equal(undefined);
    });
  });

  describe('aggregateNow', () => {
    it('counts the window ending now per county and saves it as the latest snapshot', async () => {
      const runtime = runtimeOn(stack, { ...FAST, WindowMinutes: 5 });
      send(
        makeEvent(T0, 'Albany'), // now: in
        makeEvent(T0 - 5 * MINUTE + 1, 'Albany'), // in
        makeEvent(T0 - 5 * MINUTE, 'Bronx'), // exactly 5 minutes old: out
        makeEvent(T0 - MINUTE, 'Bronx'),
        makeEvent(T0 + 1, 'Cayuga'), // future: out
      );
      await runtime.drain();
      const snapshot = await runtime.aggregateNow();
      expect(snapshot).to.deep.equal({
        updated: new Date(T0).toISOString(),
        windowStart: new Date(T0 - 5 * MINUTE).toISOString(),
        windowEnd: new Date(T0).toISOString(),
        windowMinutes: 5,
        total: 3,
        counties: [
          { county: 'Albany', count: 2 },
          { county: 'Bronx', count: 1 },
        ],
      });
      expect(await stack.snapshots.latestSnapshot()).to.deep.equal(snapshot);
    });
  });

  describe('start and stop', () => {
    it('takes a full batch as soon as it is enqueued: enqueue returns once it is taken', async () => {
      const runtime = runtimeOn(stack, { BatchSize: 10, MaximumBatchingWindowInSeconds: 1 });
      runtime.start();
      for (let round = 1; round <= 20; round++) {
        await runtime.enqueue(goodEvents(25).map((e) => JSON.stringify(e)));
        // Only what is short of a full batch waits, for its batching window: the queue does not grow.
        expect(stack.queue.depths(clock.now()).visible, `after enqueue ${round}`).to.be.below(10);
      }
      await runtime.stop();
      expect(await runtime.drain()).to.be.below(10);
      expect(stack.events.countAll()).to.equal(500);
    });

    it('consumes the queue in the background until stopped', async () => {
      const runtime = runtimeOn(stack, FAST);
      runtime.start();
      send(...goodEvents(12));
      for (let i = 0; i < 100 && stack.events.countAll() < 12; i++) await sleep(20);
      expect(stack.events.countAll()).to.equal(12);
      await runtime.stop();
      send(...goodEvents(3, 'Bronx'));
      await sleep(150);
      expect(stack.events.countAll()).to.equal(12);
      expect(stack.queue.depths(clock.now())).to.include({ visible: 3 });
    });
  });
});
