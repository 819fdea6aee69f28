import { SECOND_MS, type TimeWindow } from '../../core/window.js';

/**
 * The DynamoDB key design, shared by the repositories and the CloudFormation template.
 *
 * Raw events table: `pk = "<minute>#<shard>"` spreads the writes of one minute over EVENT_SHARDS
 * partitions (the shard is a hash of the event id), and `sk = "<time, 13 digits>#<id>"` orders a
 * partition by time while keeping two events of the same millisecond apart. A redelivered event
 * maps to the same key, so writing it again overwrites it with the same item: idempotent.
 *
 * Beside the raw events, two records per second of event time, under one partition per minute,
 * `pk = "<minute>#s"` (README, "The aggregation on AWS as the window fills"):
 * - `sk = "<second, 10 digits>#changes"`: a counter the storing function adds to after it writes
 *   events of that second;
 * - `sk = "<second>#counts"`: that second's counts per county, written by the aggregation with the
 *   counter's value it read before reading the raw events (`version`).
 * No raw event's partition ends in `#s` (its shard is a number): the aggregation's IAM policy lets it
 * write only those partitions.
 */
export const EVENT_SHARDS = 16;
export const MINUTE_MS = 60_000;
/** Digits of a millisecond timestamp in a sort key: enough until the year 2286. */
export const TIME_DIGITS = 13;
/** Digits of a Unix second in a sort key: enough until the year 2286. */
export const SECOND_DIGITS = 10;
/** What ends the partition key of a minute's per-second records (and no raw event's). */
export const SECONDS_PARTITION_SUFFIX = '#s';

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

/** The attributes of the per-second records, beside pk, sk and expiresAt. */
export const SECOND_ATTRIBUTES = {
  /** On `#changes`: a number that only grows. */
  changes: 'changes',
  /** On `#counts`: the value of `changes` read before the counts were made. */
  version: 'version',
  /** On `#counts`: the counts per county, one JSON object. */
  counts: 'counts',
} as const;

export type SecondRecordKind = 'changes' | 'counts';

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

/** A second's counts, as the aggregation made them at a version of its counter. */
export interface CountsItem {
  [EVENT_ATTRIBUTES.pk]: string;
  [EVENT_ATTRIBUTES.sk]: string;
  [SECOND_ATTRIBUTES.version]: number;
  /** `{"<county>": <count>, ...}` */
  [SECOND_ATTRIBUTES.counts]: string;
  [EVENT_ATTRIBUTES.expiresAt]: number;
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

function paddedSecond(second: number): string {
  return String(second).padStart(SECOND_DIGITS, '0');
}

export function secondOf(time: number): number {
  return Math.floor(time / SECOND_MS);
}

/** The partition of a minute's per-second records. */
export function secondsPartition(minute: number): string {
  return `${minute}${SECONDS_PARTITION_SUFFIX}`;
}

/** The key of a second's counter (`changes`) or counts record. */
export function secondRecordKey(second: number, kind: SecondRecordKind): EventKey {
  return { pk: secondsPartition(minuteOf(second * SECOND_MS)), sk: `${paddedSecond(second)}#${kind}` };
}

/** The second and kind of a per-second record's sort key, or undefined for any other key. */
export function parseSecondRecordKey(sk: string): { second: number; kind: SecondRecordKind } | undefined {
  const match = /^(\d{10})#(changes|counts)$/.exec(sk);
  return match ? { second: Number(match[1]), kind: match[2] as SecondRecordKind } : undefined;
}

/**
 * Bounds for `sk BETWEEN :lo AND :hi` over the records of the seconds first..last, both included,
 * in one minute's partition: '#' sorts before the kinds' letters, and '~' after them.
 */
export function secondRecordRange(first: number, last: number): [lo: string, hi: string] {
  return [`${paddedSecond(first)}#`, `${paddedSecond(last)}#~`];
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

/** Bounds for `sk BETWEEN :lo AND :hi` over one partition's raw events with a time in (after, upTo]. */
export function timeRangeKeys(after: number, upTo: number): [lo: string, hi: string] {
  return sortKeyRange({ start: after, end: upTo, minutes: 0 });
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
