import { planCount, type SecondRecord } from '../../src/core/count-plan.js';
import { windowAt } from '../../src/core/window.js';
import { EVENT_SHARDS } from '../../src/targets/aws/keys.js';
import { DEFAULT_PLAN } from '../../src/targets/aws/window-counts.js';

/**
 * A model of one aggregation run on DynamoDB and Lambda, for window sizes the emulator cannot hold:
 * duration = pages x page latency / read concurrency + CPU x 1,769 MB / memory. Each constant with
 * its source; the bench measures the CPU ones and prints the rest.
 */
export const MODEL = {
  /** DynamoDB reads at most 1 MB of items per Query page, before any projection (Query.Pagination). */
  pageBytes: 1024 * 1024,
  /** A strongly consistent read unit covers 4 KB of items, summed per request and rounded up. */
  readUnitBytes: 4096,
  /** A write unit covers 1 KB of the item (the larger of before and after for an update). */
  writeUnitBytes: 1024,
  /**
   * Lambda gives CPU in proportion to memory: 1,769 MB is one vCPU (Lambda developer guide,
   * "Configure Lambda function memory"). CPU measured here on one core is scaled by 1,769 / memory.
   */
  oneVcpuMb: 1769,
  /**
   * Page latency, published: ~170 ms a page in Lambda (aws-sdk-js-v3 issue #7520: a Scan of ~8,000
   * items of ~1.1 KB, about 9 pages, in ~1.5 s, whole items deserialized, so client CPU is counted twice);
   * ~430 ms as a pessimistic bound (@shelf/dynamodb-query-optimized's README: ~21 MB in 9.0 s, one
   * page after another, from a client it does not name).
   */
  pageLatencyMs: { published: 170, pessimistic: 430 },
  /** us-east-1 on-demand list prices, 2025: DynamoDB per million units, Lambda per GB-second and per million requests. */
  prices: { readUnit: 0.125 / 1e6, writeUnit: 0.625 / 1e6, gbSecond: 0.0000166667, invocation: 0.2 / 1e6 },
  /** The schedule's rate(1 minute). */
  runsPerDay: 1440,
  /** The counts record of a second of ~55 counties: ~1 KB (measured on the dataset's counties). */
  countsItemBytes: 1000,
  /** A counter record: ~60 bytes. */
  changesItemBytes: 60,
};

export interface RunShape {
  /** Raw events read. */
  events: number;
  /** Per-second records read (counters and cached counts). */
  records: number;
  /** Query requests: one page each. */
  pages: number;
  readUnits: number;
  /** Counts records written. */
  countsWritten: number;
}

export interface RunCost extends RunShape {
  /** CPU on one vCPU, ms. */
  cpuMs: number;
  /** Modelled duration at `memoryMb`, with the published and the pessimistic page latency. */
  durationMs: { published: number; pessimistic: number };
}

/** Pages and read units of a Query over `items` items of `itemBytes`: at least one page, even empty. */
function queryPages(items: number, itemBytes: number): { pages: number; readUnits: number } {
  const bytes = items * itemBytes;
  return {
    pages: Math.max(1, Math.ceil(bytes / MODEL.pageBytes)),
    readUnits: Math.max(1, Math.ceil(bytes / MODEL.readUnitBytes)),
  };
}

/**
 * The original design: every raw event of the window, one Query per minute and shard of the
 * window's minutes (6 x 16 at 5 minutes), projected on the county.
 */
export function fullReadShape(eventsInWindow: number, windowMinutes: number, itemBytes: number): RunShape {
  const perPartition = eventsInWindow / windowMinutes / EVENT_SHARDS;
  const partitions = (windowMinutes + 1) * EVENT_SHARDS;
  // The oldest and the newest minute are partly in the window: together, about one minute's events.
  const full = queryPages(perPartition, itemBytes);
  const partial = queryPages(perPartition / 2, itemBytes);
  const fullPartitions = (windowMinutes - 1) * EVENT_SHARDS;
  const partialPartitions = partitions - fullPartitions;
  return {
    events: eventsInWindow,
    records: 0,
    pages: fullPartitions * full.pages + partialPartitions * partial.pages,
    readUnits: fullPartitions * full.readUnits + partialPartitions * partial.readUnits,
    countsWritten: 0,
  };
}

