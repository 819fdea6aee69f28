import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { StoredEvent } from '../../src/core/event.js';
import { uuidv7 } from '../../src/core/id.js';
import { defaultParameters } from '../../src/core/parameters.js';
import { type TimeWindow, windowAt } from '../../src/core/window.js';
import {
  DynamoEventRepository,
  documentClientOf,
  eventItem,
} from '../../src/targets/aws/dynamo-repositories.js';
import { secondsPartition } from '../../src/targets/aws/keys.js';
import { type CountStats, emptyCountStats } from '../../src/targets/aws/window-counts.js';
import { startDynalite } from '../../testkit/aws/dynalite.js';
import {
  catchUpShape,
  fullReadShape,
  MODEL,
  type RunShape,
  runCost,
  steadyShape,
} from '../lib/aggregation-model.js';
import type { BenchContext, Section } from '../lib/context.js';
import { readEveryEvent } from '../lib/original-aggregation.js';
import { int, type Row } from '../lib/report.js';
import { itemBytes } from './aws.js';

const WINDOW_MINUTES = 5;
/** Events in the window: 10,000 events/s fills a 5-minute window with 3,000,000. */
const SIZES = [10_000, 100_000, 1_000_000, 3_000_000];
/** What dynalite holds in reasonable time and memory here; larger sizes are modelled only. */
const MEASURED = {
  quick: 10_000,
  full: 100_000,
  /** SENSORPIPE_BENCH_DYNALITE_MAX=1000000: 1M events take dynalite ~10 minutes and ~2 GB here. */
  asked: Number(process.env.SENSORPIPE_BENCH_DYNALITE_MAX) || undefined,
};
const GOAL_MS = 20_000;
const READ_CONCURRENCY = 16;
const AWS_DEFAULTS = defaultParameters('aws') as { AggregationMemorySize: number; BatchSize: number };

/**
 * The aggregation on AWS as the window fills: for 10k, 100k, 1M and 3M events in the window, what a
 * run reads (events, records, pages, read units) and how long it takes, in the original design (every
 * raw event of the window) and in this one (per-second counts: steady state, and a catch-up with
 * nothing cached). Client CPU per item is measured here, deserializing canned 1 MB pages through the
 * SDK; wall time on dynalite up to 1M events; the run on DynamoDB is modelled (bench/lib/aggregation-model.ts).
 */
export const awsAggregation: Section = {
  name: 'aws-aggregation',
  title: 'The aggregation on AWS as the window fills',
  async run(ctx) {
    const meanItem = meanItemBytes(ctx);
    ctx.log(`raw event items of ${int(meanItem)} bytes on average (the dataset's rows)`);
    const cpu = await measureCpu(ctx, meanItem);
    const measured = await measureDynalite(ctx, meanItem);
    const memory = AWS_DEFAULTS.AggregationMemorySize;

    const rows: Row[] = [
      {
        figure: 'client CPU per raw event read, this design (county and time, 1 MB pages)',
        value: `${cpu.newPerItemUs.toFixed(2)} µs`,
        target: 'info',
        met: null,
        detail: `one core of this machine, SDK deserializing and tallying canned Query pages of ${int(cpu.itemsPerPage)} items (1 MB of ~${int(meanItem)}-byte items); ${cpu.perRequestMs.toFixed(2)} ms more per request (measured on empty pages); original design (county only): ${cpu.oldPerItemUs.toFixed(2)} µs`,
      },
    ];
    for (const n of SIZES) {
      const m = measured.get(n);
      const ours = { perItemUs: cpu.newPerItemUs, perRequestMs: cpu.perRequestMs };
      const original = { perItemUs: cpu.oldPerItemUs, perRequestMs: cpu.perRequestMs };
      const designs: [string, RunShape, typeof ours, { ms: number; stats?: CountStats } | undefined][] = [
        ['original design (every raw event)', fullReadShape(n, WINDOW_MINUTES, meanItem), original, m?.full],
        [
          'this design, steady state (runs a minute apart)',
          steadyShape(n, WINDOW_MINUTES, meanItem),
          ours,
          m?.steady,
        ],
        [
          'this design, catch-up (nothing cached)',
          catchUpShape(n, WINDOW_MINUTES, meanItem),
          ours,
          m?.catchUp,
        ],
      ];
      for (const [design, shape, perItem, seen] of designs) {
        const cost = runCost(shape, perItem, memory, READ_CONCURRENCY);
        const at512 = runCost(shape, perItem, 512, READ_CONCURRENCY);
        const steady10k = n === 3_000_000 && design.includes('steady');
        rows.push({
          figure: `${int(n)} events in the window, ${design}: modelled run on DynamoDB`,
          value: seconds(cost.durationMs.published),
          target: steady10k ? `< ${GOAL_MS / 1000} s at 10,000 events/s` : 'info',
          met: steady10k
            ? cost.durationMs.published < GOAL_MS && cost.durationMs.pessimistic < GOAL_MS
            : null,
          headline: n === 3_000_000,
          detail: [
            `reads ${int(shape.events)} events + ${int(shape.records)} records in ${int(shape.pages)} pages, ${int(shape.readUnits)} read units`,
            seen?.stats
              ? `(dynalite: ${int(seen.stats.events)} + ${int(seen.stats.records)} in ${int(seen.stats.rawPages + seen.stats.recordPages)} pages, ${int(seen.stats.readUnits)} units)`
              : '',
            `CPU ${seconds(cost.cpuMs)} on one vCPU; at ${int(memory)} MB ${seconds(cost.durationMs.published)} (page ${MODEL.pageLatencyMs.published} ms) or ${seconds(cost.durationMs.pessimistic)} (page ${MODEL.pageLatencyMs.pessimistic} ms); at 512 MB ${seconds(at512.durationMs.published)} or ${seconds(at512.durationMs.pessimistic)}; ${READ_CONCURRENCY} Queries in flight`,
            seen
              ? `wall time on dynalite ${seconds(seen.ms)}`
              : `not run on dynalite (${ctx.quick ? '--quick' : 'too slow on it here: modelled; SENSORPIPE_BENCH_DYNALITE_MAX raises the limit'})`,
          ]
            .filter(Boolean)
            .join('; '),
        });
      }
    }
    rows.push(...scaleRows(meanItem, cpu, memory));
    return rows;
  },
};

