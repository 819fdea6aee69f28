import { Flags } from '@oclif/core';
import { PipelineCommand } from '../cli/base.js';
import { type VerifyJson, verifyJson, withExitCodes } from '../cli/contracts.js';
import { resolveDatasetWithProgress } from '../cli/dataset.js';
import { integerFlag, numberFlag } from '../cli/flags.js';
import { interruptSignal } from '../cli/signals.js';
import { streamTotal } from '../cli/stream-total.js';
import { ExitCode } from '../core/errors.js';
import type { StreamStats } from '../core/streamer.js';
import { createProgress } from '../render/progress.js';
import { renderVerify } from '../render/verify.js';
import { checkPipeline } from '../services/verify.js';
import { suggest } from '../targets/stack-ref.js';

export default class Verify extends PipelineCommand {
  static override summary =
    'Check the pipeline end to end: stream, drain, aggregate, compare with counts computed here.';
  static override description = withExitCodes(
    `On --target local, streams the file (default: the whole file once, unthrottled) into a fresh
temporary local stack (your stack is not touched), waits until the queue is drained, runs the
aggregation and compares its per-county counts with counts computed from the events the queue accepted
in the same window. The temporary stack is removed afterwards, whatever happens.
On --target aws, checks the deployed stack: streams the file into its queue, waits (up to --wait seconds)
until the storing function has stored every event the queue accepted, looked up by their keys, runs the
aggregation function, and checks that each county counts at least the events verify sent in the window.
Other traffic on the stack only adds to the counts: it is reported as other events, not as a failure.`,
    { 0: 'PASS: every county matches', 1: 'FAIL: a county differs, or events were not stored in time' },
  );

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
      description: 'Seconds to wait for the storing function to store every event sent.',
      min: 1,
      max: 3600,
      default: 120,
    }),
  };

  async run(): Promise<VerifyJson> {
    const { flags } = await this.parse(Verify);
    const target = await this.openTarget(flags);
    const quiet = this.jsonEnabled();
    const note = (stage: string) => (quiet ? undefined : process.stderr.write(`verify: ${stage}\n`));
    // Before any download: a stack that is not there fails now.
    const verification = await target.openVerification({ onStage: note });
    let progress: Awaited<ReturnType<typeof createProgress>> | undefined;
    let bounded: ReturnType<typeof streamTotal> | undefined;
    const { signal, dispose } = interruptSignal(() => progress?.note('Stopping...'));
    try {
      // Before the progress line: a download prints its own.
      const file = await resolveDatasetWithProgress(flags.file, quiet);
      // Verify streams the file once (or --limit events): its bar counts to that.
      bounded = quiet ? undefined : streamTotal(file, { once: true, limit: flags.limit });
      progress = bounded && (await createProgress(process.stderr, { total: bounded.total }));
      const report = await checkPipeline(verification, {
        file,
        intervalMs: flags['interval-ms'],
        limit: flags.limit,
        waitMs: flags.wait * 1000,
        signal,
        onProgress: (stats: StreamStats) => progress?.update(stats),
        onStage: (stage: string) => progress?.note(`verify: ${stage}`),
      });
      progress?.stop();
      this.render((view) =>
        renderVerify(report, view, {
          statusCommand: verification.exclusive ? undefined : suggest(target, 'status'),
        }),
      );
      if (!report.match) process.exitCode = ExitCode.failed;
      return verifyJson(report);
    } finally {
      progress?.stop();
      bounded?.dispose();
      dispose();
      await verification.dispose();
    }
  }
}
