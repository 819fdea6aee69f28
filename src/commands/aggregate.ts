import { PipelineCommand } from '../cli/base.js';
import { type SnapshotJson, withExitCodes } from '../cli/contracts.js';
import { integerFlag } from '../cli/flags.js';
import { readDeadLetterHint } from '../cli/hints.js';
import { runAggregation } from '../cli/reads.js';
import { interruptSignal } from '../cli/signals.js';
import { systemClock } from '../core/clock.js';
import { InterruptedError } from '../core/errors.js';
import type { Snapshot } from '../core/snapshot.js';
import { LiveBlock } from '../render/live.js';
import { renderSnapshot, renderWatchFrame } from '../render/snapshot.js';
import { wrap } from '../render/width.js';

export default class Aggregate extends PipelineCommand {
  static override summary = 'Run the aggregation now and print the snapshot.';
  static override description = withExitCodes(
    `Counts the events of the sliding window per county, writes the snapshot and prints it.
Locally, messages still waiting in the queue are stored first (as the storing Lambda would have by now).
--watch N repeats every N seconds until Ctrl-C: redrawn in place on a terminal, appended otherwise;
with --json, one snapshot object per line.`,
    {
      0: 'aggregated (with --watch: stopped by Ctrl-C)',
      1: 'the aggregation function failed',
      3: 'the stack is not deployed, or was destroyed while --watch ran',
    },
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
      this.render((view) => renderSnapshot(snapshot, view));
      const hint = await readDeadLetterHint(target);
      if (hint) this.render((view) => wrap(hint, view.columns).join('\n'));
      return json;
    }
    const live = new LiveBlock();
    let latest: Snapshot | undefined;
    let hint: string | undefined;
    const draw = () => {
      if (!latest) return;
      const notes = hint ? [hint] : [];
      live.draw(renderWatchFrame(latest, flags.watch, { ...this.view, maxLines: live.maxLines, notes }));
    };
    // A resize redraws at once, at the new size.
    const stopFollowingResize = this.jsonEnabled() ? () => {} : live.onResize(draw);
    const { signal, dispose } = interruptSignal();
    // Stops the watch when the stack is destroyed under it (exit 3), as Ctrl-C does (exit 0).
    const watch = target.watchStack(signal);
    try {
      while (!watch.signal.aborted) {
        // Ctrl-C (or the stack gone) during a throttled invoke's wait stops the watch like between runs.
        const read = await runAggregation(target, { signal: watch.signal }).catch((error: unknown) => {
          if (watch.signal.aborted && error instanceof InterruptedError) return undefined;
          throw error;
        });
        if (!read) break;
        latest = read.value;
        if (this.jsonEnabled()) this.logJson(read.json);
        else {
          hint = await readDeadLetterHint(target);
          draw();
        }
        await systemClock.sleep(flags.watch * 1000, watch.signal);
      }
      if (watch.gone) throw watch.gone;
    } finally {
      stopFollowingResize();
      watch.dispose();
      dispose();
    }
    return undefined;
  }
}
