import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ScheduledEvent } from 'aws-lambda';
import { expect } from 'chai';
import { CLOCK_SKEW_MS } from '../../src/core/clock.js';
import type { OutgoingEvent, SensorEvent } from '../../src/core/event.js';
import type { EventRepository } from '../../src/core/repositories.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { createAggregationHandler, parseAggregationConfig } from '../../src/functions/aggregation.js';
import { createStoringHandler } from '../../src/functions/storing.js';
import {
  DynamoEventRepository,
  DynamoSnapshotRepository,
} from '../../src/targets/aws/dynamo-repositories.js';
import type { CountStats } from '../../src/targets/aws/window-counts.js';
import { LocalTarget } from '../../src/targets/local/local-target.js';
import {
  type LocalDynamo,
  sensorEvent,
  sqsEvent,
  startDynalite,
  storedEvent,
} from '../../testkit/aws/dynalite.js';
import { fakeClock } from '../../testkit/clock.js';
import { makeTempDir, removeTempDir } from '../../testkit/local.js';

const run = promisify(execFile);

const T = Date.UTC(2025, 0, 1, 12, 0, 30, 250);
const MINUTE = 60_000;

/** What EventBridge sends on the schedule. */
const SCHEDULED: ScheduledEvent = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2025-01-01T12:00:30Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/sensorpipe-AggregationSchedule'],
  detail: {},
};

describe('aggregation function (dynalite)', () => {
  let dynamo: LocalDynamo;
  let tables: { eventsTable: string; aggregatesTable: string };
  let now: number;
  let lines: string[];

  before(async () => {
    dynamo = await startDynalite();
  });
  after(async () => {
    await dynamo.close();
  });
  beforeEach(async () => {
    tables = await dynamo.createTables();
    now = T;
    lines = [];
  });

  const storing = () =>
    createStoringHandler({
      events: new DynamoEventRepository(dynamo.documents, tables.eventsTable),
      ttlMinutes: 60,
      log: () => {},
    });
  const snapshots = () => new DynamoSnapshotRepository(dynamo.documents, tables.aggregatesTable);
  const aggregation = () =>
    createAggregationHandler({
      events: new DynamoEventRepository(dynamo.documents, tables.eventsTable),
      snapshots: snapshots(),
      windowMinutes: 5,
      now: () => now,
      log: (entry) => lines.push(JSON.stringify(entry)),
    });

  it('counts what the storing function stored, per county, and returns the snapshot it wrote', async () => {
    const events = [
      sensorEvent(T - 5 * MINUTE, 'Old'), // exactly 5 minutes old: out of the window
      sensorEvent(T - 5 * MINUTE + 1, 'Tioga'),
      ...Array.from({ length: 40 }, (_, i) => sensorEvent(T - i * 7_000, i % 4 === 0 ? 'Kings' : 'Tioga')),
      sensorEvent(T, 'Queens'),
      sensorEvent(T + 1, 'Future'),
    ];
    const bodies = events.map((e) => JSON.stringify(e));
    // Redeliveries of a few messages must not be counted twice.
    expect(await storing()(sqsEvent([...bodies, bodies[3]!, bodies[4]!]))).to.deep.equal({
      batchItemFailures: [],
    });

    const snapshot = await aggregation()(SCHEDULED);
    expect(snapshot).to.deep.equal({
      updated: new Date(T).toISOString(),
      windowStart: new Date(T - 5 * MINUTE).toISOString(),
      windowEnd: new Date(T).toISOString(),
      windowMinutes: 5,
      total: 42,
      counties: [
        { county: 'Tioga', count: 31 },
        { county: 'Kings', count: 10 },
        { county: 'Queens', count: 1 },
      ],
    });
    // What `show` reads.
    expect(await snapshots().latestSnapshot()).to.deep.equal(snapshot);
    expect(JSON.parse(lines[0]!)).to.deep.include({ function: 'aggregation', total: 42, counties: 3 });
  });

  it('slides: a later run drops what left the window and replaces the snapshot', async () => {
    await storing()(
      sqsEvent([sensorEvent(T - MINUTE, 'Tioga'), sensorEvent(T, 'Kings')].map((e) => JSON.stringify(e))),
    );
    expect((await aggregation()()).total).to.equal(2);
    now = T + 4 * MINUTE;
    const later = await aggregation()();
    expect(later.counties).to.deep.equal([{ county: 'Kings', count: 1 }]);
    expect(await snapshots().latestSnapshot()).to.deep.equal(later);
  });

  it('reads its settings from the environment', () => {
    const env = { EVENTS_TABLE: 'events-1', AGGREGATES_TABLE: 'aggregates-1', WINDOW_MINUTES: '15' };
    expect(parseAggregationConfig(env)).to.deep.equal({
      eventsTable: 'events-1',
      aggregatesTable: 'aggregates-1',
      windowMinutes: 15,
    });
    expect(parseAggregationConfig({ ...env, WINDOW_MINUTES: '' }).windowMinutes).to.equal(5);
    expect(() => parseAggregationConfig({ ...env, AGGREGATES_TABLE: '' })).to.throw(
      'AGGREGATES_TABLE is not set',
    );
    expect(() => parseAggregationConfig({ ...env, WINDOW_MINUTES: '-5' })).to.throw(
      'WINDOW_MINUTES must be a positive integer',
    );
  });

  it('stays exact run after run while batches are redelivered, reading raw only what changed', async () => {
    // Seven scheduled runs a minute apart; before each, a minute of events arrives in batches of
    // 100, a third of them delivered twice (the second time in another batch, as SQS may).
    const counties = ['Albany', 'Bronx', 'Cayuga'];
    const stored: SensorEvent[] = [];
    const read: CountStats[] = [];
    const counted = createAggregationHandler({
      events: new DynamoEventRepository(dynamo.documents, tables.eventsTable, {
        onCount: (s) => read.push(s),
      }),
      snapshots: snapshots(),
      windowMinutes: 5,
      now: () => now,
      log: () => {},
    });
    for (let minute = 0; minute < 7; minute++) {
      const fresh = Array.from({ length: 240 }, (_, i) =>
        sensorEvent(now + 250 * i + 1, counties[(i + minute) % 3]!),
      );
      stored.push(...fresh);
      const bodies = fresh.map((e) => JSON.stringify(e));
      const again = bodies.filter((_, i) => i % 3 === 0);
      for (const batch of [
        bodies.slice(0, 100),
        bodies.slice(100, 200),
        [...bodies.slice(200), ...again.slice(0, 40)],
        again.slice(40),
      ])
        expect(await storing()(sqsEvent(batch))).to.deep.equal({ batchItemFailures: [] });
      now += MINUTE;
      const snapshot = await counted(SCHEDULED);
      const expected = new Map<string, number>();
      for (const e of stored)
        if (e.time > now - 5 * MINUTE && e.time <= now)
          expected.set(e.county, (expected.get(e.county) ?? 0) + 1);
      expect(snapshot.total, `run ${minute}`).to.equal([...expected.values()].reduce((a, b) => a + b, 0));
      expect(new Map(snapshot.counties.map((c) => [c.county, c.count]))).to.deep.equal(expected);
      // Each run reads raw the minute stored since the previous one, and the two edges, no more.
      expect(read.at(-1)!.events, `run ${minute}`).to.be.at.most(240 + 8);
    }
  });

  it('writes an empty snapshot for an empty window', async () => {
    const snapshot = await aggregation()();
    expect(snapshot).to.deep.include({ total: 0, counties: [] });
    expect(await snapshots().latestSnapshot()).to.deep.equal(snapshot);
  });
});

