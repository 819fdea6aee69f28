import { isAheadOfNow } from './clock.js';
import type { TimeWindow } from './window.js';

export interface CountyCount {
  county: string;
  count: number;
}

/** What one aggregation writes, and what `aggregate`/`show` print (the JSON shape is public). */
export interface Snapshot {
  updated: string;
  windowStart: string;
  windowEnd: string;
  windowMinutes: number;
  total: number;
  counties: CountyCount[];
}

/** Counties by count, largest first, then by name; counties with no events are left out. */
export function sortCounts(counts: Iterable<[string, number]>): CountyCount[] {
  return [...counts]
    .filter(([, count]) => count > 0)
    .map(([county, count]) => ({ county, count }))
    .sort((a, b) => b.count - a.count || (a.county < b.county ? -1 : a.county > b.county ? 1 : 0));
}

export function buildSnapshot(counts: Map<string, number>, window: TimeWindow, updatedAt: number): Snapshot {
  const counties = sortCounts(counts);
  return {
    updated: new Date(updatedAt).toISOString(),
    windowStart: new Date(window.start).toISOString(),
    windowEnd: new Date(window.end).toISOString(),
    windowMinutes: window.minutes,
    total: counties.reduce((sum, c) => sum + c.count, 0),
    counties,
  };
}

/** Adds one county occurrence to a tally (used where counting happens in code, not in a query). */
export function tally(counts: Map<string, number>, county: string, by = 1): void {
  counts.set(county, (counts.get(county) ?? 0) + by);
}

/**
 * Whether a snapshot of an aggregation at `updated` replaces the stored one, of `stored` (Unix ms):
 * a newer one does and an older one that finished late does not, unless the stored one is dated
 * more than the clock skew after `updated`. That one was written by a clock that ran ahead, and
 * keeping it would pin it until the real time caught up. Both snapshot repositories write by it.
 */
export function replacesSnapshot(updated: number, stored: number | undefined): boolean {
  return stored === undefined || updated >= stored || isAheadOfNow(stored, updated);
}
