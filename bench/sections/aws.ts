import { statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mapLimit } from '../../src/core/concurrency.js';
import type { OutgoingEvent, StoredEvent } from '../../src/core/event.js';
import { uuidv7 } from '../../src/core/id.js';
import { DEFAULT_PARAMETERS } from '../../src/core/parameters.js';
import { windowAt } from '../../src/core/window.js';
import { createStoringHandler } from '../../src/functions/storing.js';
import { DynamoEventRepository, eventItem } from '../../src/targets/aws/dynamo-repositories.js';
import { EVENT_SHARDS } from '../../src/targets/aws/keys.js';
import { SqsEventSender } from '../../src/targets/aws/sqs-sender.js';
import { type LocalDynamo, startDynalite } from '../../testkit/aws/dynalite.js';
import { invokeFromQueue } from '../../testkit/aws/event-source-mapping.js';
import { startFauxqs } from '../../testkit/aws/fauxqs.js';
import { fullReadShape, steadyShape } from '../lib/aggregation-model.js';
import type { BenchContext, Section } from '../lib/context.js';
import { ROOT } from '../lib/dataset.js';
import { readEveryEvent } from '../lib/original-aggregation.js';
import { int, median, ms, type Row } from '../lib/report.js';

/**
 * AWS on-demand list prices used for the estimate (us-east-1, as published in 2025; check current
 * pricing for your region): SQS standard, Lambda x86, DynamoDB on-demand.
 */
const PRICES = {
  sqsPerMillionRequests: 0.4,
  lambdaPerMillionInvocations: 0.2,
  lambdaPerGbSecond: 0.0000166667,
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
};
/** Assumed billed durations (the emulators say nothing about Lambda's): one storing invocation. */
const STORING_MS = { batchOf100: 120, batchOf1: 15 };
const STORING_MEMORY_GB = 0.25; // MemorySize 256 in templates/pipeline.yaml
const EVENTS = 1_000;
/** The storing path's timing: events written with one putEvents, then counted in their window. */
const STORED_EVENTS = 10_000;
const STORING_RUNS = 5;

/** Counts the requests of a client, by command name. */
function countRequests(client: SQSClient | DynamoDBClient): Map<string, number> {
  const counts = new Map<string, number>();
  (client.middlewareStack as SQSClient['middlewareStack']).add(
    (next, context) => async (args) => {
      const name = (context as { commandName?: string }).commandName ?? 'unknown';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'sensorpipeRequestCounter' },
  );
  return counts;
}

/** DynamoDB's item size: attribute names plus values (strings in UTF-8, numbers about 1 byte per 2 digits). */
export function itemBytes(item: object): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    if (typeof value === 'string') bytes += Buffer.byteLength(value);
    else if (typeof value === 'number')
      bytes += Math.ceil(String(value).replace(/^-|\./g, '').length / 2) + 1;
  }
  return bytes;
}

const writeUnits = (bytes: number) => Math.ceil(bytes / 1024);

/**
 * Per 1,000 events on the emulators (fauxqs, dynalite): the real SQS producer, an event source
 * mapping played here (ReceiveMessage of 10 until BatchSize, the real storing handler, then
 * DeleteMessageBatch of 10), next to the original design (one SendMessage, one invocation and one
 * PutItem per event, and an aggregation that reads every raw item of the window). Then the estimated
 * cost per million events, and the bundle sizes.
 */
