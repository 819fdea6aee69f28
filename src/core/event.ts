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

/** What is wrong with a county, by the one rule that `stream` (before sending) and storing apply. */
export type CountyProblem = 'empty' | 'too long' | 'control only';

/** Nothing a terminal shows: controls (NUL included), format characters (zero widths, bidi marks), spaces. */
const NOTHING_VISIBLE = /^[\p{Cc}\p{Cf}\p{Z}\s]*$/u;

/**
 * The rule for an event's county, on the county as trimmed: not empty, at most MAX_COUNTY_LENGTH
 * characters, and not made only of control or invisible characters (a NUL-only county). The CSV
 * source skips a row that breaks it and parseEvent refuses an event that does, so `stream` never
 * sends what storing would dead-letter.
 */
export function countyProblem(trimmed: string): CountyProblem | undefined {
  if (trimmed.length === 0) return 'empty';
  if (trimmed.length > MAX_COUNTY_LENGTH) return 'too long';
  if (NOTHING_VISIBLE.test(trimmed)) return 'control only';
  return undefined;
}

/** A UUIDv7 and a 13-digit time: the id and time every event `stream` makes has, in length. */
const ENVELOPE_SAMPLE = { id: '00000000-0000-7000-8000-000000000000', time: 1_000_000_000_000 };

/** The UTF-8 size of the message body an event of this county and these columns has (eventBody). */
export function eventBodyBytes(county: string, dataJson: string): number {
  return Buffer.byteLength(eventBody({ ...ENVELOPE_SAMPLE, county, dataJson }), 'utf8');
}

/**
 * Why a CSV row cannot become an event that storing accepts, as the skip reason `stream` shows, or
 * its trimmed county: the county rule, and the body's size against the queue's limit (parseEvent's).
 */
export function checkRow(county: string, dataJson: string): { county: string } | { reason: string } {
  const trimmed = county.trim();
  const problem = countyProblem(trimmed);
  if (problem === 'empty') return { reason: 'empty County' };
  if (problem === 'too long')
    return {
      reason: `County of ${trimmed.length} characters, over the ${MAX_COUNTY_LENGTH} storing accepts`,
    };
  if (problem === 'control only') return { reason: 'County made only of control or invisible characters' };
  // UTF-8 takes at most 3 bytes per UTF-16 unit, and JSON at most 6 characters per county character.
  if ((dataJson.length + 6 * trimmed.length + 100) * 3 > MAX_MESSAGE_BYTES) {
    const bytes = eventBodyBytes(trimmed, dataJson);
    if (bytes > MAX_MESSAGE_BYTES)
      return {
        reason: `the row is ${(bytes / 1024 / 1024).toFixed(2)} MiB as an event, over the queue's 1 MiB message limit`,
      };
  }
  return { county: trimmed };
}

const COUNTY_ERRORS: Record<CountyProblem, string> = {
  empty: 'event county is missing or empty',
  'too long': `event county is too long (over ${MAX_COUNTY_LENGTH} characters)`,
  'control only': 'event county has only control or invisible characters',
};

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
  if (typeof county !== 'string') throw new InvalidEventError(COUNTY_ERRORS.empty);
  const trimmed = county.trim();
  const problem = countyProblem(trimmed);
  if (problem !== undefined) throw new InvalidEventError(COUNTY_ERRORS[problem]);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InvalidEventError('event data is missing or not an object');
  }
  return { id, time, county: trimmed, data: data as Record<string, string> };
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
