import { InvalidEventError } from './errors.js';

/** One CSV row sent through the pipeline. The message body is this object as JSON. */
export interface SensorEvent {
  /** UUIDv7: unique per send, so a second pass over a file makes new events. */
  id: string;
  /** Event time, Unix milliseconds (UTC), assigned when the event is sent. */
  time: number;
  /** The row's County, trimmed. */
  county: string;
  /** All the row's original columns. */
  data: Record<string, string>;
}

/**
 * An event as a producer sends it: the row's columns already serialized (the CSV thread does that,
 * off the main thread). Its message body is the SensorEvent's JSON.
 */
export interface OutgoingEvent {
  id: string;
  time: number;
  county: string;
  /** The JSON of SensorEvent.data. */
  dataJson: string;
}

/** A raw event as stored, with its TTL attribute. */
export interface StoredEvent extends SensorEvent {
  /** Unix seconds after which the event may be deleted (DynamoDB TTL format). */
  expiresAt: number;
}

/** The message body of an event: the JSON of {id, time, county, data}, in that order. */
export function eventBody(event: OutgoingEvent): string {
  return `{"id":${JSON.stringify(event.id)},"time":${event.time},"county":${JSON.stringify(event.county)},"data":${event.dataJson}}`;
}

/** SQS caps a message at 1 MiB; anything larger cannot have been sent by us. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
export const MAX_COUNTY_LENGTH = 256;

/**
 * Parses and checks a message body. Throws InvalidEventError for anything that must not be stored:
 * the storing function reports such a record as a batch item failure, so it ends in the dead-letter queue.
 */
export function parseEvent(body: string): SensorEvent {
  // UTF-8 takes at most 3 bytes per UTF-16 unit, so most bodies need no byte count at all.
  if (body.length * 3 > MAX_MESSAGE_BYTES && Buffer.byteLength(body, 'utf8') > MAX_MESSAGE_BYTES)
    throw new InvalidEventError(`message is larger than ${MAX_MESSAGE_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new InvalidEventError('message body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidEventError('message body is not a JSON object');
  }
  const { id, time, county, data } = value as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0 || id.length > 128) {
    throw new InvalidEventError('event id is missing or not a string of 1-128 characters');
  }
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time <= 0) {
    throw new InvalidEventError('event time is missing or not a positive integer of milliseconds');
  }
  if (typeof county !== 'string' || county.trim().length === 0) {
    throw new InvalidEventError('event county is missing or empty');
  }
  if (county.length > MAX_COUNTY_LENGTH) throw new InvalidEventError('event county is too long');
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InvalidEventError('event data is missing or not an object');
  }
  return { id, time, county: county.trim(), data: data as Record<string, string> };
}

/**
 * The Unix second from which an event may be deleted (DynamoDB's TTL attribute, and the local
 * expiry): the first whole second at or after time + TTL. An event still in a window of W <= TTL
 * minutes has time > now - W, so its expiry is after now: expiry never removes an event a window
 * can still count, whenever TTL deletion runs.
 */
export function expiryOf(time: number, ttlMinutes: number): number {
  return Math.ceil((time + ttlMinutes * 60_000) / 1000);
}

/** Whether an event that expires at `expiresAt` (Unix seconds) has expired at `now` (Unix ms). */
export function isExpired(expiresAt: number, now: number): boolean {
  return expiresAt * 1000 <= now;
}

/** The latest expiry (Unix seconds) that has passed at `now`: isExpired as a bound for a query. */
export function expiredThrough(now: number): number {
  return Math.floor(now / 1000);
}
