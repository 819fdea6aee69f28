import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { childEnv } from '../lib/cli.js';
import type { Section } from '../lib/context.js';
import { median, ms, percentile, type Row } from '../lib/report.js';

const TARGET_MS = 150;

/**
 * Wall time of whole processes, spawn to exit, run one after another: one untimed warm-up (file
 * cache), then 10 timed runs (3 with --quick); median and nearest-rank p90. Both must be under the
 * target. The baseline `node -e 0` is Node's own start-up, measured the same way in the same run.
 */
export const coldstart: Section = {
  name: 'coldstart',
  title: 'Cold start',
  async run(ctx) {
    const runs = ctx.quick ? 3 : 10;
    const node = process.execPath;
    const commands = [
      { label: 'node -e 0', argv: ['-e', '0'], judged: false },
      { label: 'sensorpipe --version', argv: [ctx.cli.bin, '--version'], judged: true },
      { label: 'sensorpipe --help', argv: [ctx.cli.bin, '--help'], judged: true },
    ];
    const rows: Row[] = [];
    let baseline = 0;
    for (const { label, argv, judged } of commands) {
      ctx.log(`${label}: ${runs} runs after 1 warm-up...`);
      const times = timeProcess(node, argv, ctx.cli.root, runs);
      const mid = median(times);
      const p90 = percentile(times, 90);
      const spread = `${runs} runs: min ${ms(Math.min(...times))}, max ${ms(Math.max(...times))}`;
      if (!judged) {
        baseline = mid;
        rows.push({
          figure: `baseline: ${label}, median / p90`,
          value: `${ms(mid)} / ${ms(p90)}`,
          target: 'baseline',
          met: null,
          headline: true,
          detail: spread,
        });
        continue;
      }
      const overhead = `${ms(mid - baseline)} over node -e 0 (median)`;
      rows.push(
        {
          figure: `${label}, median`,
          value: ms(mid),
          target: `< ${TARGET_MS} ms`,
          met: mid < TARGET_MS,
          detail: `${spread}; ${overhead}`,
        },
        {
          figure: `${label}, p90`,
          value: ms(p90),
          target: `< ${TARGET_MS} ms`,
          met: p90 < TARGET_MS,
          detail: spread,
        },
      );
    }
    return rows;
  },
};

function timeProcess(command: string, args: string[], cwd: string, runs: number): number[] {
  const once = (): number => {
    const t0 = performance.now();
    const result = spawnSync(command, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const elapsed = performance.now() - t0;
    if (result.status !== 0) {
      throw new Error(
        `${[command, ...args].join(' ')} exited with ${result.status}: ${String(result.stderr)}`,
      );
    }
    return elapsed;
  };
  once();
  return Array.from({ length: runs }, once);
}
