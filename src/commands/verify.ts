import { Flags } from '@oclif/core';
import { PipelineCommand } from '../cli/base.js';
import { resolveDatasetWithProgress } from '../cli/dataset.js';
import { integerFlag, numberFlag } from '../cli/flags.js';
import { interruptSignal } from '../cli/signals.js';
import { ExitCode } from '../core/errors.js';
import type { StreamStats } from '../core/streamer.js';
import { createProgress } from '../render/progress.js';
import { renderVerify } from '../render/verify.js';
import { isStoredEventCounter, type VerifyReport, verifyDeployed, verifyLocal } from '../services/verify.js';

export default class Verify extends PipelineCommand {
  static override summary =
    'Check the pipeline end to end: stream, drain, aggregate, compare with counts computed here.';
  static override description =
    `On --target local, streams the file (default: the whole file once, unthrottled) into a fresh
temporary local stack (--stack-name and --data-dir are not touched), waits until the queue is drained,
runs the aggregation and compares its per-county counts with counts computed from the events the
queue accepted in the same window. Prints the comparison; exits 0 on a match and 1 on any difference.
The temporary stack is removed afterwards, whatever happens.
On --target aws, checks the deployed stack: streams the file into its queue, waits (up to --wait seconds)
until the storing function has stored every event the queue accepted, looked up by their keys, runs the
aggregation function, and checks that each county counts at least the events verify sent in the window.
Other traffic on the stack only adds to the counts: it is reported as other events, not as a failure.`;

  static override examples = [
    '<%= config.bin %> verify --target local',
    '<%= config.bin %> verify --target local --file rivers.csv --limit 200 --json',
    '<%= config.bin %> verify --target aws --region eu-west-1 --wait 300',
  ];

  static override flags = {
    file: Flags.string({
      description: 'CSV file to stream (default: the cached dataset).',
      env: 'SENSORPIPE_DATASET',
      helpValue: 'PATH',
    }),
    'interval-ms': numberFlag({
      description: 'Milliseconds between events (0: unthrottled).',
      min: 0,
      default: 0,
    }),
    limit: integerFlag({ description: 'Send at most N events.', min: 1 }),
    wait: integerFlag({
      description: 'AWS: seconds to wait for the storing function to store every event sent.',
      min: 1,
      max: 3600,
      default: 120,
    }),
  };

  async run(): Promise<VerifyReport> {
    const { flags } = await this.parse(Verify);
    const target = flags.target === 'aws' ? await this.openTarget(flags) : undefined;
    await target?.ensureDeployed();
    const quiet = this.jsonEnabled();
    const file = await resolveDatasetWithProgress(flags.file, quiet);
    const progress = quiet ? undefined : await createProgress();
    const { signal, dispose } = interruptSignal(() =>
      progress?.note(target ? 'Stopping...' : 'Stopping: cleaning up the temporary stack...'),
    );
    try {
      const request = {
        file,
        intervalMs: flags['interval-ms'],
        limit: flags.limit,
        signal,
        onProgress: (stats: StreamStats) => progress?.update(stats),
        onStage: (stage: string) => progress?.note(`verify: ${stage}`),
      };
      const report =
        target && isStoredEventCounter(target)
          ? await verifyDeployed(target, { ...request, waitMs: flags.wait * 1000 })
          : await verifyLocal(request);
      progress?.stop();
      this.log(renderVerify(report));
      if (!report.match) process.exitCode = ExitCode.failed;
      return report;
    } finally {
      progress?.stop();
      dispose();
    }
  }
}
