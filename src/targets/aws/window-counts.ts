import { PutCommand, QueryCommand, type QueryCommandOutput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mapLimit } from '../../core/concurrency.js';
import { type CountPlan, planCount, type RawRange, type SecondRecord } from '../../core/count-plan.js';
import type { StoredEvent } from '../../core/event.js';
import type { WindowCounts } from '../../core/repositories.js';
import { tally } from '../../core/snapshot.js';
import { SECOND_MS, splitWindow, type TimeWindow } from '../../core/window.js';
import { isConditionalCheckFailed } from './errors.js';
import {
  type CountsItem,
  EVENT_ATTRIBUTES,
  EVENT_SHARDS,
  MINUTE_MS,
  minuteOf,
  parseSecondRecordKey,
  partitionKey,
  SECOND_ATTRIBUTES,
  secondOf,
  secondRecordKey,
  secondRecordRange,
  secondsPartition,
  timeRangeKeys,
} from './keys.js';

/**
 * The aggregation on AWS as the window fills (README): per-second counters that the storing path
 * marks, and per-second counts that the aggregation caches, so that a run reads the raw events of
 * only the seconds that changed since the last one. The plan is core's (count-plan.ts); this module
 * does its DynamoDB reads and writes.
 */

/** What the counting needs of a DynamoDBDocumentClient. */
export interface CountsClient {
  send(command: QueryCommand): Promise<QueryCommandOutput>;
  send(command: PutCommand | UpdateCommand): Promise<unknown>;
}

export interface PlanSettings {
  /** Current seconds between two raw ranges holding fewer events than this are read raw with them. */
  joinBelow: number;
  /**
   * Events per raw range, by the counters: at ~700 bytes an event, 96,000 are about 4 pages of 1 MB in
   * each of the 16 shards (each Query's last page is partial: fewer, fuller ranges read fewer pages),
   * so a minute of 10,000 events/s is read as ~7 x 16 Queries in parallel.
   */
  chunkEvents: number;
}

export const DEFAULT_PLAN: PlanSettings = { joinBelow: 1_000, chunkEvents: 96_000 };

/**
 * A second's counts are cached only while their JSON stays this small: a second with thousands of
 * distinct counties is read raw each time instead (items are capped at 400 KB).
 */
export const MAX_COUNTS_JSON = 32 * 1024;

/**
 * Small writes (a counter, a second's counts) in flight at once. A storing invocation marks one or
 * two seconds; a catch-up run caches up to a window of them (300 at 5 minutes), all one-item writes.
 */
const SMALL_WRITE_CONCURRENCY = 16;

/** What one count read and wrote. */
export interface CountStats {
  /** Query requests, each one page: of the per-second records, of the raw events. */
  recordPages: number;
  rawPages: number;
  /** Items those pages returned. */
  records: number;
  events: number;
  /** Read units DynamoDB billed for them (strongly consistent: 4 KB per unit, per page). */
  readUnits: number;
  /** Whole seconds of the window taken from their cached counts, and read raw. */
  cachedSeconds: number;
  rawSeconds: number;
  /** Seconds whose counts this run cached (a newer version already there is left alone). */
  countsWritten: number;
}

/**
 * What the per-second counters that a count reads anyway say of the storing side: the newest second
 * with a stored event, and how many events were marked stored in each recent second. The dashboard
 * (aggregate --watch) takes its storing lag and rate from them, with no read of its own.
 */
export interface StoringMarks {
  /** The newest second (Unix s) of the window with an event marked stored; null if none. */
  newestSecond: number | null;
  /** The first second (Unix s) of `marked`. */
  from: number;
  /**
   * Events marked stored per second of event time, from `from` to the window's last second: the
   * counters as they are (a batch stored again is counted again), for the last RECENT_SECONDS.
   */
  marked: number[];
}

/** The seconds of counters a count hands on: ten minutes, about 2 KB in the function's response. */
export const RECENT_SECONDS = 600;

