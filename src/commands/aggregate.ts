import { PipelineCommand } from '../cli/base.js';
import { type SnapshotJson, withExitCodes } from '../cli/contracts.js';
import { integerFlag } from '../cli/flags.js';
import { readDeadLetterHint } from '../cli/hints.js';
import { runAggregation } from '../cli/reads.js';
import { interruptSignal } from '../cli/signals.js';
import { systemClock } from '../core/clock.js';
import { InterruptedError } from '../core/errors.js';
import { LiveBlock } from '../render/live.js';
import { renderSnapshot } from '../render/snapshot.js';

export default class Aggregate extends PipelineCommand {
  static override summary = 'Run the aggregation now and print the snapshot.';
  static override description = withExitCodes(
    `Counts the events of the sliding window per county, writes the snapshot and prints it.
Locally, messages still waiting in the queue are stored first (as the storing Lambda would have by now).
--watch N repeats every N seconds until Ctrl-C: redrawn in place on a terminal, appended otherwise;
with --json, one snapshot object per line.`,
    { 0: 'aggregated (with --watch: stopped by Ctrl-C)', 1: 'the aggregation function failed' },
  );

  static override examples = [
    '<%= config.bin %> aggregate --target local',
    '<%= config.bin %> aggregate --target local --watch 10',
    '<%= config.bin %> aggregate --target local --json',
  ];

  static override flags = {
    watch: integerFlag({ description: 'Repeat every N seconds until Ctrl-C.', min: 1, max: 86_400 }),
  };

  async run(): Promise<SnapshotJson | undefined> {
    const { flags } = await this.parse(Aggregate);
    const target = await this.openTarget(flags);
    if (flags.watch === undefined) {
      const { value: snapshot, json } = await runAggregation(target);
      if (this.jsonEnabled()) return json;
      this.log(renderSnapshot(snapshot));
      const hint = await readDeadLetterHint(target);
      if (hint) this.log(hint);
      return json;
    }
    const live = new LiveBlock();
    const { signal, dispose } = interruptSignal();
    try {
      while (!signal.aborted) {
        // Ctrl-C during a throttled invoke's wait stops the watch like Ctrl-C between runs.
        const read = await runAggregation(target, { signal }).catch((error: unknown) => {
          if (signal.aborted && error instanceof InterruptedError) return undefined;
          throw error;
        });
        if (!read) break;
        const { value: snapshot, json } = read;
        if (this.jsonEnabled()) this.logJson(json);
        else {
          // Header, rules, total, footer and hint take 9 lines; the counties get the rest of the screen.
          const hint = await readDeadLetterHint(target);
          const maxRows = live.maxLines === undefined ? undefined : live.maxLines - 9;
          live.draw(
            [
              renderSnapshot(snapshot, { maxRows }),
              ...(hint ? [hint] : []),
              `Every ${flags.watch}s; Ctrl-C to stop.`,
            ].join('\n'),
          );
        }
        await systemClock.sleep(flags.watch * 1000, signal);
      }
    } finally {
      dispose();
    }
    return undefined;
  }
}
