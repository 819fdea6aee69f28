import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalStack } from '../lib/cli.js';
import type { Section } from '../lib/context.js';
import { int, median, ms, type Row } from '../lib/report.js';
import { makeTempDir, removeTemp } from '../lib/temp.js';

const TARGET_MS = 1_000;
const COUNTIES = 100_000;

/**
 * Many counties: a fresh local stack gets one event in each of 100,000 counties (the built CLI
 * streams a CSV of them, --once), then the whole commands run as child processes, wall time from
 * spawn to exit, one warm-up and 5 timed runs each (3 with --quick), median: `aggregate --json` and
 * `aggregate` (the aggregation, its snapshot write and the output), `show --json` and `show`. Each
 * run must print all 100,000 counties with --json, and the folded table otherwise. The baseline is
 * `sensorpipe --version` in the same run: the start-up every command pays. Before part 5,
 * `aggregate --json` built a cli-table3 table of every county first: 20,000 counties took 26.6 s and
 * 100,000 ran past 12 minutes.
 */
export const render: Section = {
  name: 'render',
  title: 'Many counties: aggregate and show with 100,000 counties',
  async run(ctx) {
    const counties = ctx.quick ? 20_000 : COUNTIES;
    const runs = ctx.quick ? 3 : 5;
    const dir = makeTempDir('render');
    try {
      const stack = new LocalStack(ctx.cli, dir, 'many');
      await stack.deploy();
      const file = join(dir, 'counties.csv');
      const lines = Array.from(
        { length: counties },
        (_, i) => `Creek ${i},County ${String(i).padStart(6, '0')}`,
      );
      writeFileSync(file, `Name,County\n${lines.join('\n')}\n`);
      ctx.log(`streaming one event in each of ${int(counties)} counties...`);
      const streamed = await ctx.cli.run(
        stack.args('stream', '--once', '--interval-ms', '0', '--file', file, '--json'),
      );
      if (streamed.code !== 0) throw new Error(`stream exited with ${streamed.code}: ${streamed.stderr}`);

      const time = async (label: string, args: string[], check: (stdout: string) => string | undefined) => {
        ctx.log(`${label}: ${runs} runs after 1 warm-up...`);
        const times: number[] = [];
        let problem: string | undefined;
        for (let i = 0; i <= runs; i++) {
          const result = await ctx.cli.run(args);
          problem ??=
            result.code === 0 ? check(result.stdout) : `exit ${result.code}: ${result.stderr.trim()}`;
          if (i > 0) times.push(result.wallMs);
        }
        return { mid: median(times), times, problem };
      };
      const allCounties = (stdout: string) => {
        const snapshot = JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null') as {
          counties?: unknown[];
        } | null;
        return snapshot?.counties?.length === counties ? undefined : 'not every county in the JSON';
      };
      const folded = (stdout: string) =>
        stdout.includes('more counties)') && stdout.includes(`${int(counties)} counties`)
          ? undefined
          : 'no folded table';

      const baseline = await time('sensorpipe --version', ['--version'], () => undefined);
      const rows: Row[] = [
        {
          figure: 'baseline: sensorpipe --version, median',
          value: ms(baseline.mid),
          target: 'baseline',
          met: null,
          headline: true,
          detail: `${runs} runs: min ${ms(Math.min(...baseline.times))}, max ${ms(Math.max(...baseline.times))}`,
        },
      ];
      for (const [label, args, check, judged] of [
        ['aggregate --json', stack.args('aggregate', '--json'), allCounties, true],
        ['aggregate', stack.args('aggregate'), folded, true],
        ['show --json', stack.args('show', '--json'), allCounties, false],
        ['show', stack.args('show'), folded, false],
      ] as const) {
        const figure = await time(`${label}, ${int(counties)} counties`, [...args], check);
        rows.push({
          figure: `${label}, ${int(counties)} counties, median`,
          value: ms(figure.mid),
          target: judged ? `< ${int(TARGET_MS)} ms` : '—',
          met: figure.problem ? false : judged && !ctx.quick ? figure.mid < TARGET_MS : null,
          detail:
            figure.problem ??
            `${runs} runs: min ${ms(Math.min(...figure.times))}, max ${ms(Math.max(...figure.times))}; ${ms(figure.mid - baseline.mid)} over --version`,
        });
      }
      await stack.destroy();
      return rows;
    } finally {
      removeTemp(dir);
    }
  },
};
