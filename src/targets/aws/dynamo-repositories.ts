import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { StoredEvent } from '../../core/event.js';
import type { EventRepository, SnapshotRepository } from '../../core/repositories.js';
import { type Snapshot, tally } from '../../core/snapshot.js';
import type { TimeWindow } from '../../core/window.js';
import {
  AGGREGATE_ATTRIBUTES,
  EVENT_ATTRIBUTES,
  eventKey,
  LATEST_SNAPSHOT,
  sortKeyRange,
  windowPartitions,
} from './keys.js';

/** DynamoDB's limit of requests in one BatchWriteItem. */
export const BATCH_WRITE_LIMIT = 25;

export interface DynamoEventRepositoryOptions {
  /** Waits between retries of unprocessed items; injectable so tests never wait. */
  sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1), for the backoff's full jitter. */
  random?: () => number;
  /** BatchWriteItem calls per chunk, the first included, before its unprocessed items fail. */
  maxAttempts?: number;
  /** Backoff cap of the first retry; doubles on each retry up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Chunks of 25 written at once. */
  writeConcurrency?: number;
  /** Partitions queried at once. */
  readConcurrency?: number;
  /** Query `Limit` (items per page); unset: DynamoDB's 1 MB pages. For tests of pagination. */
  pageSize?: number;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Raw events in DynamoDB (key design in keys.ts). Writes are idempotent puts: a redelivered event
 * overwrites its own item with the same values, so it is stored and counted once.
 */
export class DynamoEventRepository implements EventRepository {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly writeConcurrency: number;
  private readonly readConcurrency: number;
  private readonly pageSize: number | undefined;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    options: DynamoEventRepositoryOptions = {},
  ) {
    this.sleep = options.sleep ?? wait;
    this.random = options.random ?? Math.random;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.baseDelayMs = options.baseDelayMs ?? 50;
    this.maxDelayMs = options.maxDelayMs ?? 2_000;
    this.writeConcurrency = options.writeConcurrency ?? 4;
    this.readConcurrency = options.readConcurrency ?? 16;
    this.pageSize = options.pageSize;
  }

  async putEvents(events: StoredEvent[]): Promise<{ failedIds: string[] }> {
    // One request per id: DynamoDB rejects a batch that holds the same key twice.
    const unique = new Map<string, StoredEvent>();
    for (const event of events) if (!unique.has(event.id)) unique.set(event.id, event);
    const requests = [...unique.values()].map(toPutRequest);
    const chunks: WriteRequest[][] = [];
    for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) {
      chunks.push(requests.slice(i, i + BATCH_WRITE_LIMIT));
    }
    const failed = await mapLimit(chunks, this.writeConcurrency, (chunk) => this.writeChunk(chunk, true));
    return { failedIds: failed.flat() };
  }

  /** Writes one chunk, retrying its unprocessed items; returns the ids that were not stored. */
  private async writeChunk(chunk: WriteRequest[], split: boolean): Promise<string[]> {
    let pending = chunk;
    for (let attempt = 1; ; attempt++) {
      let unprocessed: WriteRequest[];
      try {
        const out = await this.client.send(
          new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        unprocessed = out.UnprocessedItems?.[this.tableName] ?? [];
      } catch (error) {
        // The SDK has already retried throttling; go on backing off within our own attempts.
        if (isThrottling(error)) {
          if (attempt >= this.maxAttempts) return pending.map(requestId);
          await this.sleep(this.backoff(attempt));
          continue;
        }
        // A request the service rejects (an item over 400 KB fails its whole batch) is tried again
        // one item a batch, so that only the bad items fail.
        if (split && pending.length > 1) {
          const single = await mapLimit(pending, this.writeConcurrency, (r) => this.writeChunk([r], false));
          return single.flat();
        }
        return pending.map(requestId);
      }
      if (unprocessed.length === 0) return [];
      if (attempt >= this.maxAttempts) return unprocessed.map(requestId);
      pending = unprocessed;
      await this.sleep(this.backoff(attempt));
    }
  }

  /** Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(attempt-1))). */
  private backoff(attempt: number): number {
    return Math.floor(this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1)));
  }

  /** Queries each partition of the window's minutes (never a Scan), only the county attribute. */
  async countByCounty(window: TimeWindow): Promise<Map<string, number>> {
    const [lo, hi] = sortKeyRange(window);
    const partitions = windowPartitions(window);
    const perPartition = await mapLimit(partitions, this.readConcurrency, (pk) =>
      this.countPartition(pk, lo, hi),
    );
    const counts = new Map<string, number>();
    for (const partial of perPartition) for (const [county, n] of partial) tally(counts, county, n);
    return counts;
  }

  private async countPartition(pk: string, lo: string, hi: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
          ProjectionExpression: '#county',
          ExpressionAttributeNames: {
            '#pk': EVENT_ATTRIBUTES.pk,
            '#sk': EVENT_ATTRIBUTES.sk,
            '#county': EVENT_ATTRIBUTES.county,
          },
          ExpressionAttributeValues: { ':pk': { S: pk }, ':lo': { S: lo }, ':hi': { S: hi } },
          // Strongly consistent: an event stored just before the aggregation is counted.
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
          Limit: this.pageSize,
        }),
      );
      for (const item of out.Items ?? []) {
        const county = item[EVENT_ATTRIBUTES.county]?.S;
        if (county !== undefined) tally(counts, county);
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return counts;
  }
}

