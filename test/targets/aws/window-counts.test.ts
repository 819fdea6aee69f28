import { ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { expect } from 'chai';
import type { StoredEvent } from '../../../src/core/event.js';
import { splitWindow, type TimeWindow, windowAt } from '../../../src/core/window.js';
import {
  DynamoEventRepository,
  type DynamoEventRepositoryOptions,
} from '../../../src/targets/aws/dynamo-repositories.js';
import { SECONDS_PARTITION_SUFFIX, secondRecordKey } from '../../../src/targets/aws/keys.js';
import {
  type CountStats,
  MAX_COUNTS_JSON,
  markedBetween,
  RECENT_SECONDS,
  type StoringMarks,
} from '../../../src/targets/aws/window-counts.js';
import { type LocalDynamo, startDynalite, storedEvent } from '../../../testkit/aws/dynalite.js';
import { instantClock } from '../../../testkit/clock.js';

/** 12:00:30.250: the default window spans parts of 6 minutes. */
const T = Date.UTC(2025, 0, 1, 12, 0, 30, 250);
const COUNTIES = ['Albany', 'Bronx', 'Cayuga', 'Delaware', 'Erie'];

type Send = (command: unknown) => Promise<unknown>;

/** Replaces the client's `send` on this instance only; `wrap` gets the real one. */
function interceptSend(client: DynamoDBDocumentClient, wrap: (real: Send) => Send): () => void {
  const real = client.send.bind(client) as Send;
  const mutable = client as unknown as { send: Send };
  mutable.send = wrap(real);
  return () => {
    mutable.send = real;
  };
}

function throttled(): Error {
  const error = new Error('Rate exceeded');
  error.name = 'ProvisionedThroughputExceededException';
  return Object.assign(error, { $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

/** Events at `perSecond` a second over (from, to], counties in turn; ids are UUIDv7 of their times. */
function eventsBetween(from: number, to: number, perSecond: number): StoredEvent[] {
  const events: StoredEvent[] = [];
  const step = 1000 / perSecond;
  for (let t = from + step, i = 0; t <= to; t += step, i++)
    events.push(storedEvent(Math.floor(t), COUNTIES[i % COUNTIES.length]!));
  return events;
}

/** What a count must say: the distinct events of `stored` in the window, per county. */
function truth(
  stored: Iterable<StoredEvent>,
  window: TimeWindow,
  keep: (e: StoredEvent) => boolean = () => true,
) {
  const counts: Record<string, number> = {};
  const seen = new Set<string>();
  for (const e of stored) {
    if (seen.has(e.id) || e.time <= window.start || e.time > window.end || !keep(e)) continue;
    seen.add(e.id);
    counts[e.county] = (counts[e.county] ?? 0) + 1;
  }
  return counts;
}

const sorted = (counts: Map<string, number> | Record<string, number>) =>
  Object.fromEntries(Object.entries(counts instanceof Map ? Object.fromEntries(counts) : counts).sort());
const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

describe('per-second counts on DynamoDB (dynalite): the aggregation as the window fills', () => {
  let dynamo: LocalDynamo;
  let eventsTable: string;
  let restore: (() => void) | undefined;
  let stats: CountStats[];
  let marks: StoringMarks[];

  before(async () => {
    dynamo = await startDynalite();
  });
  after(async () => {
    await dynamo.close();
  });
  beforeEach(async () => {
    ({ eventsTable } = await dynamo.createTables());
    stats = [];
    marks = [];
  });
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  /** joinBelow 0: every cached second is used, so the reads can be predicted exactly. */
  const repo = (options: DynamoEventRepositoryOptions = {}) =>
    new DynamoEventRepository(dynamo.documents, eventsTable, {
      clock: instantClock(),
      random: () => 0.5,
      plan: { joinBelow: 0 },
      onCount: (s, m) => {
        stats.push(s);
        marks.push(m);
      },
      ...options,
    });

  /** The per-second records, by second: the counter and the cached counts. */
  async function records(): Promise<Map<number, { changes?: number; version?: number; counts?: string }>> {
    const { Items = [] } = await dynamo.client.send(new ScanCommand({ TableName: eventsTable }));
    const out = new Map<number, { changes?: number; version?: number; counts?: string }>();
    for (const item of Items) {
      if (!item.pk?.S?.endsWith(SECONDS_PARTITION_SUFFIX)) continue;
      const [second, kind] = item.sk!.S!.split('#');
      const record = out.get(Number(second)) ?? {};
      out.set(Number(second), record);
      if (kind === 'changes') record.changes = Number(item.changes?.N);
      else {
        record.version = Number(item.version?.N);
        record.counts = item.counts?.S;
      }
    }
    return out;
  }

  describe('storing', () => {
    it("adds to each second's counter how many events it wrote there, after writing them", async () => {
      const order: string[] = [];
      restore = interceptSend(dynamo.documents, (real) => async (command) => {
        if (command instanceof BatchWriteCommand) order.push('write');
        if (command instanceof UpdateCommand) order.push('mark');
        return real(command);
      });
      const events = eventsBetween(T - 3000, T, 10);
      expect(await repo().putEvents(events)).to.deep.equal({ failedIds: [] });
      expect(order.indexOf('mark')).to.be.greaterThan(order.lastIndexOf('write'));
      const counters = await records();
      const perSecond = new Map<number, number>();
      for (const e of events)
        perSecond.set(Math.floor(e.time / 1000), (perSecond.get(Math.floor(e.time / 1000)) ?? 0) + 1);
      expect(perSecond.size).to.equal(4);
      expect(new Map([...counters].map(([second, r]) => [second, r.changes]))).to.deep.equal(perSecond);
      // A redelivery writes the same items again and marks their seconds again.
      await repo().putEvents(events.slice(0, 4));
      expect((await records()).get(Math.floor(events[0]!.time / 1000))!.changes).to.equal(
        counters.get(Math.floor(events[0]!.time / 1000))!.changes! + 4,
      );
    });

    it('fails the events of a second it could not mark, and marks them when they come again', async () => {
      const bad = Math.floor(T / 1000);
      restore = interceptSend(dynamo.documents, (real) => async (command) => {
        if (command instanceof UpdateCommand && command.input.Key?.sk === secondRecordKey(bad, 'changes').sk)
          throw throttled();
        return real(command);
      });
      const events = eventsBetween(T - 2000, T, 10);
      const inBad = events.filter((e) => Math.floor(e.time / 1000) === bad);
      expect(inBad.length).to.be.greaterThan(0);
      const { failedIds } = await repo().putEvents(events);
      expect(failedIds.sort()).to.deep.equal(inBad.map((e) => e.id).sort());
      expect((await records()).get(bad)).to.equal(undefined);
      restore();
      restore = undefined;
      expect(await repo().putEvents(inBad)).to.deep.equal({ failedIds: [] });
      expect((await records()).get(bad)!.changes).to.equal(inBad.length);
      expect(sorted(await repo().countByCounty(windowAt(T, 5)))).to.deep.equal(
        sorted(truth(events, windowAt(T, 5))),
      );
    });
  });

  describe('counting', () => {
    it('caches the seconds it reads raw, and the next run reads raw only what changed since', async () => {
      const first = eventsBetween(T - 90_000, T, 5);
      await repo().putEvents(first);
      const window1 = windowAt(T, 2);
      expect(sorted(await repo().countByCounty(window1))).to.deep.equal(sorted(truth(first, window1)));
      const { firstSecond, endSecond } = splitWindow(window1);
      const counted = new Set(
        first.map((e) => Math.floor(e.time / 1000)).filter((s) => s >= firstSecond && s < endSecond),
      );
      expect(stats[0]).to.deep.include({
        cachedSeconds: 0,
        events: first.length,
        countsWritten: counted.size,
      });

      // 20 s later, 100 more events: the run reads those, and the second at the old `now`, which was
      // an edge then; everything else comes from the cache.
      const later = eventsBetween(T + 500, T + 19_500, 100 / 19);
      expect(later).to.have.length(100);
      await repo().putEvents(later);
      const window2 = windowAt(T + 20_000, 2);
      const all = [...first, ...later];
      expect(sorted(await repo().countByCounty(window2))).to.deep.equal(sorted(truth(all, window2)));
      const readRaw = all.filter((e) => !counted.has(Math.floor(e.time / 1000)));
      expect(stats[1]!.events).to.equal(Object.values(truth(readRaw, window2)).reduce((a, b) => a + b, 0));
      expect(stats[1]!.events).to.be.lessThan(150);
      expect(stats[1]!.cachedSeconds).to.equal([...counted].filter((s) => s * 1000 > window2.start).length);

      // Nothing changed: only the edges are read.
      expect(sorted(await repo().countByCounty(window2))).to.deep.equal(sorted(truth(all, window2)));
      expect(stats[2]!.events).to.be.at.most(10);
      expect(stats[2]!.countsWritten).to.equal(0);
    });

    it('never counts a redelivered event twice, before or after its second was cached', async () => {
      const events = eventsBetween(T - 30_000, T, 20);
      const window = windowAt(T, 1);
      await repo().putEvents(events);
      await repo().putEvents(events.slice(100, 400)); // before any count
      expect(sorted(await repo().countByCounty(window))).to.deep.equal(sorted(truth(events, window)));
      await repo().putEvents([...events.slice(0, 50), ...events.slice(0, 50)]); // after: twice more
      expect(sorted(await repo().countByCounty(window))).to.deep.equal(sorted(truth(events, window)));
      expect(stats[1]!.countsWritten).to.be.within(3, 4); // the seconds of those 50, read again
      expect(sorted(await repo().countByCounty(window))).to.deep.equal(sorted(truth(events, window)));
    });

    it('keeps the newer counts when a run that read an older version caches after a newer one', async () => {
      const second = Math.floor((T - 10_000) / 1000);
      const early = eventsBetween(second * 1000 - 1, second * 1000 + 499, 20);
      const late = eventsBetween(second * 1000 + 499, second * 1000 + 999, 20);
      const window = windowAt(T, 1);
      await repo().putEvents(early);
      // Run A reads the records (version: the early events), then waits before its raw reads.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let paused = false;
      const slow = repo({ readConcurrency: 1 });
      restore = interceptSend(dynamo.documents, (real) => async (command) => {
        const pk =
          command instanceof QueryCommand ? String(command.input.ExpressionAttributeValues?.[':pk']) : '';
        if (!paused && pk !== '' && !pk.endsWith(SECONDS_PARTITION_SUFFIX)) {
          paused = true;
          await gate;
        }
        return real(command);
      });
      const runA = slow.countByCounty(window);
      while (!paused) await new Promise((resolve) => setTimeout(resolve, 5));
      // Meanwhile the late events are stored, and run B counts and caches at the newer version.
      restore();
      restore = undefined;
      await repo().putEvents(late);
      const all = [...early, ...late];
      expect(sorted(await repo().countByCounty(window))).to.deep.equal(sorted(truth(all, window)));
      const afterB = (await records()).get(second)!;
      expect(afterB.version).to.equal(all.length);
      release();
      await runA;
      // A's write (at the older version) was refused: the cached counts are still B's, and current.
      expect((await records()).get(second)).to.deep.equal(afterB);
      expect(sorted(JSON.parse(afterB.counts!))).to.deep.equal(sorted(truth(all, window)));
      expect(sorted(await repo().countByCounty(window))).to.deep.equal(sorted(truth(all, window)));
      expect(stats.at(-1)!.events).to.be.at.most(10);
    });

    it('a run cut short keeps the counts of the minutes it finished, and the next reads only the rest', async () => {
      const events = eventsBetween(T - 180_000, T, 1);
      const window = windowAt(T, 3);
      await repo().putEvents(events);
      const lastMinute = Math.floor(T / 60_000);
      restore = interceptSend(dynamo.documents, (real) => async (command) => {
        const pk =
          command instanceof QueryCommand ? String(command.input.ExpressionAttributeValues?.[':pk']) : '';
        if (pk.startsWith(`${lastMinute}#`) && !pk.endsWith(SECONDS_PARTITION_SUFFIX)) throw throttled();
        return real(command);
      });
      const error = await repo({ readConcurrency: 1 })
        .countByCounty(window)
        .then(
          () => undefined,
          (e: unknown) => e as Error,
        );
      expect(error?.name).to.equal('ProvisionedThroughputExceededException');
      restore();
      restore = undefined;
      const cached = [...(await records())].filter(([, r]) => r.version !== undefined).map(([s]) => s);
      expect(cached.length).to.be.greaterThan(100);
      expect(cached.every((s) => Math.floor(s / 60) < lastMinute)).to.equal(true);

      expect(sorted(await repo().countByCounty(window))).to.deep.equal(sorted(truth(events, window)));
      const inLastMinute = events.filter((e) => Math.floor(e.time / 60_000) === lastMinute);
      const atStartEdge = events.filter((e) => Math.floor(e.time / 1000) === Math.floor(window.start / 1000));
      expect(stats.at(-1)!.events).to.equal(
        Object.values(truth([...inLastMinute, ...atStartEdge], window)).reduce((a, b) => a + b, 0),
      );
    });

    it('races storing (with redeliveries) against counts: each count lies between before and after, the last is exact', async () => {
      const window = windowAt(T, 1);
      const stored: StoredEvent[] = [];
      let completed = 0;
      let started = 0;
      const distinct = () => new Set(stored.map((e) => e.id)).size;
      const writer = async () => {
        for (let round = 0; round < 8; round++) {
          const fresh = eventsBetween(T - 40_000 + round * 3_000, T - 37_000 + round * 3_000, 15);
          const again = stored.slice(round * 10, round * 10 + 20);
          const batch = [...fresh, ...again];
          stored.push(...fresh);
          started = distinct();
          expect(await repo({ writeConcurrency: 2 }).putEvents(batch)).to.deep.equal({ failedIds: [] });
          completed = distinct();
        }
      };
      const counter = async () => {
        const seen: [number, number, number][] = [];
        for (let run = 0; run < 5; run++) {
          const before = completed;
          const counted = total(await repo({ readConcurrency: 4 }).countByCounty(window));
          seen.push([before, counted, started]);
        }
        return seen;
      };
      const [, a, b] = await Promise.all([writer(), counter(), counter()]);
      for (const [before, counted, after] of [...a!, ...b!]) {
        expect(counted, `${before} <= ${counted} <= ${after}`).to.be.within(before, after);
      }
      expect(sorted(await repo().countByCounty(window))).to.deep.equal(sorted(truth(stored, window)));
      // Every second's cached counts that are current are that second's truth.
      for (const [second, record] of await records()) {
        if (record.version === undefined || record.version !== record.changes) continue;
        expect(sorted(JSON.parse(record.counts!)), `second ${second}`).to.deep.equal(
          sorted(truth(stored, window, (e) => Math.floor(e.time / 1000) === second)),
        );
      }
    });

    it("hands on what the counters it read say of the storing side: the newest second, each recent second's marks", async () => {
      const window = windowAt(T, 15);
      // Nothing stored yet: no newest second, nothing marked.
      await repo().countByCounty(window);
      const { endSecond } = splitWindow(window);
      expect(marks[0]).to.deep.equal({
        newestSecond: null,
        from: endSecond - RECENT_SECONDS + 1,
        marked: Array(RECENT_SECONDS).fill(0),
      });
      // 12 minutes of events, 2 a second, then a batch stored twice (a redelivery).
      const events = eventsBetween(T - 720_000, T - 2_000, 2);
      await repo().putEvents(events);
      await repo().putEvents(events.slice(-4));
      await repo().countByCounty(window);
      const [, after] = marks;
      expect(after!.newestSecond).to.equal(Math.floor((T - 2_000) / 1000));
      const recent = events.filter((e) => Math.floor(e.time / 1000) >= after!.from);
      expect(after!.marked.reduce((a, b) => a + b, 0)).to.equal(recent.length + 4);
      // Per second, as the counters say: each event once, each redelivered one once more.
      const expected = Array(RECENT_SECONDS).fill(0);
      for (const e of [...recent, ...events.slice(-4)]) expected[Math.floor(e.time / 1000) - after!.from]++;
      expect(after!.marked).to.deep.equal(expected);
      // Between the two readings: every recent event marked, the redelivered ones twice.
      expect(markedBetween(marks[0]!, after!)).to.equal(recent.length + 4);
      expect(markedBetween(after!, after!)).to.equal(0);
    });

    it('reads a second raw when its cached counts are unreadable or too big to cache', async () => {
      const second = Math.floor((T - 5_000) / 1000);
      const plain = eventsBetween(T - 20_000, T - 10_000, 5);
      const many = Array.from({ length: 3_000 }, (_, i) =>
        storedEvent(second * 1000 + (i % 1000), `County ${i}`),
      );
      const window = windowAt(T, 1);
      await repo().putEvents([...plain, ...many]);
      const all = [...plain, ...many];
      expect(sorted(await repo().countByCounty(window))).to.deep.equal(sorted(truth(all, window)));
      // 3,000 counties: their counts are too big to cache.
      expect(JSON.stringify(truth(many, window)).length).to.be.greaterThan(MAX_COUNTS_JSON);
      expect((await records()).get(second)!.version).to.equal(undefined);
      expect(sorted(await repo().countByCounty(window))).to.deep.equal(sorted(truth(all, window)));
      expect(stats.at(-1)!.events).to.be.at.least(3_000);

      // Unreadable counts at the current version are not used.
      const other = Math.floor(plain[0]!.time / 1000);
      const changes = (await records()).get(other)!.changes!;
      await dynamo.documents.send(
        new PutCommand({
          TableName: eventsTable,
          Item: { ...secondRecordKey(other, 'counts'), version: changes, counts: '{"Albany": "lots"' },
        }),
      );
      expect(sorted(await repo().countByCounty(window))).to.deep.equal(sorted(truth(all, window)));
    });
  });
});

describe('markedBetween: events marked stored between two readings of the counters', () => {
  const reading = (from: number, marked: number[]): StoringMarks => ({ newestSecond: null, from, marked });

  it('counts what grew in the seconds both cover, and all of the seconds after the earlier one', () => {
    // Seconds 100..104 then 102..106: 102 grew by 2, 103 by 0, 104 by 1, 105 and 106 are new.
    expect(markedBetween(reading(100, [5, 5, 3, 4, 1]), reading(102, [5, 4, 2, 7, 1]))).to.equal(
      2 + 0 + 1 + 7 + 1,
    );
  });

  it('never counts a counter lower than before (a second that expired) as negative', () => {
    expect(markedBetween(reading(100, [5, 5]), reading(100, [0, 6]))).to.equal(1);
  });

  it('adds nothing for seconds before the earlier reading covered (a window made longer)', () => {
    expect(markedBetween(reading(100, [1, 1]), reading(90, Array(12).fill(3)))).to.equal(2 + 2);
  });

  it('is zero for the same reading twice, and for readings with nothing marked', () => {
    const same = reading(100, [1, 2, 3]);
    expect(markedBetween(same, same)).to.equal(0);
    expect(markedBetween(reading(0, []), reading(5, []))).to.equal(0);
  });
});
