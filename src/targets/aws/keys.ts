import type { TimeWindow } from '../../core/window.js';

/**
 * The DynamoDB key design, shared by the repositories and the CloudFormation template.
 *
 * Raw events table: `pk = "<minute>#<shard>"` spreads the writes of one minute over EVENT_SHARDS
 * partitions (the shard is a hash of the event id), and `sk = "<time, 13 digits>#<id>"` orders a
 * partition by time while keeping two events of the same millisecond apart. A redelivered event
 * maps to the same key, so writing it again overwrites it with the same item: idempotent.
 */
export const EVENT_SHARDS = 16;
export const MINUTE_MS = 60_000;
/** Digits of a millisecond timestamp in a sort key: enough until the year 2286. */
export const TIME_DIGITS = 13;

export const EVENT_ATTRIBUTES = {
  pk: 'pk',
  sk: 'sk',
  id: 'id',
  time: 'time',
  county: 'county',
  data: 'data',
  /** The table's TTL attribute, Unix seconds. */
  expiresAt: 'expiresAt',
} as const;

/** Aggregates table: one item per snapshot name; the aggregation writes `latest`. */
export const AGGREGATE_ATTRIBUTES = {
  name: 'name',
  snapshot: 'snapshot',
  updatedAt: 'updatedAt',
} as const;
export const LATEST_SNAPSHOT = 'latest';

/**
 * A raw event's item, as the document client reads and writes it: strings are S, numbers N (the
 * layout of every stack so far). The event's columns are one JSON string, not a map.
 */
export interface EventItem {
  [EVENT_ATTRIBUTES.pk]: string;
  [EVENT_ATTRIBUTES.sk]: string;
  [EVENT_ATTRIBUTES.id]: string;
  /** Unix ms. */
  [EVENT_ATTRIBUTES.time]: number;
  [EVENT_ATTRIBUTES.county]: string;
  [EVENT_ATTRIBUTES.data]: string;
  /** Unix seconds, DynamoDB's TTL format. */
  [EVENT_ATTRIBUTES.expiresAt]: number;
}

/** The snapshot's item: the snapshot as one JSON string, and its time (Unix ms) for the conditional put. */
export interface SnapshotItem {
  [AGGREGATE_ATTRIBUTES.name]: string;
  [AGGREGATE_ATTRIBUTES.snapshot]: string;
  [AGGREGATE_ATTRIBUTES.updatedAt]: number;
}

export interface EventKey {
  pk: string;
  sk: string;
}

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit > 0x7f) {
      ascii = false;
      break;
    }
    hash = Math.imul(hash ^ unit, 0x01000193);
  }
  if (!ascii) {
    hash = 0x811c9dc5;
    for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193);
  }
  return hash >>> 0;
}

export function shardOf(id: string): number {
  return fnv1a32(id) % EVENT_SHARDS;
}

export function minuteOf(time: number): number {
  return Math.floor(time / MINUTE_MS);
}

export function partitionKey(minute: number, shard: number): string {
  return `${minute}#${shard}`;
}

function paddedTime(time: number): string {
  return String(time).padStart(TIME_DIGITS, '0');
}

export function eventKey(event: { id: string; time: number }): EventKey {
  return {
    pk: partitionKey(minuteOf(event.time), shardOf(event.id)),
    sk: `${paddedTime(event.time)}#${event.id}`,
  };
}

/** First and last millisecond of the window (start, end], or undefined when it is empty. */
function windowMillis(window: TimeWindow): [number, number] | undefined {
  const first = Math.max(0, window.start + 1);
  return first > window.end ? undefined : [first, window.end];
}

/** Every partition key that can hold an event of the window: each minute of (start, end], each shard. */
export function windowPartitions(window: TimeWindow): string[] {
  const range = windowMillis(window);
  if (!range) return [];
  const keys: string[] = [];
  for (let minute = minuteOf(range[0]); minute <= minuteOf(range[1]); minute++) {
    for (let shard = 0; shard < EVENT_SHARDS; shard++) keys.push(partitionKey(minute, shard));
  }
  return keys;
}

/**
 * Bounds for `sk BETWEEN :lo AND :hi` that hold exactly the events of (start, end]. `lo` is a
 * prefix of every key at start + 1 ms; `hi` sorts after every key at `end` ('$' follows '#') and
 * before every later one. Keys are ASCII, so DynamoDB's byte order is this string order.
 */
export function sortKeyRange(window: TimeWindow): [lo: string, hi: string] {
  const range = windowMillis(window);
  // An empty window: a range no key falls in ('#' < '$' on the same time).
  if (!range) return [`${paddedTime(Math.max(0, window.end))}$`, `${paddedTime(Math.max(0, window.end))}#`];
  return [`${paddedTime(range[0])}#`, `${paddedTime(range[1])}$`];
}