/** DynamoDB's limit of keys in one BatchGetItem. */
export const BATCH_GET_LIMIT = 100;

/**
 * How many of these events the table holds, looked up by their keys (BatchGetItem, the keys only):
 * exact whatever else is in the table, which is how verify copes with other traffic.
 */
export async function countStored(
  client: Pick<DynamoDBClient, 'send'>,
  tableName: string,
  events: readonly { id: string; time: number }[],
  sleep: (ms: number) => Promise<void> = wait,
): Promise<number> {
  const chunks: Record<string, AttributeValue>[][] = [];
  for (let at = 0; at < events.length; at += BATCH_GET_LIMIT) {
    chunks.push(
      events.slice(at, at + BATCH_GET_LIMIT).map((event) => {
        const { pk, sk } = eventKey(event);
        return { [EVENT_ATTRIBUTES.pk]: { S: pk }, [EVENT_ATTRIBUTES.sk]: { S: sk } };
      }),
    );
  }
  const found = await mapLimit(chunks, 4, async (keys) => {
    let count = 0;
    let pending: Record<string, AttributeValue>[] | undefined = keys;
    for (let attempt = 1; pending && pending.length > 0; attempt++) {
      if (attempt > 1) await sleep(Math.min(2000, 50 * 2 ** attempt));
      const out: BatchGetItemCommandOutput = await client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [tableName]: {
              Keys: pending,
              ProjectionExpression: '#pk',
              ExpressionAttributeNames: { '#pk': EVENT_ATTRIBUTES.pk },
              ConsistentRead: true,
            },
          },
        }),
      );
      count += out.Responses?.[tableName]?.length ?? 0;
      pending = out.UnprocessedKeys?.[tableName]?.Keys;
      if (attempt >= 10 && pending?.length)
        throw new Error('DynamoDB kept keys unprocessed after 10 attempts');
    }
    return count;
  });
  return found.reduce((a, b) => a + b, 0);
}

export function toEventItem(event: StoredEvent): Record<string, AttributeValue> {
  const { pk, sk } = eventKey(event);
  return {
    [EVENT_ATTRIBUTES.pk]: { S: pk },
    [EVENT_ATTRIBUTES.sk]: { S: sk },
    [EVENT_ATTRIBUTES.id]: { S: event.id },
    [EVENT_ATTRIBUTES.time]: { N: String(event.time) },
    [EVENT_ATTRIBUTES.county]: { S: event.county },
    [EVENT_ATTRIBUTES.data]: { S: JSON.stringify(event.data) },
    [EVENT_ATTRIBUTES.expiresAt]: { N: String(event.expiresAt) },
  };
}

function toPutRequest(event: StoredEvent): WriteRequest {
  return { PutRequest: { Item: toEventItem(event) } };
}

function requestId(request: WriteRequest): string {
  return request.PutRequest?.Item?.[EVENT_ATTRIBUTES.id]?.S ?? '';
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

function isThrottling(error: unknown): boolean {
  const name = errorName(error);
  return (
    name === 'ProvisionedThroughputExceededException' ||
    name === 'ThrottlingException' ||
    name === 'RequestLimitExceeded'
  );
}

/** Runs `fn` over `items`, at most `limit` at a time; results in the items' order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}

/**
 * The latest snapshot, one item replaced whole by each aggregation. The write is conditional on
 * its time, so an aggregation that finishes late never replaces a newer snapshot.
 */
export class DynamoSnapshotRepository implements SnapshotRepository {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async putSnapshot(snapshot: Snapshot): Promise<void> {
    const updatedAt = String(Date.parse(snapshot.updated));
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            [AGGREGATE_ATTRIBUTES.name]: { S: LATEST_SNAPSHOT },
            [AGGREGATE_ATTRIBUTES.snapshot]: { S: JSON.stringify(snapshot) },
            [AGGREGATE_ATTRIBUTES.updatedAt]: { N: updatedAt },
          },
          ConditionExpression: 'attribute_not_exists(#name) OR #updatedAt <= :u',
          ExpressionAttributeNames: {
            '#name': AGGREGATE_ATTRIBUTES.name,
            '#updatedAt': AGGREGATE_ATTRIBUTES.updatedAt,
          },
          ExpressionAttributeValues: { ':u': { N: updatedAt } },
        }),
      );
    } catch (error) {
      // A newer snapshot is already there: keeping it is the point, not an error.
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
    }
  }

  async latestSnapshot(): Promise<Snapshot | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { [AGGREGATE_ATTRIBUTES.name]: { S: LATEST_SNAPSHOT } },
        ConsistentRead: true,
      }),
    );
    const json = out.Item?.[AGGREGATE_ATTRIBUTES.snapshot]?.S;
    return json === undefined ? undefined : (JSON.parse(json) as Snapshot);
  }
}