/** Rates whose windows are the sizes above, and the key design's ceiling (16 shards x 1,000 writes/s). */
const RATES = [33, 333, 3_333, 10_000, 16_000];

/**
 * The scale table: per rate, the hottest partition's writes, what a run reads and how long it takes,
 * and the units and dollars per day, next to the original design's reads. Batches fill to BatchSize
 * or close after the default 1 s batching window; a batch touches 1 + its span in seconds.
 */
function scaleRows(
  meanItem: number,
  cpu: { newPerItemUs: number; perRequestMs: number },
  memory: number,
): Row[] {
  const batchSize = AWS_DEFAULTS.BatchSize;
  return RATES.map((rate) => {
    const inWindow = rate * WINDOW_MINUTES * 60;
    const steady = runCost(
      steadyShape(inWindow, WINDOW_MINUTES, meanItem),
      { perItemUs: cpu.newPerItemUs, perRequestMs: cpu.perRequestMs },
      memory,
      READ_CONCURRENCY,
    );
    const full = fullReadShape(inWindow, WINDOW_MINUTES, meanItem);
    const batch = Math.min(batchSize, rate);
    const counterWrites = rate / batch + 1;
    const rawPerShard = rate / 16;
    const perDay = 86_400;
    const eventUnits = Math.ceil(meanItem / MODEL.writeUnitBytes);
    const writeUnits =
      rate * perDay * eventUnits + counterWrites * perDay + steady.countsWritten * MODEL.runsPerDay;
    const readUnits = steady.readUnits * MODEL.runsPerDay;
    const fullReadUnits = full.readUnits * MODEL.runsPerDay;
    const lambda =
      MODEL.runsPerDay *
      ((steady.durationMs.published / 1000) * (memory / 1024) * MODEL.prices.gbSecond +
        MODEL.prices.invocation);
    const dynamo = readUnits * MODEL.prices.readUnit + writeUnits * MODEL.prices.writeUnit;
    const million = (n: number) => `${(n / 1e6).toFixed(n < 1e7 ? 2 : 0)}M`;
    return {
      figure: `scale: ${int(rate)} events/s (${int(inWindow)} in the window)`,
      value: seconds(steady.durationMs.published),
      target: 'info',
      met: null,
      detail: [
        `hottest partition ${int(Math.max(rawPerShard, counterWrites))} writes/s (raw events ${int(rawPerShard)}/s a shard, per-second counters ${int(counterWrites)}/s)${rawPerShard > 1000 ? ": over DynamoDB's 1,000 a partition" : ''}`,
        `a run reads ${int(steady.events + steady.records)} items (original design ${int(inWindow)}) in ~${seconds(steady.durationMs.published)} (pessimistic ${seconds(steady.durationMs.pessimistic)}) at ${int(memory)} MB`,
        `${million(readUnits)} RRU/day (original ${million(fullReadUnits)}), ${million(writeUnits)} WRU/day`,
        `DynamoDB $${dynamo.toFixed(2)}/day (reads $${(readUnits * MODEL.prices.readUnit).toFixed(2)}; original design's reads $${(fullReadUnits * MODEL.prices.readUnit).toFixed(2)}), aggregation Lambda $${lambda.toFixed(2)}/day`,
      ].join('; '),
    };
  });
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function meanItemBytes(ctx: BenchContext): number {
  const rows = ctx.dataset.rows;
  const sizes = rows.map((row, i) =>
    itemBytes(
      eventItem({
        id: uuidv7(i),
        time: 1_735_732_830_250 + i,
        county: row.county,
        data: row.data,
        expiresAt: 1_735_736_430,
      }),
    ),
  );
  return sizes.reduce((a, b) => a + b, 0) / sizes.length;
}

/**
 * CPU of the client per item and per request: canned Query answers (pages of 1 MB of items, as
 * DynamoDB would read them) replayed through the real client stack (SDK deserializer, document
 * client, the counter's tally), with no server or socket in the measurement.
 */
async function measureCpu(ctx: BenchContext, meanItem: number) {
  const itemsPerPage = Math.floor(MODEL.pageBytes / meanItem);
  const pagesPerQuery = 4;
  const counties = [...new Set(ctx.dataset.rows.map((r) => r.county))];
  const start = 1_735_732_830_250;
  const page = (withTime: boolean, last: boolean, n: number) =>
    Buffer.from(
      JSON.stringify({
        Count: itemsPerPage,
        ScannedCount: itemsPerPage,
        Items: Array.from({ length: itemsPerPage }, (_, i) => ({
          county: { S: counties[i % counties.length] },
          // 625 events/s in a shard (10,000/s over 16): a page spans a few seconds, as in a real one.
          ...(withTime ? { time: { N: String(start + Math.floor(i * 1.6)) } } : {}),
        })),
        ...(last ? {} : { LastEvaluatedKey: { pk: { S: 'p' }, sk: { S: String(n) } } }),
        ConsumedCapacity: { TableName: 't', CapacityUnits: 256 },
      }),
    );
  const pages = {
    time: Array.from({ length: pagesPerQuery }, (_, n) => page(true, n === pagesPerQuery - 1, n)),
    county: Array.from({ length: pagesPerQuery }, (_, n) => page(false, n === pagesPerQuery - 1, n)),
    empty: Buffer.from(JSON.stringify({ Count: 0, ScannedCount: 0, Items: [] })),
  };
  let empty = false;
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    requestHandler: {
      handle: async (request: { body: Uint8Array }) => {
        const input = JSON.parse(new TextDecoder().decode(request.body)) as {
          ExpressionAttributeValues: Record<string, { S: string }>;
          ExclusiveStartKey?: { sk: { S: string } };
          ProjectionExpression?: string;
        };
        const n = input.ExclusiveStartKey ? Number(input.ExclusiveStartKey.sk.S) + 1 : 0;
        const records = input.ExpressionAttributeValues[':pk']!.S.endsWith('#s');
        const body =
          empty || records
            ? pages.empty
            : (input.ProjectionExpression?.includes('time') ? pages.time : pages.county)[n]!;
        return {
          response: {
            statusCode: 200,
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: Readable.from([body]),
          },
        };
      },
    } as never,
  });
  const documents = documentClientOf(client);
  const window = windowAt(start, 1);
  const repository = new DynamoEventRepository(documents, 't', { readConcurrency: 1 });
  const perItem = async (count: () => Promise<unknown>, items: number) => {
    await count(); // warm up
    const rounds = ctx.quick ? 2 : 6;
    const before = process.cpuUsage();
    for (let i = 0; i < rounds; i++) await count();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / (rounds * items);
  };
  // A window of one minute spans 2 minutes x 16 shards of raw Queries.
  const queries = 2 * 16;
  const items = queries * pagesPerQuery * itemsPerPage;
  ctx.log(`client CPU: ${int(items)} canned items per count, 1 MB pages...`);
  const newPerItemUs = await perItem(() => repository.countByCounty(window), items);
  const oldPerItemUs = await perItem(() => readEveryEvent(documents, 't', window, READ_CONCURRENCY), items);
  empty = true;
  const requests = queries + 2; // and one Query per minute of per-second records
  const perRequestMs = (await perItem(() => repository.countByCounty(window), requests)) / 1000;
  client.destroy();
  return { itemsPerPage, newPerItemUs, oldPerItemUs, perRequestMs };
}

