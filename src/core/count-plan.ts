import { tally } from './snapshot.js';
import { SECOND_MS, splitWindow, type TimeRange, type TimeWindow } from './window.js';

/**
 * How the AWS aggregation counts a window from per-second records without reading every event
 * (README, "The aggregation on AWS as the window fills"). Pure: the DynamoDB repository reads the
 * records, follows the plan and writes the counts back.
 */

/** What the per-second records say of one second. */
export interface SecondRecord {
  /** The second's counter: grows each time the storing function writes events of that second. */
  changes?: number;
  /** The second's counts per county as an aggregation made them, at the counter's value it read first. */
  cached?: { version: number; counts: Record<string, number> };
}

/** A raw read: the events with a time in (after, upTo], all in one minute. */
export interface RawRange extends TimeRange {
  /** Events the counters expect in it (a second without a counter counts 0): how it was cut. */
  estimate: number;
}

export interface CountPlan {
  /** The counts of the seconds taken from their cache. */
  cached: Map<string, number>;
  cachedSeconds: number;
  /** What to read raw, in time order; no range crosses a minute (the raw events' partitions). */
  raw: RawRange[];
  /** Whole seconds read raw that have a counter: their counts are cached afterwards at this version. */
  recount: Map<number, number>;
}

export interface PlanOptions {
  /**
   * Clean seconds between two raw ranges of the same minute are read raw too, joining the ranges, when
   * they hold fewer events than this: one Query per shard costs more than a few events.
   */
  joinBelow: number;
  /** Ranges are cut to hold at most about this many events (by the counters), so that they read in parallel. */
  chunkEvents: number;
}

const MINUTE_MS = 60_000;

/**
 * Whether a second's cached counts can be used: they were made at the counter's current value, so
 * nothing has been stored in that second since. A second without a counter is never current: its
 * events, if any, were stored without one (by an older version) or are not counted yet.
 */
export function isCurrent(record: SecondRecord | undefined): boolean {
  return record?.changes !== undefined && record.cached?.version === record.changes;
}

interface Slot extends TimeRange {
  second: number;
  /** Whole seconds only; the two edges are always read raw. */
  whole: boolean;
  current: boolean;
  events: number;
}

/** Plans the count of `window` from the records of its seconds (those of the edge seconds included). */
export function planCount(
  window: TimeWindow,
  records: ReadonlyMap<number, SecondRecord>,
  options: PlanOptions,
): CountPlan {
  const { firstSecond, endSecond, edges } = splitWindow(window);
  const slots: Slot[] = [];
  const pushEdge = (range: TimeRange | undefined) => {
    for (const part of range ? splitAtMinutes(range) : []) {
      const second = Math.floor((part.after + 1) / SECOND_MS);
      const events = records.get(second)?.changes ?? 0;
      slots.push({ ...part, second, whole: false, current: false, events });
    }
  };
  pushEdge(edges[0]);
  for (let second = firstSecond; second < endSecond; second++) {
    const record = records.get(second);
    const current = isCurrent(record);
    const events = current
      ? Object.values(record!.cached!.counts).reduce((a, b) => a + b, 0)
      : (record?.changes ?? 0);
    const after = second * SECOND_MS - 1;
    slots.push({ after, upTo: after + SECOND_MS, second, whole: true, current, events });
  }
  pushEdge(edges[1]);

  joinSmallGaps(slots, options.joinBelow);

  const cached = new Map<string, number>();
  const recount = new Map<number, number>();
  const raw: RawRange[] = [];
  let cachedSeconds = 0;
  let open: RawRange | undefined;
  for (const slot of slots) {
    if (slot.current) {
      cachedSeconds++;
      for (const [county, n] of Object.entries(records.get(slot.second)!.cached!.counts))
        tally(cached, county, n);
      open = undefined;
      continue;
    }
    const changes = records.get(slot.second)?.changes;
    // Only a second read whole and not current gets new counts: a joined current one has them already.
    if (slot.whole && changes !== undefined && !isCurrent(records.get(slot.second)))
      recount.set(slot.second, changes);
    const sameMinute = open && Math.floor(open.upTo / MINUTE_MS) === Math.floor(slot.upTo / MINUTE_MS);
    if (
      open &&
      open.upTo === slot.after &&
      sameMinute &&
      open.estimate + slot.events <= options.chunkEvents
    ) {
      open.upTo = slot.upTo;
      open.estimate += slot.events;
    } else {
      open = { after: slot.after, upTo: slot.upTo, estimate: slot.events };
      raw.push(open);
    }
  }
  for (const [county, n] of cached) if (n <= 0) cached.delete(county);
  return { cached, cachedSeconds, raw, recount };
}

/**
 * A range cut where a minute begins, empty parts left out. Only the edge of a window shorter than two
 * seconds can cross a minute (whole seconds never do); windows are a minute or more, but tests and
 * checks count short ranges.
 */
function splitAtMinutes(range: TimeRange): TimeRange[] {
  const parts: TimeRange[] = [];
  let after = range.after;
  while (after < range.upTo) {
    const minuteEnd = (Math.floor((after + 1) / MINUTE_MS) + 1) * MINUTE_MS - 1;
    const upTo = Math.min(range.upTo, minuteEnd);
    parts.push({ after, upTo });
    after = upTo;
  }
  return parts;
}

/** Marks as not current the runs of current seconds, between two raw ones of a minute, that hold few events. */
function joinSmallGaps(slots: Slot[], joinBelow: number): void {
  let lastRaw = -1;
  for (let i = 0; i < slots.length; i++) {
    if (slots[i]!.current) continue;
    if (lastRaw >= 0 && i - lastRaw > 1) {
      const gap = slots.slice(lastRaw + 1, i);
      const events = gap.reduce((sum, s) => sum + s.events, 0);
      const minute = (slot: Slot) => Math.floor(slot.upTo / MINUTE_MS);
      if (events < joinBelow && minute(slots[lastRaw]!) === minute(slots[i]!))
        for (const slot of gap) slot.current = false;
    }
    lastRaw = i;
  }
}