/**
 * This design, planned by the aggregation's own planner, at a steady rate. `countedUpTo`: the seconds
 * more than this many seconds old were counted and cached by an earlier run (the previous run, a
 * minute ago, less the few seconds still being written then); undefined: nothing is cached (a
 * catch-up). Each second's counter holds its events, which is how the plan cuts its raw ranges.
 */
export function plannedShape(
  eventsInWindow: number,
  windowMinutes: number,
  itemBytes: number,
  countedUpTo: number | undefined,
): RunShape {
  const now = Date.UTC(2025, 0, 1, 12, 0, 30, 250);
  const window = windowAt(now, windowMinutes);
  const perSecond = eventsInWindow / (windowMinutes * 60);
  const records = new Map<number, SecondRecord>();
  const nowSecond = Math.floor(now / 1000);
  for (let second = Math.floor(window.start / 1000); second <= nowSecond; second++) {
    const changes = Math.round(perSecond);
    const counted = countedUpTo !== undefined && second < nowSecond - countedUpTo;
    records.set(
      second,
      counted ? { changes, cached: { version: changes, counts: { All: changes } } } : { changes },
    );
  }
  const plan = planCount(window, records, DEFAULT_PLAN);
  let events = 0;
  let pages = 0;
  let readUnits = 0;
  for (const range of plan.raw) {
    const inRange = ((range.upTo - range.after) / 1000) * perSecond;
    events += inRange;
    const perShard = queryPages(inRange / EVENT_SHARDS, itemBytes);
    pages += perShard.pages * EVENT_SHARDS;
    readUnits += perShard.readUnits * EVENT_SHARDS;
  }
  const cachedSeconds = plan.cachedSeconds;
  const recordCount = records.size + cachedSeconds;
  const recordBytes = records.size * MODEL.changesItemBytes + cachedSeconds * MODEL.countsItemBytes;
  const recordPartitions = windowMinutes + 1;
  pages += Math.max(recordPartitions, Math.ceil(recordBytes / MODEL.pageBytes));
  readUnits += Math.ceil(recordBytes / MODEL.readUnitBytes) + recordPartitions;
  return {
    events: Math.round(events),
    records: recordCount,
    pages,
    readUnits,
    countsWritten: plan.recount.size,
  };
}

/** Runs a minute apart: the previous run counted all but the minute since and 3 s still being written then. */
export function steadyShape(eventsInWindow: number, windowMinutes: number, itemBytes: number): RunShape {
  return plannedShape(eventsInWindow, windowMinutes, itemBytes, 60 + 1 + 3);
}

/** The first run after a pause longer than the window: nothing cached, everything read raw. */
export function catchUpShape(eventsInWindow: number, windowMinutes: number, itemBytes: number): RunShape {
  return plannedShape(eventsInWindow, windowMinutes, itemBytes, undefined);
}

/** CPU and duration of a run shape at `memoryMb`, with `concurrency` Queries in flight. */
export function runCost(
  shape: RunShape,
  cpu: { perItemUs: number; perRequestMs: number },
  memoryMb: number,
  concurrency: number,
): RunCost {
  const cpuMs =
    ((shape.events + shape.records) * cpu.perItemUs) / 1000 +
    (shape.pages + shape.countsWritten) * cpu.perRequestMs;
  const cpuAtMemory = (cpuMs * MODEL.oneVcpuMb) / memoryMb;
  // Writes of counts run 4 at a time, beside the reads; one round trip each.
  const io = (latency: number) => (shape.pages * latency) / concurrency + (shape.countsWritten * 10) / 4;
  return {
    ...shape,
    cpuMs,
    durationMs: {
      published: io(MODEL.pageLatencyMs.published) + cpuAtMemory,
      pessimistic: io(MODEL.pageLatencyMs.pessimistic) + cpuAtMemory,
    },
  };
}
