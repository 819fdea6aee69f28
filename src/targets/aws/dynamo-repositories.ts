import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { CLOCK_SKEW_MS, type Clock, systemClock } from '../../core/clock.js';
import { mapLimit } from '../../core/concurrency.js';
import type { StoredEvent } from '../../core/event.js';
import type { EventRepository, EventWriter, SnapshotRepository } from '../../core/repositories.js';
import { type RetryContext, type RetryPolicy, retryPartial } from '../../core/retry.js';
import type { Snapshot } from '../../core/snapshot.js';
import type { TimeWindow } from '../../core/window.js';
import { AWS_RETRY_POLICY } from './environment.js';
import { isConditionalCheckFailed, isRefused } from './errors.js';
import {
  AGGREGATE_ATTRIBUTES,
  EVENT_ATTRIBUTES,
  type EventItem,
  eventKey,
  LATEST_SNAPSHOT,
  type SnapshotItem,
} from './keys.js';
import { markSeconds, WindowCounter, type WindowCounterOptions } from './window-counts.js';

/** What the repositories need of a DynamoDBDocumentClient (items in and out as plain objects). */
export type DocumentClient = Pick<DynamoDBDocumentClient, 'send'>;

/** A document client over a DynamoDB client: its requests, retries and connections are that client's. */
export function documentClientOf(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client);
}

/** The document client of a Lambda function: the SDK's own credentials and region, the one retry policy. */
export function lambdaDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return documentClientOf(new DynamoDBClient({ ...AWS_RETRY_POLICY, ...config }));
}

/** DynamoDB's limit of requests in one BatchWriteItem. */
export const BATCH_WRITE_LIMIT = 25;
/** DynamoDB's limit of keys in one BatchGetItem. */
export const BATCH_GET_LIMIT = 100;

/**
 * How the parts of a batch that DynamoDB hands back (UnprocessedItems, UnprocessedKeys) are sent
 * again: 8 attempts, waits of up to 2 s, about 5 s in all at worst.
 */
const UNPROCESSED_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 2_000 };

export interface DynamoEventWriterOptions {
  /** Waits between retries of unprocessed items; injectable so tests never wait. */
  clock?: Clock;
  signal?: AbortSignal;
  /** Uniform in [0, 1), for the backoff's full jitter. */
  random?: () => number;
  /** How unprocessed items are written again. */
  retry?: Partial<RetryPolicy>;
  /** Chunks of 25 written at once. */
  writeConcurrency?: number;
}

export type DynamoEventRepositoryOptions = DynamoEventWriterOptions & WindowCounterOptions;

/** A raw event as its item in the events table (layout in keys.ts). */
export function eventItem(event: StoredEvent): EventItem {
  const { pk, sk } = eventKey(event);
  return {
    [EVENT_ATTRIBUTES.pk]: pk,
    [EVENT_ATTRIBUTES.sk]: sk,
    [EVENT_ATTRIBUTES.id]: event.id,
    [EVENT_ATTRIBUTES.time]: event.time,
    [EVENT_ATTRIBUTES.county]: event.county,
    [EVENT_ATTRIBUTES.data]: JSON.stringify(event.data),
    [EVENT_ATTRIBUTES.expiresAt]: event.expiresAt,
  };
}

type PutRequest = { PutRequest: { Item: EventItem } };

/**
 * Writes raw events to DynamoDB (key design in keys.ts): what the storing function runs. Writes are
 * idempotent puts: a redelivered event overwrites its own item with the same values, so it is stored
 * and counted once. After the puts, each second of the events written gets its counter updated, which
 * tells the aggregation to count that second again (README, "The aggregation on AWS as the window
 * fills"). The SDK retries requests that fail as a whole (throttling included); the writer writes
 * again what DynamoDB leaves unprocessed.
 */
export class DynamoEventWriter implements EventWriter {
  private readonly retry: RetryPolicy;
  private readonly context: RetryContext;
  private readonly writeConcurrency: number;

  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
    options: DynamoEventWriterOptions = {},
  ) {
    this.retry = { ...UNPROCESSED_RETRY, ...options.retry };
    this.context = { clock: options.clock ?? systemClock, signal: options.signal, random: options.random };
    this.writeConcurrency = options.writeConcurrency ?? 4;
  }

  async putEvents(events: StoredEvent[]): Promise<{ failedIds: string[] }> {
    // One request per id: DynamoDB rejects a batch that holds the same key twice.
    const unique = new Map<string, StoredEvent>();
    for (const event of events) if (!unique.has(event.id)) unique.set(event.id, event);
    const requests = [...unique.values()].map(
      (event): PutRequest => ({ PutRequest: { Item: eventItem(event) } }),
    );
    const chunks: PutRequest[][] = [];
    for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) {
      chunks.push(requests.slice(i, i + BATCH_WRITE_LIMIT));
    }
    const failed = new Set(
      (await mapLimit(chunks, this.writeConcurrency, (chunk) => this.writeChunk(chunk, true))).flat(),
    );
    const written = [...unique.values()].filter((e) => !failed.has(e.id));
    const unmarked = await markSeconds(this.client, this.tableName, written);
    return { failedIds: [...failed, ...unmarked] };
  }

  /** Writes one chunk, and again what DynamoDB leaves unprocessed; returns the ids that were not stored. */
  private async writeChunk(chunk: PutRequest[], split: boolean): Promise<string[]> {
    const failed: string[] = [];
    const { left } = await retryPartial(
      chunk,
      async (pending) => {
        try {
          const out = await this.client.send(
            new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
          );
          return (out.UnprocessedItems?.[this.tableName] ?? []) as PutRequest[];
        } catch (error) {
          // A request DynamoDB refuses for what it holds (an item over 400 KB fails its whole batch) is
          // tried again one item a batch, so that only the bad items fail. Anything else (throttling
          // the SDK could not ride out, a missing table) fails the chunk: more requests would not help.
          if (split && pending.length > 1 && isRefused(error)) {
            const single = await mapLimit(pending, this.writeConcurrency, (r) => this.writeChunk([r], false));
            failed.push(...single.flat());
          } else failed.push(...pending.map(idOf));
          return [];
        }
      },
      this.retry,
      this.context,
    );
    return [...failed, ...left.map(idOf)];
  }
}

