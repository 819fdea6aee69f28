import type { Snapshot } from './snapshot.js';

/**
 * The figures of `aggregate --watch` (the pipeline's live dashboard), pure: what a target reads of
 * its pipeline's health at one moment, and what two moments in a row say about its movement (rates,
 * changes per county, the history a sparkline draws). Targets read, this computes, render draws.
 */

/** What a target tells of its pipeline at one moment; null where it cannot tell cheaply. */
export interface PipelineHealth {
  /** When it was read, Unix ms of this machine's clock. */
  at: number;
  /** Messages ever sent into the queue, a counter: two readings give a rate. Null on SQS. */
  sentCount: number | null;
  /**
   * Events stored, a counter: two readings give a rate (locally every event; on AWS the marks of the
   * window's per-second counters seen since the watch began). Null where the target cannot tell.
   */
  storedCount: number | null;
  queue: { visible: number; inFlight: number; deadLetters: number; approximate: boolean } | null;
  /** The event time of the newest stored event, Unix ms; null when none, or not known cheaply. */
  newestEventTime: number | null;
  /** The last scheduled aggregation that ran (ISO 8601), where the target records it. */
  lastScheduledRun: string | null;
  /** The schedule's next firing (ISO 8601); null when the schedule is off. */
  nextScheduledRun: string | null;
}

/** The health line's figures: a reading, and what it says next to the one before. */
export interface HealthFigures {
  /** Events sent into the queue per second since the previous refresh; null on the first one, or n/a. */
  sentPerSecond: number | null;
  /** Events stored per second since the previous refresh; null on the first one, or n/a. */
  storedPerSecond: number | null;
  queue: PipelineHealth['queue'];
  /** The dead letters grew since the previous refresh. */
  deadLettersGrew: boolean;
  /** Now minus the newest stored event's time, seconds. */
  storingLagSeconds: number | null;
  lastScheduledRun: string | null;
  nextScheduledRun: string | null;
}

export interface DashboardRow {
  county: string;
  count: number;
  /** Since the previous refresh; null on the first. */
  change: number | null;
  /**
   * This county's count at the last refreshes, oldest first (0 where it was not in the window): the
   * history itself, not a copy, valid until the next update.
   */
  history: readonly number[];
}

export interface DashboardFrame {
  snapshot: Snapshot;
  health: HealthFigures;
  /** Every county of the snapshot, in the snapshot's order (by count). */
  rows: DashboardRow[];
  total: DashboardRow;
}

export const DASHBOARD_SORTS = ['count', 'name', 'change'] as const;
export type DashboardSort = (typeof DASHBOARD_SORTS)[number];

/** The sort after `sort`, as the `s` key cycles them. */
export function nextSort(sort: DashboardSort): DashboardSort {
  return DASHBOARD_SORTS[(DASHBOARD_SORTS.indexOf(sort) + 1) % DASHBOARD_SORTS.length]!;
}

const byName = (a: DashboardRow, b: DashboardRow) => (a.county < b.county ? -1 : a.county > b.county ? 1 : 0);
const byCount = (a: DashboardRow, b: DashboardRow) => b.count - a.count || byName(a, b);

/** The rows in `sort`'s order: count (largest first), name, or change (largest rise first). */
export function sortRows(rows: readonly DashboardRow[], sort: DashboardSort): DashboardRow[] {
  if (sort === 'name') return [...rows].sort(byName);
  if (sort === 'change')
    return [...rows].sort(
      (a, b) =>
        (b.change ?? Number.NEGATIVE_INFINITY) - (a.change ?? Number.NEGATIVE_INFINITY) || byCount(a, b),
    );
  return [...rows].sort(byCount);
}

/** Refreshes of history kept: the widest sparkline a terminal gets. */
export const HISTORY_DEPTH = 48;

interface Series {
  values: number[];
  /** The refresh that last wrote it. */
  seen: number;
}

/**
 * The dashboard's memory between refreshes: the previous reading and each county's recent counts.
 * Linear in the counties of each snapshot; a county out of the window for HISTORY_DEPTH refreshes
 * is forgotten.
 */
export class DashboardHistory {
  private previous: PipelineHealth | null = null;
  private previousCounts = new Map<string, number>();
  private readonly series = new Map<string, Series>();
  private readonly totals: number[] = [];
  private refresh = 0;

  constructor(private readonly depth = HISTORY_DEPTH) {}

  update(snapshot: Snapshot, health: PipelineHealth | null): DashboardFrame {
    this.refresh++;
    const first = this.refresh === 1;
    const counts = new Map<string, number>();
    const rows = snapshot.counties.map(({ county, count }) => {
      counts.set(county, count);
      return {
        county,
        count,
        change: first ? null : count - (this.previousCounts.get(county) ?? 0),
        history: this.record(county, count),
      };
    });
    const previousTotal = this.totals.at(-1);
    push(this.totals, snapshot.total, this.depth);
    const total: DashboardRow = {
      county: 'Total',
      count: snapshot.total,
      change: previousTotal === undefined ? null : snapshot.total - previousTotal,
      history: [...this.totals],
    };
    if (this.refresh % this.depth === 0) this.forget();
    const frame = { snapshot, health: this.figures(health), rows, total };
    this.previousCounts = counts;
    if (health) this.previous = health;
    return frame;
  }

  private record(county: string, count: number): number[] {
    let series = this.series.get(county);
    if (!series) {
      series = { values: [], seen: this.refresh - 1 };
      this.series.set(county, series);
    }
    // Zeros for the refreshes it was out of the window, so every sparkline lines up in time.
    const missed = Math.min(this.depth, this.refresh - 1 - series.seen);
    for (let i = 0; i < missed; i++) push(series.values, 0, this.depth);
    push(series.values, count, this.depth);
    series.seen = this.refresh;
    return series.values;
  }

  private forget(): void {
    for (const [county, series] of this.series)
      if (this.refresh - series.seen >= this.depth) this.series.delete(county);
  }

  private figures(health: PipelineHealth | null): HealthFigures {
    const before = this.previous;
    const seconds = health && before ? (health.at - before.at) / 1000 : 0;
    const rate = (now: number | null | undefined, then: number | null | undefined) =>
      now == null || then == null || seconds <= 0 || now < then ? null : (now - then) / seconds;
    return {
      sentPerSecond: rate(health?.sentCount, before?.sentCount),
      storedPerSecond: rate(health?.storedCount, before?.storedCount),
      queue: health?.queue ?? null,
      deadLettersGrew:
        !!health?.queue && !!before?.queue && health.queue.deadLetters > before.queue.deadLetters,
      storingLagSeconds:
        health?.newestEventTime == null ? null : Math.max(0, health.at - health.newestEventTime) / 1000,
      lastScheduledRun: health?.lastScheduledRun ?? null,
      nextScheduledRun: health?.nextScheduledRun ?? null,
    };
  }
}

function push(values: number[], value: number, depth: number): void {
  values.push(value);
  if (values.length > depth) values.shift();
}
