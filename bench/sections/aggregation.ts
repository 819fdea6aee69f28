import { performance } from 'node:perf_hooks';
import { readDashboard } from '../../src/cli/reads.js';
import { type Clock, systemClock } from '../../src/core/clock.js';
import { DashboardHistory } from '../../src/core/dashboard.js';
import type { StoredEvent } from '../../src/core/event.js';
import { uuidv7 } from '../../src/core/id.js';
import { DEFAULT_PARAMETERS } from '../../src/core/parameters.js';
import { windowAt } from '../../src/core/window.js';
import { renderDashboard } from '../../src/render/dashboard.js';
import { openExisting } from '../../src/targets/local/database.js';
import { LocalTarget } from '../../src/targets/local/local-target.js';
import { LocalQueue } from '../../src/targets/local/queue.js';
import { SqliteEventRepository, SqliteSnapshotRepository } from '../../src/targets/local/repositories.js';
import { LocalRuntime } from '../../src/targets/local/runtime.js';
import type { BenchContext, Section } from '../lib/context.js';
import { int, median, ms, type Row } from '../lib/report.js';
import { makeTempDir, removeTemp } from '../lib/temp.js';

const TARGET_MS = 300;
/** Issue 12: one refresh of the dashboard, on the local target, with 1M events in the window. */
const DASHBOARD_TARGET_MS = 50;
const TARGET_EVENTS = 1_000_000;
const RUNS = 5;
const INSERT_BATCH = 5_000;
/** Events are spread over the last 4 minutes, well inside the default 5-minute window. */
const SPREAD_MS = 4 * 60_000;
const NAIVE_SQL = 'SELECT county, COUNT(*) AS n FROM events WHERE time > ? AND time <= ? GROUP BY county';

/**
 * For each size, a fresh stack (LocalTarget.deploy, default parameters) gets N events through
 * SqliteEventRepository.putEvents (which keeps the per-second county counts), in batches of 5,000,
 * times spread evenly over the 4 minutes before a fixed `now`. Then LocalRuntime.aggregateNow() (count
 * the window per county and write the snapshot) runs once to warm up and 5 times timed, at that fixed
 * `now`, so every run counts the same window and must total N. The baseline is the naive GROUP BY
 * over the raw events (served by the events_time index) on the same database, timed the same way.
 */
export const aggregation: Section = {
  name: 'aggregation',
  title: 'Aggregation time',
  async run(ctx) {
    const sizes = ctx.quick ? [1_000, 10_000, 100_000] : [10_000, 100_000, TARGET_EVENTS];
    const rows: Row[] = [];
    for (const size of sizes) rows.push(...(await measure(ctx, size)));
    if (ctx.quick) {
      rows.push({
        figure: `aggregation, ${int(TARGET_EVENTS)} events`,
        value: 'not run',
        target: `< ${TARGET_MS} ms`,
        met: null,
        headline: true,
        detail: '--quick stops at 100,000 events',
      });
    }
    return rows;
  },
};