/**
 * Events marked stored between two readings of the counters: what grew in the seconds both cover,
 * and all of the seconds after the earlier one's last. Seconds before the earlier reading's first
 * (only after a longer window) are not known to have grown, and add nothing.
 */
export function markedBetween(before: StoringMarks, after: StoringMarks): number {
  const beforeEnd = before.from + before.marked.length;
  let grown = 0;
  for (let i = 0; i < after.marked.length; i++) {
    const second = after.from + i;
    if (second < before.from) continue;
    const was = second < beforeEnd ? before.marked[second - before.from]! : 0;
    grown += Math.max(0, after.marked[i]! - was);
  }
  return grown;
}

/** Nothing read or written yet: what a run's figures start from. */
export function emptyCountStats(): CountStats {
  return {
    recordPages: 0,
    rawPages: 0,
    records: 0,
    events: 0,
    readUnits: 0,
    cachedSeconds: 0,
    rawSeconds: 0,
    countsWritten: 0,
  };
}

/**
 * Adds to the counter of each second of these written events, after their write: an event counts
 * from then on. Returns the ids of the events whose second could not be marked; the caller reports
 * them failed like unwritten ones, so their messages come back and are written and marked again
 * (the put is idempotent).
 */
export async function markSeconds(
  client: CountsClient,
  tableName: string,
  written: readonly StoredEvent[],
  concurrency = SMALL_WRITE_CONCURRENCY,
): Promise<string[]> {
  const seconds = new Map<number, { ids: string[]; expiresAt: number }>();
  for (const event of written) {
    const second = secondOf(event.time);
    const entry = seconds.get(second);
    if (entry) {
      entry.ids.push(event.id);
      entry.expiresAt = Math.max(entry.expiresAt, event.expiresAt);
    } else seconds.set(second, { ids: [event.id], expiresAt: event.expiresAt });
  }
  const unmarked = await mapLimit([...seconds], concurrency, async ([second, { ids, expiresAt }]) => {
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: secondRecordKey(second, 'changes'),
          UpdateExpression: 'ADD #changes :n SET #expiresAt = :e',
          ExpressionAttributeNames: {
            '#changes': SECOND_ATTRIBUTES.changes,
            '#expiresAt': EVENT_ATTRIBUTES.expiresAt,
          },
          ExpressionAttributeValues: { ':n': ids.length, ':e': expiresAt },
        }),
      );
      return [];
    } catch {
      // Throttling the SDK could not ride out, a missing table or permission: the messages come back.
      return ids;
    }
  });
  return unmarked.flat();
}

export interface WindowCounterOptions {
  /** Queries (one partition's range each) in flight at once. */
  readConcurrency?: number;
  /** Cached counts written at once. */
  cacheConcurrency?: number;
  /** Query `Limit` (items per page); unset: DynamoDB's 1 MB pages. For tests of pagination. */
  pageSize?: number;
  /** How the raw events that cannot be taken from cached counts are read; see PlanOptions. */
  plan?: Partial<PlanSettings>;
  /**
   * Called with what each count read and wrote (the aggregation logs it, the bench reports it), and
   * what the counters it read say of the storing side (the aggregation returns it).
   */
  onCount?: (stats: CountStats, storing: StoringMarks) => void;
}

/** Counts windows of one events table, per county: what the aggregation function runs. */
export class WindowCounter implements WindowCounts {
  private readonly readConcurrency: number;
  private readonly cacheConcurrency: number;
  private readonly plan: PlanSettings;

  constructor(
    private readonly client: CountsClient,
    private readonly tableName: string,
    private readonly options: WindowCounterOptions = {},
  ) {
    this.readConcurrency = options.readConcurrency ?? 16;
    this.cacheConcurrency = options.cacheConcurrency ?? SMALL_WRITE_CONCURRENCY;
    this.plan = { ...DEFAULT_PLAN, ...options.plan };
  }

