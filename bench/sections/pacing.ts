import { LocalStack, parseOutput, type StreamSummary } from '../lib/cli.js';
import type { Section } from '../lib/context.js';
import { int, type Row } from '../lib/report.js';
import { makeTempDir, removeTemp } from '../lib/temp.js';

const RUNS = [
  { intervalMs: 100, tolerancePercent: 1 },
  { intervalMs: 10, tolerancePercent: 1 },
  { intervalMs: 1, tolerancePercent: 1 },
  { intervalMs: 0.1, tolerancePercent: 3 },
];

/**
 * Streams `--limit` events at each `--interval-ms` (10 s worth of events, 1 s with --quick) into a
 * fresh default stack and compares the achieved rate with the requested one.
 *
 * The fencepost: event k is due at start + k * interval, so N events span (N - 1) intervals: at
 * 100 ms, event 0 goes at 0 s and event 99 at 9.9 s. The CLI's elapsedMs runs from the schedule's
 * start to the settling of the last send, so a perfect stream reports elapsedMs = (N - 1) * interval
 * (plus the last send's latency), and sent / elapsed overstates the rate by N / (N - 1), +1% at N =
 * 100: that alone would eat the whole tolerance. So the judged figure is intervals per second,
 * (sent - 1) / elapsed, against 1000 / interval; that is the same as comparing the measured elapsed
 * time with the expected (sent - 1) * interval. The naive sent / elapsed is shown for reference.
 * A positive error means faster than requested, a negative one slower.
 */
export const pacing: Section = {
  name: 'pacing',
  title: 'Pacing accuracy',
  async run(ctx) {
    const seconds = ctx.quick ? 1 : 10;
    const dir = makeTempDir('pacing');
    const rows: Row[] = [];
    try {
      for (const { intervalMs, tolerancePercent } of RUNS) {
        const limit = Math.round((seconds * 1000) / intervalMs);
        const stack = new LocalStack(ctx.cli, dir, `pacing-${String(intervalMs).replace('.', '-')}`);
        await stack.deploy();
        ctx.log(`--interval-ms ${intervalMs}: ${int(limit)} events over ~${seconds} s...`);
        const args = stack.args('stream', '--interval-ms', String(intervalMs), '--limit', String(limit));
        const summary = parseOutput<StreamSummary>(
          args,
          await ctx.cli.run([...args, '--file', ctx.dataset.path, '--json']),
        );
        await stack.destroy();
        const requested = 1000 / intervalMs;
        const elapsedS = summary.elapsedMs / 1000;
        const naive = summary.sent / elapsedS;
        const achieved = (summary.sent - 1) / elapsedS;
        const expectedMs = (summary.sent - 1) * intervalMs;
        const errorPercent = ((achieved - requested) / requested) * 100;
        const complete = summary.sent === limit && summary.failed === 0;
        rows.push({
          figure: `--interval-ms ${intervalMs}: rate error`,
          value: `${errorPercent >= 0 ? '+' : ''}${errorPercent.toFixed(2)} %`,
          target: `within ±${tolerancePercent} %`,
          met: complete && Math.abs(errorPercent) <= tolerancePercent,
          detail:
            `requested ${rate(requested)}; achieved ${rate(achieved)} as (sent-1)/elapsed, ` +
            `${rate(naive)} as sent/elapsed; elapsed ${int(summary.elapsedMs)} ms vs ${int(expectedMs)} ms ` +
            `expected; sent ${int(summary.sent)} of ${int(limit)}`,
        });
      }
    } finally {
      removeTemp(dir);
    }
    return rows;
  },
};

function rate(perSecond: number): string {
  return `${perSecond.toLocaleString('en-US', { maximumFractionDigits: perSecond < 100 ? 3 : 1 })} /s`;
}