interface Measured {
  full: { ms: number; stats: CountStats };
  catchUp: { ms: number; stats: CountStats };
  steady: { ms: number; stats: CountStats };
}

/**
 * Wall time on dynalite: N events over the window ending at `now` (the dataset's rows, written with
 * the storing path's putEvents, counters included), then the original design's full read, a
 * catch-up run (nothing cached), and a steady run: a run at now - 60 s caches what it counts, and
 * the run at `now` reads the last minute raw. Each count is checked against N.
 */
async function measureDynalite(ctx: BenchContext, meanItem: number): Promise<Map<number, Measured>> {
  const out = new Map<number, Measured>();
  const limit = ctx.quick ? MEASURED.quick : (MEASURED.asked ?? MEASURED.full);
  const dynamo = await startDynalite();
  try {
    for (const n of SIZES.filter((size) => size <= limit)) {
      const { eventsTable } = await dynamo.createTables();
      const now = Date.now();
      const window = windowAt(now, WINDOW_MINUTES);
      const span = window.end - window.start;
      ctx.log(`dynalite, ${int(n)} events: writing them (~${int((n * meanItem) / 1e6)} MB)...`);
      const writer = new DynamoEventRepository(dynamo.documents, eventsTable, { writeConcurrency: 8 });
      const t0 = performance.now();
      for (let at = 0; at < n; at += 10_000) {
        const events: StoredEvent[] = [];
        for (let i = at; i < Math.min(n, at + 10_000); i++) {
          const row = ctx.dataset.rows[i % ctx.dataset.rows.length]!;
          const time = window.start + 1 + Math.floor((i * span) / n);
          events.push({
            id: uuidv7(time),
            time,
            county: row.county,
            data: row.data,
            expiresAt: Math.floor(time / 1000) + 3600,
          });
        }
        const { failedIds } = await writer.putEvents(events);
        if (failedIds.length > 0) throw new Error(`${failedIds.length} events not written`);
      }
      ctx.log(`dynalite, ${int(n)} events: written in ${seconds(performance.now() - t0)}; counting...`);

      const timed = async (count: () => Promise<Map<string, number>>, label: string) => {
        const start = performance.now();
        const counts = await count();
        const ms = performance.now() - start;
        const total = [...counts.values()].reduce((a, b) => a + b, 0);
        if (total !== n) throw new Error(`${label} counted ${total} of ${n} events`);
        return ms;
      };
      const fullStats = emptyCountStats();
      const full = await timed(
        () =>
          readEveryEvent(dynamo.documents, eventsTable, window, READ_CONCURRENCY, (items, units) => {
            fullStats.rawPages++;
            fullStats.events += items;
            fullStats.readUnits += units;
          }),
        'the full read',
      );
      let last: CountStats | undefined;
      const counter = new DynamoEventRepository(dynamo.documents, eventsTable, {
        readConcurrency: READ_CONCURRENCY,
        onCount: (stats) => {
          last = stats;
        },
      });
      // Steady state: the run a minute before `now` counted and cached its window; the run at `now`
      // reads the minute since raw.
      await counter.countByCounty(windowAt(now - 60_000, WINDOW_MINUTES));
      const steady = await timed(() => counter.countByCounty(window), 'the steady run');
      const steadyStats = last!;
      // Catch-up: the cached counts gone, as after a pause longer than the window.
      await dropCachedCounts(dynamo.documents, eventsTable, window);
      const catchUp = await timed(() => counter.countByCounty(window), 'the catch-up run');
      out.set(n, {
        full: { ms: full, stats: fullStats },
        catchUp: { ms: catchUp, stats: last! },
        steady: { ms: steady, stats: steadyStats },
      });
      await dynamo.client.send(new DeleteTableCommand({ TableName: eventsTable }));
    }
  } finally {
    await dynamo.close();
  }
  return out;
}

/** Deletes the cached counts of the window's seconds (their counters stay). */
async function dropCachedCounts(
  documents: Pick<DynamoDBDocumentClient, 'send'>,
  table: string,
  window: TimeWindow,
): Promise<void> {
  const keys: Record<string, string>[] = [];
  for (let minute = Math.floor(window.start / 60_000); minute <= Math.floor(window.end / 60_000); minute++) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await documents.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'pk' },
          ExpressionAttributeValues: { ':pk': secondsPartition(minute) },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? [])
        if (String(item.sk).endsWith('#counts')) keys.push({ pk: String(item.pk), sk: String(item.sk) });
      startKey = out.LastEvaluatedKey;
    } while (startKey);
  }
  for (let at = 0; at < keys.length; at += 25) {
    await documents.send(
      new BatchWriteCommand({
        RequestItems: { [table]: keys.slice(at, at + 25).map((Key) => ({ DeleteRequest: { Key } })) },
      }),
    );
  }
}