  /**
   * Whole seconds come from their cached counts where those are current, everything else from the raw
   * events (Queries of time ranges, never a Scan). Then the counts of the whole seconds read raw are
   * cached, minute by minute as that minute's reads finish, so that a run cut short keeps what it
   * finished. Exact whatever the cache holds: see planCount.
   */
  async countByCounty(window: TimeWindow): Promise<Map<string, number>> {
    const stats = emptyCountStats();
    const { firstSecond, endSecond } = splitWindow(window);
    // The edge seconds' counters too: they size the edges' reads.
    const records = await this.readSecondRecords(firstSecond - 1, endSecond, stats);
    const plan = planCount(window, records, this.plan);
    stats.cachedSeconds = plan.cachedSeconds;
    stats.rawSeconds = Math.max(0, endSecond - firstSecond) - plan.cachedSeconds;

    const perSecond = new Map<number, Map<string, number>>();
    const tasks = plan.raw.flatMap((range) =>
      Array.from({ length: EVENT_SHARDS }, (_, shard) => ({ range, shard, minute: minuteOfRange(range) })),
    );
    const tasksLeft = new Map<number, number>();
    for (const { minute } of tasks) tasksLeft.set(minute, (tasksLeft.get(minute) ?? 0) + 1);
    await mapLimit(tasks, this.readConcurrency, async ({ range, shard, minute }) => {
      await this.readRange(range, shard, perSecond, stats);
      const left = (tasksLeft.get(minute) ?? 1) - 1;
      tasksLeft.set(minute, left);
      if (left === 0) await this.cacheCounts(minute, plan, perSecond, window, stats);
    });

    const counts = new Map(plan.cached);
    for (const seconds of perSecond.values()) for (const [county, n] of seconds) tally(counts, county, n);
    this.options.onCount?.(stats, storingMarks(records, endSecond));
    return counts;
  }

  /** The counters and cached counts of the seconds first..last, both included. */
  private async readSecondRecords(
    first: number,
    last: number,
    stats: CountStats,
  ): Promise<Map<number, SecondRecord>> {
    const records = new Map<number, SecondRecord>();
    if (last < first) return records;
    const [lo, hi] = secondRecordRange(first, last);
    const minutes: number[] = [];
    for (let m = minuteOf(first * SECOND_MS); m <= minuteOf(last * SECOND_MS); m++) minutes.push(m);
    await mapLimit(minutes, this.readConcurrency, (minute) =>
      this.queryAll(secondsPartition(minute), lo, hi, undefined, (page) => {
        stats.recordPages++;
        stats.readUnits += page.ConsumedCapacity?.CapacityUnits ?? 0;
        for (const item of page.Items ?? []) {
          stats.records++;
          const key = parseSecondRecordKey(String(item[EVENT_ATTRIBUTES.sk]));
          if (!key) continue;
          const record = records.get(key.second) ?? {};
          records.set(key.second, record);
          if (key.kind === 'changes') {
            const changes = item[SECOND_ATTRIBUTES.changes];
            if (typeof changes === 'number') record.changes = changes;
          } else {
            const version = item[SECOND_ATTRIBUTES.version];
            const counts = parseCounts(item[SECOND_ATTRIBUTES.counts]);
            if (typeof version === 'number' && counts) record.cached = { version, counts };
          }
        }
      }),
    );
    return records;
  }

  /** Tallies one shard's raw events of a range, per second. */
  private async readRange(
    range: RawRange,
    shard: number,
    perSecond: Map<number, Map<string, number>>,
    stats: CountStats,
  ): Promise<void> {
    const [lo, hi] = timeRangeKeys(range.after, range.upTo);
    const projection = { county: EVENT_ATTRIBUTES.county, time: EVENT_ATTRIBUTES.time };
    let second = Number.NaN;
    let counts: Map<string, number> | undefined;
    await this.queryAll(partitionKey(minuteOfRange(range), shard), lo, hi, projection, (page) => {
      stats.rawPages++;
      stats.readUnits += page.ConsumedCapacity?.CapacityUnits ?? 0;
      for (const item of page.Items ?? []) {
        const county = item[EVENT_ATTRIBUTES.county];
        const time = item[EVENT_ATTRIBUTES.time];
        if (typeof county !== 'string' || typeof time !== 'number') continue;
        stats.events++;
        // A page is in time order: the second changes rarely.
        const at = secondOf(time);
        if (at !== second || !counts) {
          second = at;
          counts = perSecond.get(at);
          if (!counts) {
            counts = new Map();
            perSecond.set(at, counts);
          }
        }
        tally(counts, county);
      }
    });
  }