export const aws: Section = {
  name: 'aws',
  title: 'AWS requests and cost per event',
  async run(ctx) {
    const [sqs, dynamo] = await Promise.all([startFauxqs(), startDynalite()]);
    try {
      const queueUrl = await sqs.createQueue();
      const { eventsTable } = await dynamo.createTables();
      const sqsCounts = countRequests(sqs.client);
      const dynamoCounts = countRequests(dynamo.client);

      // The producer: the dataset's rows as the CLI sends them.
      ctx.log(`streaming ${int(EVENTS)} events into fauxqs with SendMessageBatch...`);
      const sender = new SqsEventSender({ client: sqs.client, queueUrl });
      const start = Date.now();
      const events: OutgoingEvent[] = Array.from({ length: EVENTS }, (_, i) => {
        const row = ctx.dataset.rows[i % ctx.dataset.rows.length]!;
        return {
          id: uuidv7(start + i),
          time: start + i,
          county: row.county,
          dataJson: JSON.stringify(row.data),
        };
      });
      for (let i = 0; i < events.length; i += sender.maxBatchSize)
        await sender.send(events.slice(i, i + sender.maxBatchSize));

      // The event source mapping at the default BatchSize, with the storing function as shipped.
      ctx.log(`consuming them at BatchSize ${DEFAULT_PARAMETERS.BatchSize} through the storing handler...`);
      const storing = createStoringHandler({
        events: new DynamoEventRepository(dynamo.documents, eventsTable),
        ttlMinutes: DEFAULT_PARAMETERS.EventTtlMinutes,
        log: () => {},
      });
      let invocations = 0;
      let stored = 0;
      let emptyReceives = 0;
      for (;;) {
        const invocation = await invokeFromQueue(sqs.client, queueUrl, DEFAULT_PARAMETERS.BatchSize, storing);
        if (invocation.emptyReceive) emptyReceives++;
        if (invocation.received === 0) break;
        invocations++;
        stored += invocation.deleted;
      }

      const itemSizes = events.map((e) => {
        const { dataJson, ...rest } = e;
        const item: StoredEvent = {
          ...rest,
          data: JSON.parse(dataJson),
          expiresAt: Math.floor(e.time / 1000) + 3600,
        };
        return itemBytes(eventItem(item));
      });
      const wru = itemSizes.reduce((sum, bytes) => sum + writeUnits(bytes), 0);
      const meanItem = itemSizes.reduce((a, b) => a + b, 0) / itemSizes.length;
      // Receives of an empty queue happen in both designs alike (Lambda's pollers keep polling): not counted.
      const sqsOurs = [...sqsCounts.values()].reduce((a, b) => a + b, 0) - emptyReceives;
      const sqsDetail = [...sqsCounts].map(([name, n]) => `${name.replace('Command', '')} ${n}`).join(', ');
      const sqsOriginal = 3 * EVENTS; // SendMessage, a receive and a DeleteMessage per event
      const writes = dynamoCounts.get('BatchWriteItemCommand') ?? 0;
      // The per-second counters the storing function marks after its writes: a small item, 1 WRU each.
      const marks = dynamoCounts.get('UpdateItemCommand') ?? 0;
      const wruOurs = wru + marks;

      // One aggregation with N events in the default window: a run a minute after the previous one,
      // which reads raw the minute since (bench/lib/aggregation-model.ts), vs every raw item of the window.
      const aggregationRows: Row[] = [];
      const minutes = DEFAULT_PARAMETERS.WindowMinutes;
      for (const n of [1_000, 10_000, 100_000]) {
        const ours = steadyShape(n, minutes, meanItem);
        const original = fullReadShape(n, minutes, meanItem);
        aggregationRows.push({
          figure: `read units of one aggregation, ${int(n)} events in the window`,
          value: `${int(ours.readUnits)} RRU`,
          target: 'info',
          met: null,
          detail: `original design ${int(original.readUnits)} RRU (every raw item of the window, ${(minutes + 1) * EVENT_SHARDS} Queries); ours, a minute after the previous run: ${int(ours.events)} events read raw and ${int(ours.records)} per-second records, ${int(ours.pages)} Queries; strongly consistent, 4 KB units rounded up per Query`,
        });
      }

      // Cost per million events.
      const perMillion = 1_000_000 / EVENTS;
      const lambdaCost = (count: number, ms: number) =>
        (count * PRICES.lambdaPerMillionInvocations) / 1e6 +
        count * (ms / 1000) * STORING_MEMORY_GB * PRICES.lambdaPerGbSecond;
      const costOurs =
        (sqsOurs * perMillion * PRICES.sqsPerMillionRequests) / 1e6 +
        lambdaCost(invocations * perMillion, STORING_MS.batchOf100) +
        (wruOurs * perMillion * PRICES.dynamoPerMillionWriteUnits) / 1e6;
      const costOriginal =
        (sqsOriginal * perMillion * PRICES.sqsPerMillionRequests) / 1e6 +
        lambdaCost(EVENTS * perMillion, STORING_MS.batchOf1) +
        (wru * perMillion * PRICES.dynamoPerMillionWriteUnits) / 1e6;

      const bundles = ['storing', 'aggregation'].map((name) => ({
        name,
        bytes: statSync(join(ROOT, 'dist', 'lambdas', `${name}.js`)).size,
      }));

      return [
        {
          figure: `SQS requests per ${int(EVENTS)} events`,
          value: int(sqsOurs),
          target: `>= 10x fewer than ${int(sqsOriginal)}`,
          met: sqsOurs * 10 <= sqsOriginal && stored === EVENTS,
          detail: `${sqsDetail} (of which ${emptyReceives} empty, not counted: the pollers of either design make those); original design: ${int(EVENTS)} SendMessage + ${int(EVENTS)} receives + ${int(EVENTS)} DeleteMessage; stored ${int(stored)} of ${int(EVENTS)}`,
        },
        {
          figure: `storing invocations per ${int(EVENTS)} events (BatchSize ${DEFAULT_PARAMETERS.BatchSize})`,
          value: int(invocations),
          target: `>= 10x fewer than ${int(EVENTS)}`,
          met: invocations * 10 <= EVENTS,
          detail: 'original design: one invocation per event (batch size 1)',
        },
        {
          figure: `DynamoDB write units per ${int(EVENTS)} events`,
          value: `${int(wruOurs)} WRU`,
          target: 'info',
          met: null,
          detail: `${writes} BatchWriteItem requests, items of ${int(meanItem)} bytes on average, 1 WRU per KB rounded up, as PutItem per event would bill too (${int(wru)} WRU); and ${marks} UpdateItem of a second's counter, 1 WRU each (original design: ${int(wru)} WRU)`,
        },
        ...aggregationRows,
        ...(await storingPath(ctx, dynamo)),
        {
          figure: 'estimated cost per million events',
          value: `$${costOurs.toFixed(2)}`,
          target: `<= half of $${costOriginal.toFixed(2)}`,
          met: costOurs * 2 <= costOriginal,
          detail: `SQS $${PRICES.sqsPerMillionRequests}/M requests, Lambda $${PRICES.lambdaPerMillionInvocations}/M + $${PRICES.lambdaPerGbSecond}/GB-s at 256 MB (assumed ${STORING_MS.batchOf100} ms per batch of 100, ${STORING_MS.batchOf1} ms per event), DynamoDB $${PRICES.dynamoPerMillionWriteUnits}/M WRU; us-east-1 on-demand list prices, 2025. Excludes the per-minute aggregation, which costs the same per hour whatever the traffic`,
        },
        ...bundles.map((b) => ({
          figure: `bundle size, ${b.name} function`,
          value: `${(b.bytes / 1024).toFixed(1)} KiB`,
          target: '< 50 KB',
          met: b.bytes < 50_000,
          detail: `dist/lambdas/${b.name}.js, minified by esbuild, the AWS SDK from the runtime`,
        })),
      ];
    } finally {
      await Promise.all([sqs.close(), dynamo.close()]);
    }
  },
};

