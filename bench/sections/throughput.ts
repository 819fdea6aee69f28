import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { uuidv7 } from '../../src/core/id.js';
import { LocalStack, parseOutput, type StreamSummary } from '../lib/cli.js';
import type { Section } from '../lib/context.js';
import type { Dataset } from '../lib/dataset.js';
import { int, perSecond, type Row } from '../lib/report.js';
import { makeTempDir, removeTemp } from '../lib/temp.js';

const TARGET_PER_SECOND = 50_000;

/** Lambda allows more than 10 messages per batch only with a batching window of at least 1 s. */
const CONFIGS = [
  { batchSize: 1, batchingWindow: 0, judged: false },
  { batchSize: 10, batchingWindow: 0, judged: false },
  { batchSize: 100, batchingWindow: 1, judged: true },
];

/**
 * The built CLI streams the dataset, looped, as fast as it can (`--interval-ms 0 --limit N`) into a
 * fresh local stack; the `stream` command returns only once every event is stored. The end-to-end
 * rate is N over the wall time of the whole child process (start-up and final drain included); the
 * CLI's own rate (sent / elapsedMs, from its first send to its last) is shown beside it. A row fails
 * unless `status` then counts exactly N stored events.
 */
export const throughput: Section = {
  name: 'throughput',
  title: 'End-to-end local throughput',
  async run(ctx) {
    const limit = ctx.quick ? 20_000 : 200_000;
    const dir = makeTempDir('throughput');
    const rows: Row[] = [];
    try {
      for (const config of CONFIGS) {
        const stack = new LocalStack(ctx.cli, dir, `throughput-b${config.batchSize}`);
        await stack.deploy(
          '--batch-size',
          String(config.batchSize),
          '--batching-window',
          String(config.batchingWindow),
        );
        ctx.log(`batch size ${config.batchSize}: streaming ${int(limit)} events...`);
        const args = stack.args('stream', '--interval-ms', '0', '--limit', String(limit));
        const run = await ctx.cli.run([...args, '--file', ctx.dataset.path, '--json']);
        const summary = parseOutput<StreamSummary>(args, run);
        const stored = await stack.eventsStored();
        await stack.destroy();
        const wallRate = (limit * 1000) / run.wallMs;
        const cliRate = summary.elapsedMs > 0 ? (summary.sent * 1000) / summary.elapsedMs : 0;
        const complete = stored === limit && summary.sent === limit;
        const target = config.judged ? `>= ${int(TARGET_PER_SECOND)} /s, all stored` : 'all stored';
        const checks = `sent ${int(summary.sent)}, stored ${stored === null ? 'n/a' : int(stored)} of ${int(limit)}`;
        ctx.log(`batch size ${config.batchSize}: ${perSecond(wallRate)} (${checks})`);
        rows.push(
          {
            figure: `batch ${config.batchSize}: events/s, wall time of the CLI`,
            value: perSecond(wallRate),
            target,
            met: complete && (!config.judged || wallRate >= TARGET_PER_SECOND),
            detail: `${int(limit)} events in ${(run.wallMs / 1000).toFixed(2)} s; ${checks}`,
          },
          {
            figure: `batch ${config.batchSize}: events/s, CLI's elapsedMs`,
            value: perSecond(cliRate),
            target: config.judged ? `>= ${int(TARGET_PER_SECOND)} /s (info)` : '—',
            met: null,
            detail: `sent / elapsedMs = ${int(summary.sent)} / ${int(summary.elapsedMs)} ms (first send to last; start-up and final drain excluded)`,
          },
        );
      }
      ctx.log(`baseline: inserting ${int(limit)} rows into a plain table...`);
      const baseline = rawInsertRate(ctx.dataset, limit, join(dir, 'baseline.sqlite'));
      rows.push({
        figure: 'baseline: raw SQLite insert, one transaction',
        value: perSecond(baseline.perSecond),
        target: 'baseline',
        met: null,
        headline: true,
        detail: `${int(limit)} rows in ${baseline.ms.toFixed(0)} ms, in process (better-sqlite3, WAL, synchronous=NORMAL); rows built beforehand`,
      });
    } finally {
      removeTemp(dir);
    }
    return rows;
  },
};

/**
 * The ceiling for the pipeline: the same rows (the dataset looped, data as the same JSON, UUIDv7
 * ids as the pipeline makes them) inserted into a plain table in one transaction, nothing else.
 */
function rawInsertRate(dataset: Dataset, count: number, file: string): { ms: number; perSecond: number } {
  const start = Date.now();
  const values = Array.from({ length: count }, (_, i) => {
    const row = dataset.rows[i % dataset.rows.length]!;
    const time = start + i;
    return [uuidv7(time), time, row.county, JSON.stringify(row.data)] as const;
  });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(
      'CREATE TABLE events (id TEXT PRIMARY KEY, time INTEGER NOT NULL, county TEXT NOT NULL, data TEXT NOT NULL)',
    );
    const insert = db.prepare('INSERT INTO events (id, time, county, data) VALUES (?, ?, ?, ?)');
    const insertAll = db.transaction(() => {
      for (const v of values) insert.run(v[0], v[1], v[2], v[3]);
    });
    const t0 = performance.now();
    insertAll();
    const ms = performance.now() - t0;
    return { ms, perSecond: (count * 1000) / ms };
  } finally {
    db.close();
  }
}
