import { Flags } from '@oclif/core';
import { PipelineCommand } from '../cli/base.js';
import { resolveDatasetWithProgress } from '../cli/dataset.js';
import { integerFlag, numberFlag } from '../cli/flags.js';
import { interruptSignal } from '../cli/signals.js';
import { EnvironmentError, ExitCode } from '../core/errors.js';
import { createProgress } from '../render/progress.js';
import { renderVerify } from '../render/verify.js';
import { type VerifyReport, verifyLocal } from '../services/verify.js';

export default class Verify extends PipelineCommand {
  static override summary =
    'Check the pipeline end to end: stream, drain, aggregate, compare with counts computed here.';
  static override description =
    `On --target local, streams the file (default: the whole file once, unthrottled) into a fresh
temporary local stack (--stack-name and --data-dir are not touched), waits until the queue is drained,
runs the aggregation and compares its per-county counts with counts computed from the events the
queue accepted in the same window. Prints the comparison; exits 0 on a match and 1 on any difference.
The temporary stack is removed afterwards, whatever happens.`;

  static override examples = [
    '<%= config.bin %> verify --target local',
    '<%= config.bin %> verify --target local --file rivers.csv --limit 200 --json',
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
  };

  async run(): Promise<VerifyReport> {
    const { flags } = await this.parse(Verify);
    if (flags.target !== 'local') {
      throw new EnvironmentError(
        'verify on the AWS target is not available in this version yet; run it with --target local.',
        'AWS_UNAVAILABLE',
      );
    }
    const quiet = this.jsonEnabled();
    const file = await resolveDatasetWithProgress(flags.file, quiet);
    const progress = quiet ? undefined : await createProgress();
    const { signal, dispose } = interruptSignal(() =>
      progress?.note('Stopping: cleaning up the temporary stack...'),
    );
    try {
      const report = await verifyLocal({
        file,
        intervalMs: flags['interval-ms'],
        limit: flags.limit,
        signal,
        onProgress: (stats) => progress?.update(stats),
        onStage: (stage) => progress?.note(`verify: ${stage}`),
      });
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