/**
 * The storing path's speed on dynalite: STORED_EVENTS dataset rows spread over the 4 minutes before
 * `now`, written with one DynamoEventRepository.putEvents (chunks of 25, 4 in flight, then the
 * counter of each of the 240 seconds), next to the same writes alone (the original design's storing
 * path). Then counted over the default window three ways: the first countByCounty (nothing cached:
 * reads every event and caches 240 seconds), the next one (everything cached: only the edges raw), and
 * the original design's read of every event. Each run uses fresh tables; the figures are medians.
 * dynalite is far slower than DynamoDB: compare runs, not with AWS.
 */
async function storingPath(ctx: BenchContext, dynamo: LocalDynamo): Promise<Row[]> {
  const count = ctx.quick ? 1_000 : STORED_EVENTS;
  const runs = ctx.quick ? 1 : STORING_RUNS;
  const timings = {
    put: [] as number[],
    writesAlone: [] as number[],
    first: [] as number[],
    next: [] as number[],
    original: [] as number[],
  };
  const timed = async <T>(into: number[], work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const result = await work();
    into.push(performance.now() - t0);
    return result;
  };
  for (let run = 0; run < runs; run++) {
    const now = Date.now();
    const events: StoredEvent[] = Array.from({ length: count }, (_, i) => {
      const row = ctx.dataset.rows[i % ctx.dataset.rows.length]!;
      const time = now - Math.floor((i * 4 * 60_000) / count);
      return {
        id: uuidv7(time),
        time,
        county: row.county,
        data: row.data,
        expiresAt: Math.floor(time / 1000) + 3600,
      };
    });
    ctx.log(
      `storing path, run ${run + 1} of ${runs}: putEvents of ${int(count)} events, and the writes alone...`,
    );
    const alone = (await dynamo.createTables()).eventsTable;
    await timed(timings.writesAlone, () => writeAlone(dynamo, alone, events));
    const { eventsTable } = await dynamo.createTables();
    const repository = new DynamoEventRepository(dynamo.documents, eventsTable);
    const { failedIds } = await timed(timings.put, () => repository.putEvents(events));
    if (failedIds.length > 0) throw new Error(`${failedIds.length} events not stored`);
    const window = windowAt(now, DEFAULT_PARAMETERS.WindowMinutes);
    for (const [into, count_] of [
      [timings.first, () => repository.countByCounty(window)],
      [timings.next, () => repository.countByCounty(window)],
      [timings.original, () => readEveryEvent(dynamo.documents, eventsTable, window, 16)],
    ] as const) {
      const counts = await timed(into, count_);
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      if (total !== count) throw new Error(`a count counted ${total} of ${count} events`);
    }
  }
  const spread = (values: number[]) => values.map((v) => v.toFixed(0)).join(', ');
  return [
    {
      figure: `storing path: putEvents of ${int(count)} events (dynalite)`,
      value: ms(median(timings.put), 0),
      target: 'info',
      met: null,
      detail: `${int((count * 1000) / median(timings.put))} events/s; runs ${spread(timings.put)} ms; one call, BatchWriteItem of 25, 4 in flight, then an UpdateItem for each of the 240 seconds the events span; the writes alone (original design) ${ms(median(timings.writesAlone), 0)}, runs ${spread(timings.writesAlone)} ms. A storing invocation's batch of 100 spans one or two seconds: 1 or 2 UpdateItem for 4 BatchWriteItem`,
    },
    {
      figure: `storing path: countByCounty of ${int(count)} events (dynalite)`,
      value: ms(median(timings.next), 0),
      target: 'info',
      met: null,
      detail: `a count with every second cached (only the window's edges read raw), runs ${spread(timings.next)} ms; the first count (every event read, 240 seconds cached) ${ms(median(timings.first), 0)}, runs ${spread(timings.first)} ms; the original design's read of every event ${ms(median(timings.original), 0)}, runs ${spread(timings.original)} ms`,
    },
  ];
}

/** The original design's storing path: the events' BatchWriteItem of 25, 4 in flight, and nothing else. */
async function writeAlone(dynamo: LocalDynamo, table: string, events: StoredEvent[]): Promise<void> {
  const chunks: StoredEvent[][] = [];
  for (let i = 0; i < events.length; i += 25) chunks.push(events.slice(i, i + 25));
  await mapLimit(chunks, 4, (chunk) =>
    dynamo.documents.send(
      new BatchWriteCommand({
        RequestItems: { [table]: chunk.map((e) => ({ PutRequest: { Item: eventItem(e) } })) },
      }),
    ),
  );
}