  /**
   * Caches the counts of a minute's whole seconds that were read raw, each at the version read before
   * the read; a write never replaces counts made at a higher version.
   */
  private async cacheCounts(
    minute: number,
    plan: CountPlan,
    perSecond: Map<number, Map<string, number>>,
    window: TimeWindow,
    stats: CountStats,
  ): Promise<void> {
    const seconds = [...plan.recount].filter(([second]) => minuteOf(second * SECOND_MS) === minute);
    await mapLimit(seconds, this.cacheConcurrency, async ([second, version]) => {
      const counts = JSON.stringify(Object.fromEntries(perSecond.get(second) ?? []));
      if (counts.length > MAX_COUNTS_JSON) return;
      const item: CountsItem = {
        ...secondRecordKey(second, 'counts'),
        [SECOND_ATTRIBUTES.version]: version,
        [SECOND_ATTRIBUTES.counts]: counts,
        // Of use while the second is in a window; correctness never depends on it (a second whose
        // counts are gone is read raw).
        [EVENT_ATTRIBUTES.expiresAt]: second + window.minutes * 60 + 60,
      };
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#version) OR #version < :v',
            ExpressionAttributeNames: { '#version': SECOND_ATTRIBUTES.version },
            ExpressionAttributeValues: { ':v': version },
          }),
        );
        stats.countsWritten++;
      } catch (error) {
        // Another run cached them at a higher version already: theirs are the newer counts.
        if (!isConditionalCheckFailed(error)) throw error;
      }
    });
  }

  /** Every page of one partition's `sk BETWEEN lo AND hi`, strongly consistent, handed to onPage. */
  private async queryAll(
    pk: string,
    lo: string,
    hi: string,
    projection: Record<string, string> | undefined,
    onPage: (page: QueryCommandOutput) => void,
  ): Promise<void> {
    const names = Object.fromEntries(Object.entries(projection ?? {}).map(([k, v]) => [`#${k}`, v]));
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
          ProjectionExpression: projection ? Object.keys(names).join(', ') : undefined,
          ExpressionAttributeNames: { '#pk': EVENT_ATTRIBUTES.pk, '#sk': EVENT_ATTRIBUTES.sk, ...names },
          ExpressionAttributeValues: { ':pk': pk, ':lo': lo, ':hi': hi },
          // Strongly consistent: an event stored just before the aggregation is counted.
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
          Limit: this.options.pageSize,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      onPage(page);
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }
}

/** The counters of the seconds up to `endSecond` (the window's last whole second), as StoringMarks. */
function storingMarks(records: ReadonlyMap<number, SecondRecord>, endSecond: number): StoringMarks {
  let newestSecond: number | null = null;
  for (const [second, record] of records)
    if ((record.changes ?? 0) > 0 && second <= endSecond && (newestSecond === null || second > newestSecond))
      newestSecond = second;
  const from = endSecond - RECENT_SECONDS + 1;
  const marked = Array.from({ length: RECENT_SECONDS }, (_, i) => records.get(from + i)?.changes ?? 0);
  return { newestSecond, from, marked };
}

/** The minute (raw partition) a planned range lies in. */
function minuteOfRange(range: RawRange): number {
  return Math.floor((range.after + 1) / MINUTE_MS);
}

/** Cached counts as stored, or undefined if they are not a JSON object of counts. */
function parseCounts(json: unknown): Record<string, number> | undefined {
  if (typeof json !== 'string') return undefined;
  try {
    const value = JSON.parse(json) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    for (const n of Object.values(value)) if (typeof n !== 'number') return undefined;
    return value as Record<string, number>;
  } catch {
    return undefined;
  }
}
