import { Flags } from '@oclif/core';
import { PipelineCommand } from '../cli/base.js';
import { type StreamJson, streamJson, withExitCodes } from '../cli/contracts.js';
import { resolveDatasetWithProgress } from '../cli/dataset.js';
import { integerFlag, numberFlag } from '../cli/flags.js';
import { interruptSignal } from '../cli/signals.js';
import { streamTotal } from '../cli/stream-total.js';
import { ExitCode } from '../core/errors.js';
import { printableLines } from '../render/printable.js';
import { createProgress, renderStreamSummary } from '../render/progress.js';
import { runStream } from '../services/stream.js';
import { suggest } from '../targets/stack-ref.js';

const SKIPS_SHOWN = 5;

export default class Stream extends PipelineCommand {
  static override summary = 'Stream CSV rows into the pipeline queue, one event per row, at a steady rate.';
  static override description = withExitCodes(
    `Each row becomes one event (a new id, the send time, its County and all its columns).
Event k is due at start + k * interval: no drift, and events due together go in one batch.
By default the file is streamed over and over until Ctrl-C; --once stops at its end, --limit after N events.
Without --file (or SENSORPIPE_DATASET) the New York State dataset is downloaded once and cached.
Rows storing would refuse (empty, over-long or control-only County, over 1 MiB, wrong field count) are skipped with their line numbers.
--file may be a FIFO, read as its writer writes; a file that fails midway gets the summary of what was sent before the error.
Ctrl-C (or SIGTERM) stops reading, finishes in-flight work and prints the summary; a second Ctrl-C quits at once.
On AWS, events go to the stack's SQS queue (or --queue-url); an event counts as sent once SQS accepted it.
Locally, what the stream queued is stored before it exits.
If the stack is destroyed while it runs, or the disk fills up, it stops, prints what it sent, and exits non-zero.`,
    {
      0: 'streamed (or stopped by the first Ctrl-C), every event accepted',
      1: 'some events could not be sent (counted as failed)',
      2: 'the file cannot be used (no County column, no rows, not UTF-8), or stopped being readable midway (the summary comes first)',
      3: 'the stack is not deployed, or was destroyed while the stream ran (the summary comes first)',
      4: 'the disk is full or read-only (the summary of what was sent comes first)',
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
    // A bounded stream's bar counts to its total (the file's rows are counted in the background).
    const bounded = quiet ? undefined : streamTotal(file, { once: flags.once, limit: flags.limit });
    const progress = bounded && (await createProgress(process.stderr, { total: bounded.total }));
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
        // Stopped by an error (a source that failed midway, the stack destroyed, a full disk): what
        // was sent, then the error (printed by catch()).
        onStopped: (stopped) => {
          progress?.stop();
          if (quiet) this.logJson(streamJson(stopped.stats));
          else
            this.log(
              printableLines(renderStreamSummary('Stopped by an error', stopped, suggest(target, 'status'))),
            );
        },
      });
      progress?.stop();
      // The suggestion repeats the flags that selected the stack: a path, a region, an endpoint.
      this.log(
        printableLines(
          renderStreamSummary(report.interrupted ? 'Stopped' : 'Done', report, suggest(target, 'status')),
        ),
      );
      if (report.stats.failed > 0) process.exitCode = ExitCode.failed;
      return streamJson(report.stats);
    } finally {
      progress?.stop();
      bounded?.dispose();
      dispose();
    }
  }
}