async function measure(ctx: BenchContext, size: number): Promise<Row[]> {
  const dir = makeTempDir('aggregation');
  const now = Date.now();
  const clock: Clock = { now: () => now, sleep: systemClock.sleep };
  const target = new LocalTarget({ dataDir: dir, stackName: 'aggregation', clock });
  await target.deploy({});
  await target.close();
  const db = openExisting(target.location, target.stackName);
  try {
    const events = new SqliteEventRepository(db);
    const snapshots = new SqliteSnapshotRepository(db);
    const parameters = { ...DEFAULT_PARAMETERS };
    const runtime = new LocalRuntime({ db, queue: new LocalQueue(db), events, snapshots, parameters, clock });
    ctx.log(`${int(size)} events: inserting...`);
    const insertMs = await insertEvents(ctx, runtime, events, size, now);
    ctx.log(`${int(size)} events: inserted in ${(insertMs / 1000).toFixed(1)} s; timing...`);

    const aggregated = await timeRuns(async () => {
      const snapshot = await runtime.aggregateNow();
      return new Map(snapshot.counties.map((c) => [c.county, c.count]));
    });

    const window = windowAt(now, parameters.WindowMinutes);
    const naive = db.prepare(NAIVE_SQL);
    const counted = await timeRuns(async () => {
      const rows = naive.all(window.start, window.end) as { county: string; n: number }[];
      return new Map(rows.map((r) => [r.county, r.n]));
    });

    const judged = size === TARGET_EVENTS;
    // aggregate --watch's refresh, through a LocalTarget on the same stack as the command opens it:
    // before part 8 the aggregation and the dead-letter count; now the aggregation, the health
    // figures, the dashboard's history and a frame drawn for a 160x50 terminal.
    const watched = new LocalTarget({ dataDir: dir, stackName: 'aggregation', clock });
    const history = new DashboardHistory();
    let frameLines = 0;
    const before = await timeRuns(async () => {
      const snapshot = await watched.aggregate();
      await watched.deadLetterCount();
      return new Map(snapshot.counties.map((c) => [c.county, c.count]));
    });
    const refreshed = await timeRuns(async () => {
      const { snapshot, health } = await readDashboard(watched);
      const frame = history.update(snapshot, health);
      frameLines = renderDashboard(frame, {
        columns: 160,
        maxLines: 49,
        sort: 'count',
        everySeconds: 10,
      }).split('\n').length;
      return new Map(snapshot.counties.map((c) => [c.county, c.count]));
    });
    await watched.close();
    const sameCounts = sameMap(aggregated.results.at(-1)!, counted.results.at(-1)!);
    const check = (results: Map<string, number>[]) => {
      const totals = results.map(total);
      return totals.every((t) => t === size)
        ? `every run counted ${int(size)}`
        : `WRONG totals: ${totals.map(int).join(', ')}`;
    };
    const correct = (results: Map<string, number>[]) => results.every((r) => total(r) === size) && sameCounts;
    const spread = (times: number[]) =>
      `median of ${RUNS} (after 1 warm-up): min ${ms(Math.min(...times))}, max ${ms(Math.max(...times))}`;
    const agree = sameCounts
      ? "per-county counts equal the naive query's"
      : "per-county counts DIFFER from the naive query's";
    return [
      {
        figure: `aggregateNow(), ${int(size)} events`,
        value: ms(median(aggregated.times)),
        target: judged ? `< ${TARGET_MS} ms` : '—',
        met: correct(aggregated.results) ? (judged ? median(aggregated.times) < TARGET_MS : null) : false,
        detail: `${spread(aggregated.times)}; ${check(aggregated.results)}; ${agree}`,
      },
      {
        figure: `dashboard refresh (aggregate --watch), ${int(size)} events`,
        value: ms(median(refreshed.times)),
        target: judged ? `< ${DASHBOARD_TARGET_MS} ms` : '—',
        met: correct(refreshed.results)
          ? judged
            ? median(refreshed.times) < DASHBOARD_TARGET_MS
            : null
          : false,
        headline: judged,
        detail: `${spread(refreshed.times)}; ${check(refreshed.results)}; aggregation, health, history and a ${frameLines}-line frame at 160 columns`,
      },
      {
        figure: `baseline: the refresh before part 8, ${int(size)} events`,
        value: ms(median(before.times)),
        target: 'baseline',
        met: correct(before.results) ? null : false,
        headline: judged,
        detail: `${spread(before.times)}; ${check(before.results)}; LocalTarget.aggregate() and deadLetterCount(), no drawing`,
      },
      {
        figure: `baseline: naive GROUP BY, ${int(size)} events`,
        value: ms(median(counted.times)),
        target: 'baseline',
        met: correct(counted.results) ? null : false,
        headline: judged,
        detail: `${spread(counted.times)}; ${check(counted.results)}`,
      },
    ];
  } finally {
    db.close();
    await target.destroy();
    removeTemp(dir);
  }
}

/** Inserts `size` events from the dataset, oldest first, times in (now - 4 min, now]. */
async function insertEvents(
  ctx: BenchContext,
  runtime: LocalRuntime,
  events: SqliteEventRepository,
  size: number,
  now: number,
): Promise<number> {
  const rows = ctx.dataset.rows;
  const ttlSeconds = DEFAULT_PARAMETERS.EventTtlMinutes * 60;
  const t0 = performance.now();
  for (let start = 0; start < size; start += INSERT_BATCH) {
    const batch: StoredEvent[] = [];
    for (let i = start; i < Math.min(size, start + INSERT_BATCH); i++) {
      const row = rows[i % rows.length]!;
      const time = now - SPREAD_MS + Math.floor(((i + 1) * SPREAD_MS) / size);
      batch.push({
        id: uuidv7(time),
        time,
        county: row.county,
        data: row.data,
        expiresAt: Math.floor(time / 1000) + ttlSeconds,
      });
    }
    await runtime.withTransaction(() => events.putEvents(batch));
    if (size >= 500_000 && (start + INSERT_BATCH) % 250_000 === 0)
      ctx.log(`${int(size)} events: ${int(start + INSERT_BATCH)} inserted`);
  }
  return performance.now() - t0;
}

/** One untimed warm-up, then RUNS timed runs. */
async function timeRuns<T>(run: () => Promise<T>): Promise<{ times: number[]; results: T[] }> {
  await run();
  const times: number[] = [];
  const results: T[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    results.push(await run());
    times.push(performance.now() - t0);
  }
  return { times, results };
}

function total(counts: Map<string, number>): number {
  let sum = 0;
  for (const n of counts.values()) sum += n;
  return sum;
}

function sameMap(a: Map<string, number>, b: Map<string, number>): boolean {
  return a.size === b.size && [...a].every(([key, n]) => b.get(key) === n);
}
