import { Flags } from '@oclif/core';
import { PipelineCommand } from '../cli/base.js';
import { type StreamJson, streamJson, withExitCodes } from '../cli/contracts.js';
import { resolveDatasetWithProgress } from '../cli/dataset.js';
import { integerFlag, numberFlag } from '../cli/flags.js';
import { interruptSignal } from '../cli/signals.js';
import { ExitCode } from '../core/errors.js';
import { createProgress, formatStreamStats } from '../render/progress.js';
import { formatRateSummary } from '../render/stream-rate.js';
import { runStream } from '../services/stream.js';
import { suggest } from '../targets/stack-ref.js';
import type { DrainResult } from '../targets/target.js';

const SKIPS_SHOWN = 5;

export default class Stream extends PipelineCommand {
  static override summary = 'Stream CSV rows into the pipeline queue, one event per row, at a steady rate.';
  static override description = withExitCodes(
    `Each row becomes one event (a new id, the send time, its County and all its columns).
Event k is due at start + k * interval: no drift, and events due together go in one batch.
By default the file is streamed over and over until Ctrl-C; --once stops at its end, --limit after N events.
Without --file (or SENSORPIPE_DATASET) the New York State dataset is downloaded once and cached.
Rows with an empty County or the wrong number of fields are skipped and reported with their line numbers.
Ctrl-C (or SIGTERM) stops reading, finishes in-flight work and prints the summary; a second Ctrl-C quits at once.
On AWS, events go to the stack's SQS queue (or --queue-url); an event counts as sent once SQS accepted it.
Locally, what the stream queued is stored before it exits.`,
    {
      0: 'streamed (or stopped by the first Ctrl-C), every event accepted',
      1: 'some events could not be sent (counted as failed)',
      2: 'the file cannot be used (no County column, no rows, not UTF-8)',
      130: 'a second Ctrl-C quit at once',
    },
  );

  static override examples = [
    '<%= config.bin %> stream --target local --interval-ms 100',
    '<%= config.bin %> stream --target aws --interval-ms 100 --region eu-west-1',
    '<%= config.bin %> stream --target local --once --interval-ms 0 --file rivers.csv',
    '<%= config.bin %> stream --target local --limit 1000 --interval-ms 0.5 --json',
  ];

  static override flags = {
    'interval-ms': numberFlag({
      description: 'Milliseconds between events; fractions allowed, 0 sends as fast as possible.',
      min: 0,
      default: 100,
    }),
    limit: integerFlag({ description: 'Stop after N events.', min: 1 }),
    once: Flags.boolean({ description: 'Stop at the end of the file instead of starting over.' }),
    file: Flags.string({
      description: 'CSV file to stream (default: the cached dataset).',
      env: 'SENSORPIPE_DATASET',
      helpValue: 'PATH',
    }),
    'queue-url': Flags.string({
      description: "AWS: send to this SQS queue instead of the stack's (the stack need not exist).",
      helpValue: 'URL',
    }),
  };

  async run(): Promise<StreamJson> {
    const { flags } = await this.parse(Stream);
    const target = await this.openTarget(flags, { queueUrl: flags['queue-url'] });
    if (!flags['queue-url']) await target.ensureDeployed(); // before any download
    const quiet = this.jsonEnabled();
    const file = await resolveDatasetWithProgress(flags.file, quiet);
    const progress = quiet ? undefined : await createProgress();
    const { signal, dispose } = interruptSignal(() =>
      progress?.note('Stopping: finishing in-flight work (Ctrl-C again to quit now)...'),
    );
    let skipsShown = 0;
    try {
      const report = await runStream({
        target,
        file,
        loop: !flags.once,
        intervalMs: flags['interval-ms'],
        limit: flags.limit,
        signal,
        onProgress: (stats) => progress?.update(stats),
        onSkip: (skip) => {
          if (quiet || skipsShown++ >= SKIPS_SHOWN) return;
          progress?.note(
            `Skipped line ${skip.line}: ${skip.reason}${skipsShown === SKIPS_SHOWN ? ' (further skips are only counted)' : ''}`,
          );
        },
        onFailure: (error) => progress?.note(`Send failed: ${error}`),
      });
      progress?.stop();
      const { stats, drain } = report;
      this.log(`${report.interrupted ? 'Stopped' : 'Done'}: ${formatStreamStats(stats)}.`);
      const rate = formatRateSummary(stats);
      if (rate) this.log(rate);
      this.log(drainLine(drain, suggest(target, 'status')));
      if (stats.failed > 0) process.exitCode = ExitCode.failed;
      return streamJson(stats);
    } finally {
      progress?.stop();
      dispose();
    }
  }
}

/** What became of the events sent: stored here, or left to the storing function that consumes the queue. */
function drainLine(drain: DrainResult, statusCommand: string): string {
  const queue = `queue in flight ${drain.inFlight}, dead letters ${drain.deadLetters}${drain.approximate ? ' (approximate)' : ''}`;
  return drain.stored === null
    ? `The storing function stores them from the queue; ${queue}. See: ${statusCommand}`
    : `Stored ${drain.stored.toLocaleString('en-US')} events; ${queue}.`;
}