/**
 * Raw events in DynamoDB, written and counted: the writer and the window counter of one table, for
 * the CLI, the tests and the bench. Each function's bundle takes only its half.
 */
export class DynamoEventRepository extends DynamoEventWriter implements EventRepository {
  private readonly counter: WindowCounter;

  constructor(client: DocumentClient, tableName: string, options: DynamoEventRepositoryOptions = {}) {
    super(client, tableName, options);
    this.counter = new WindowCounter(client, tableName, options);
  }

  /** Counts the window per county, reading raw only the seconds that changed since they were counted. */
  async countByCounty(window: TimeWindow): Promise<Map<string, number>> {
    return this.counter.countByCounty(window);
  }
}

export interface CountStoredOptions {
  clock?: Clock;
  /** Ctrl-C: stops waiting to look up unprocessed keys again; what was found is counted. */
  signal?: AbortSignal;
  random?: () => number;
}

/**
 * How many of these events the table holds, looked up by their keys (BatchGetItem, the keys only):
 * exact whatever else is in the table, which is how verify copes with other traffic.
 */
export async function countStored(
  client: DocumentClient,
  tableName: string,
  events: readonly { id: string; time: number }[],
  options: CountStoredOptions = {},
): Promise<number> {
  const chunks: Record<string, string>[][] = [];
  for (let at = 0; at < events.length; at += BATCH_GET_LIMIT) {
    chunks.push(
      events.slice(at, at + BATCH_GET_LIMIT).map((event) => {
        const { pk, sk } = eventKey(event);
        return { [EVENT_ATTRIBUTES.pk]: pk, [EVENT_ATTRIBUTES.sk]: sk };
      }),
    );
  }
  const context = { clock: options.clock ?? systemClock, signal: options.signal, random: options.random };
  const found = await mapLimit(chunks, 4, async (keys) => {
    let count = 0;
    const { left, interrupted } = await retryPartial(
      keys,
      async (pending) => {
        const out = await client.send(
          new BatchGetCommand({
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
        return (out.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, string>[];
      },
      UNPROCESSED_RETRY,
      context,
    );
    if (left.length > 0 && !interrupted)
      throw new Error(
        `DynamoDB kept ${left.length} keys unprocessed after ${UNPROCESSED_RETRY.maxAttempts} attempts`,
      );
    return count;
  });
  return found.reduce((a, b) => a + b, 0);
}

function idOf(request: PutRequest): string {
  return request.PutRequest.Item.id;
}

/**
 * The latest snapshot, one item replaced whole by each aggregation. The write is conditional on
 * its time (core's replacesSnapshot): an aggregation that finishes late never replaces a newer
 * snapshot, and any aggregation replaces one dated more than the clock skew after its own time.
 */
export class DynamoSnapshotRepository implements SnapshotRepository {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {}

  async putSnapshot(snapshot: Snapshot): Promise<void> {
    const updatedAt = Date.parse(snapshot.updated);
    const item: SnapshotItem = {
      [AGGREGATE_ATTRIBUTES.name]: LATEST_SNAPSHOT,
      [AGGREGATE_ATTRIBUTES.snapshot]: JSON.stringify(snapshot),
      [AGGREGATE_ATTRIBUTES.updatedAt]: updatedAt,
    };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#name) OR #updatedAt <= :u OR #updatedAt > :ahead',
          ExpressionAttributeNames: {
            '#name': AGGREGATE_ATTRIBUTES.name,
            '#updatedAt': AGGREGATE_ATTRIBUTES.updatedAt,
          },
          ExpressionAttributeValues: { ':u': updatedAt, ':ahead': updatedAt + CLOCK_SKEW_MS },
        }),
      );
    } catch (error) {
      // A newer snapshot (within the skew) is already there: keeping it is the point, not an error.
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  async latestSnapshot(): Promise<Snapshot | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [AGGREGATE_ATTRIBUTES.name]: LATEST_SNAPSHOT },
        ConsistentRead: true,
      }),
    );
    const json = out.Item?.[AGGREGATE_ATTRIBUTES.snapshot];
    return typeof json === 'string' ? (JSON.parse(json) as Snapshot) : undefined;
  }
}