/**
 * Two aggregations at once (the schedule's and `sensorpipe aggregate`, or two schedules' runs) must
 * never leave a wrong snapshot: the one kept is the run with the newest `now`, whole, whatever order
 * the runs write in. The conditional snapshot write ensures it on both targets; these race many runs
 * with different times, writing in an order where the newest run is not the last to write.
 */
describe('aggregation function, concurrent runs', () => {
  /** 2,400 events over 20 minutes, at uneven times and counties (a fixed pseudo-random sequence). */
  const EVENTS: SensorEvent[] = (() => {
    let seed = 20_261_201;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const counties = ['Albany', 'Bronx', 'Cayuga', 'Delaware', 'Erie', 'Fulton', 'Genesee'];
    return Array.from({ length: 2400 }, () =>
      sensorEvent(T - 20 * MINUTE + Math.floor(next() * 20 * MINUTE), counties[Math.floor(next() * 7)]!),
    );
  })();
  /**
   * Run times 5 s apart: each run's window differs from the others'. Runs that overlap are within the
   * aggregation function's timeout of each other, which is at most CLOCK_SKEW_MS (a snapshot more than
   * that ahead is a clock error, and replaced): 55 s from the first to the last.
   */
  const NOWS = Array.from({ length: 12 }, (_, i) => T - 5 * MINUTE + i * 5_000 + 500);
  /** The order in which the runs write: the newest (11) third, so 9 older runs write after it. */
  const WRITE_ORDER = [4, 9, 11, 0, 7, 2, 10, 5, 1, 8, 3, 6];

  /** What a run at `now` must write, computed here from the events: (now - 5 min, now], by count then name. */
  function expectedSnapshot(now: number): Snapshot {
    const counts = new Map<string, number>();
    for (const e of EVENTS)
      if (e.time > now - 5 * MINUTE && e.time <= now) counts.set(e.county, (counts.get(e.county) ?? 0) + 1);
    const counties = [...counts]
      .map(([county, count]) => ({ county, count }))
      .sort((a, b) => b.count - a.count || a.county.localeCompare(b.county));
    return {
      updated: new Date(now).toISOString(),
      windowStart: new Date(now - 5 * MINUTE).toISOString(),
      windowEnd: new Date(now).toISOString(),
      windowMinutes: 5,
      total: counties.reduce((sum, c) => sum + c.count, 0),
      counties,
    };
  }

  it('the runs differ: every one of them counts a different window, all within the clock skew', () => {
    expect(NOWS.at(-1)! - NOWS[0]!).to.be.below(CLOCK_SKEW_MS);
    const totals = NOWS.map((now) => JSON.stringify(expectedSnapshot(now).counties));
    expect(new Set(totals).size).to.equal(NOWS.length);
    expect(WRITE_ORDER.slice().sort((a, b) => a - b)).to.deep.equal(NOWS.map((_, i) => i));
  });

  describe('on DynamoDB (dynalite)', () => {
    let dynamo: LocalDynamo;
    before(async () => {
      dynamo = await startDynalite();
    });
    after(async () => {
      await dynamo.close();
    });

    it("keeps the newest run's snapshot, whole, though 9 older runs write after it", async () => {
      const tables = await dynamo.createTables();
      // A few partitions at a time per run, so that the runs share the client's 50 sockets.
      const events = new DynamoEventRepository(dynamo.documents, tables.eventsTable, { readConcurrency: 4 });
      await events.putEvents(
        EVENTS.map((e) => storedEvent(e.time, e.county, e.data as Record<string, string>)),
      );
      // Each run counts at once, then waits its turn to write: the turn WRITE_ORDER gives it.
      const turnOf = (run: number) => WRITE_ORDER.indexOf(run);
      const runs = NOWS.map((now, run) => {
        const delayed: EventRepository = {
          putEvents: (items) => events.putEvents(items),
          countByCounty: async (window) => {
            const counts = await events.countByCounty(window);
            await sleep(40 * turnOf(run));
            return counts;
          },
        };
        return createAggregationHandler({
          events: delayed,
          snapshots: new DynamoSnapshotRepository(dynamo.documents, tables.aggregatesTable),
          windowMinutes: 5,
          now: () => now,
          log: () => {},
        });
      });
      const written = await Promise.all(runs.map((handler) => handler()));
      for (const [run, snapshot] of written.entries()) {
        expect(snapshot, `run ${run}`).to.deep.equal(expectedSnapshot(NOWS[run]!));
      }
      const kept = await new DynamoSnapshotRepository(
        dynamo.documents,
        tables.aggregatesTable,
      ).latestSnapshot();
      expect(kept).to.deep.equal(expectedSnapshot(NOWS.at(-1)!));
    });
  });

  describe('on the local target (one process per run, each on its own connection)', () => {
    let dir: string;
    beforeEach(() => {
      dir = makeTempDir();
    });
    afterEach(() => {
      removeTempDir(dir);
    });

    it("keeps the newest run's snapshot, whole, though older runs write after it", async function () {
      this.timeout(60_000);
      const stack = 'race';
      const clock = fakeClock(T);
      const target = new LocalTarget({ dataDir: dir, stackName: stack, clock });
      await target.deploy({ ScheduleEnabled: false });
      const session = await target.openStream();
      const outgoing: OutgoingEvent[] = EVENTS.map(({ data, ...e }) => ({
        ...e,
        dataJson: JSON.stringify(data),
      }));
      expect((await session.sender.send(outgoing)).sent).to.equal(EVENTS.length);
      await session.finish();
      await target.close();

      // Six runs; the newest writes second, and four older ones after it.
      const chosen = [0, 3, 5, 8, 10, 11];
      const order = [8, 11, 0, 10, 3, 5];
      const script = fileURLToPath(new URL('../../testkit/local-aggregation.ts', import.meta.url));
      const go = path.join(dir, 'go');
      const running = chosen.map((run) => {
        const ready = path.join(dir, `ready-${run}`);
        const delay = 150 * order.indexOf(run);
        const child = run_(script, [dir, stack, String(NOWS[run]), String(delay), ready, go]);
        return { run, ready, child };
      });
      const deadline = Date.now() + 30_000;
      while (!running.every((r) => fs.existsSync(r.ready))) {
        if (Date.now() > deadline) expect.fail('the aggregation processes did not start');
        await sleep(20);
      }
      fs.writeFileSync(go, '');
      for (const { run, child } of running) {
        expect(JSON.parse((await child).stdout), `run ${run}`).to.deep.equal(expectedSnapshot(NOWS[run]!));
      }
      const reader = new LocalTarget({ dataDir: dir, stackName: stack, clock });
      try {
        expect(await reader.latestSnapshot()).to.deep.equal(expectedSnapshot(NOWS[11]!));
      } finally {
        await reader.close();
      }
    });

    function run_(script: string, args: string[]) {
      return run(process.execPath, ['--import', 'tsx', script, ...args], { timeout: 30_000 });
    }
  });
});
