import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { childEnv } from '../lib/cli.js';
import type { Section } from '../lib/context.js';
import { DATASET_PATH } from '../lib/dataset.js';
import { median, ms, percentile, type Row } from '../lib/report.js';
import { makeTempDir, removeTemp } from '../lib/temp.js';

const TARGET_MS = 150;
/** `--help` and `--version` against the AWS CLI's own start, measured in the same run. */
const AWS_RATIO = 0.5;
/** The commands scripts poll, against `--version`. */
const VERSION_RATIO = 1.5;

interface Timed {
  label: string;
  command: string;
  args: string[];
}

/**
 * Wall time of whole processes, spawn to exit: one untimed warm-up round (file cache), then 10
 * timed rounds (3 with --quick), each round running every command once, so that a slow minute of
 * this shared machine weighs on all of them alike; median and nearest-rank p90. The baselines,
 * `node -e 0` (Node's own start-up) and `aws --version` (the AWS CLI v1, where installed), are
 * measured in the same rounds. `show`, `status` and `aggregate --json` run on a local stack that
 * holds the dataset's rows and a snapshot.
 */
export const coldstart: Section = {
  name: 'coldstart',
  title: 'Cold start',
  async run(ctx) {
    const runs = ctx.quick ? 3 : 10;
    const node = process.execPath;
    const dataDir = makeTempDir('coldstart');
    try {
      const stack = ['--target', 'local', '--data-dir', dataDir];
      for (const args of [
        ['deploy', ...stack, '--json'],
        ['stream', ...stack, '--once', '--interval-ms', '0', '--file', DATASET_PATH, '--json'],
        ['aggregate', ...stack, '--json'],
      ]) {
        const result = await ctx.cli.run(args);
        if (result.code !== 0) throw new Error(`sensorpipe ${args.join(' ')}: ${result.stderr}`);
      }
      const aws = spawnSync('aws', ['--version'], { stdio: 'ignore' }).status === 0;
      const commands: Timed[] = [
        { label: 'node -e 0', command: node, args: ['-e', '0'] },
        ...(aws ? [{ label: 'aws --version', command: 'aws', args: ['--version'] }] : []),
        { label: 'sensorpipe --version', command: node, args: [ctx.cli.bin, '--version'] },
        { label: 'sensorpipe --help', command: node, args: [ctx.cli.bin, '--help'] },
        { label: 'sensorpipe deploy -h', command: node, args: [ctx.cli.bin, 'deploy', '-h'] },
        ...['show', 'status', 'aggregate'].map((id) => ({
          label: `sensorpipe ${id} --target local --json`,
          command: node,
          args: [ctx.cli.bin, id, ...stack, '--json'],
        })),
      ];
      ctx.log(`${commands.length} commands, ${runs} rounds after 1 warm-up round...`);
      const times = timeRounds(commands, ctx.cli.root, runs);
      const medianOf = (label: string) => median(times.get(label) ?? []);
      const nodeMs = medianOf('node -e 0');
      const awsMs = aws ? medianOf('aws --version') : undefined;
      const versionMs = medianOf('sensorpipe --version');
      const rows: Row[] = [];
      for (const { label } of commands) {
        const samples = times.get(label) ?? [];
        const mid = median(samples);
        const p90 = percentile(samples, 90);
        const spread = `${runs} runs: min ${ms(Math.min(...samples))}, max ${ms(Math.max(...samples))}`;
        if (label === 'node -e 0' || label === 'aws --version') {
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
        const overhead = `${ms(mid - nodeMs)} over node -e 0 (median)`;
        // The --json commands are judged against --version (their target); the 150 ms is help's and --version's.
        const judged = !label.endsWith('--json');
        rows.push(
          {
            figure: `${label}, median`,
            value: ms(mid),
            target: judged ? `< ${TARGET_MS} ms` : 'info',
            met: judged ? mid < TARGET_MS : null,
            detail: `${spread}; ${overhead}`,
          },
          {
            figure: `${label}, p90`,
            value: ms(p90),
            target: judged ? `< ${TARGET_MS} ms` : 'info',
            met: judged ? p90 < TARGET_MS : null,
            detail: spread,
          },
        );
        if (label.endsWith('--json')) {
          rows.push({
            figure: `${label} / sensorpipe --version, medians`,
            value: `${(mid / versionMs).toFixed(2)}x`,
            target: `≤ ${VERSION_RATIO}x`,
            met: mid / versionMs <= VERSION_RATIO,
            detail: `${ms(mid)} / ${ms(versionMs)}, same rounds`,
          });
        } else if (label !== 'sensorpipe deploy -h') {
          rows.push({
            figure: `${label} / aws --version, medians`,
            value: awsMs === undefined ? 'skipped' : `${(mid / awsMs).toFixed(2)}x`,
            target: `≤ ${AWS_RATIO}x`,
            met: awsMs === undefined ? null : mid / awsMs <= AWS_RATIO,
            detail:
              awsMs === undefined
                ? 'the AWS CLI (aws) is not installed here: no baseline to compare with'
                : `${ms(mid)} / ${ms(awsMs)}, same rounds`,
          });
        }
      }
      return rows;
    } finally {
      removeTemp(dataDir);
    }
  },
};

/** Each command's wall times over `runs` rounds, after one warm-up round; every run must exit 0. */
function timeRounds(commands: readonly Timed[], cwd: string, runs: number): Map<string, number[]> {
  const once = ({ command, args }: Timed): number => {
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
  const times = new Map(commands.map((c) => [c.label, [] as number[]]));
  for (const command of commands) once(command);
  for (let round = 0; round < runs; round++) {
    for (const command of commands) times.get(command.label)?.push(once(command));
  }
  return times;
}
