import { Flags } from '@oclif/core';
import { PipelineCommand } from '../cli/base.js';
import { type SnapshotJson, withExitCodes } from '../cli/contracts.js';
import { integerFlag } from '../cli/flags.js';
import { readDeadLetterHint } from '../cli/hints.js';
import { runAggregation } from '../cli/reads.js';
import { runWatch } from '../cli/watch.js';
import { DASHBOARD_SORTS } from '../core/dashboard.js';
import { renderSnapshot } from '../render/snapshot.js';
import { wrap } from '../render/width.js';

export default class Aggregate extends PipelineCommand {
  static override summary = 'Run the aggregation now and print the snapshot.';
  static override description = withExitCodes(
    `Counts the events of the sliding window per county, writes the snapshot and prints it.
Locally, messages still waiting in the queue are stored first (as the storing Lambda would have by now).
--watch N is the pipeline's live dashboard, refreshed every N seconds: a health line (events in and
stored per second, the queue, dead letters, storing lag, the schedule; n/a where the target cannot
tell cheaply), then each county's count, change since the last refresh, share and trend. On a
terminal: q or Ctrl-C quits, space pauses, s cycles --sort. With --json or without a terminal, one
JSON object per refresh (the snapshot and its health).`,
    {
      0: 'aggregated (with --watch: stopped by q or Ctrl-C)',
      1: 'the aggregation function failed',
      3: 'the stack is not deployed, or was destroyed while --watch ran',
    },
  );

  static override examples = [
    '<%= config.bin %> aggregate --target local',
    '<%= config.bin %> aggregate --target local --watch 10',
    '<%= config.bin %> aggregate --target local --watch 5 --sort change',
    '<%= config.bin %> aggregate --target local --json',
  ];

  static override flags = {
    watch: integerFlag({
      description: 'Refresh the dashboard every N seconds until q or Ctrl-C.',
      min: 1,
      max: 86_400,
    }),
    sort: Flags.option({
      options: DASHBOARD_SORTS,
      // No default here: the fast --json path (fast-json.ts) parses exactly what oclif does.
      description: 'Order of the --watch table: count (default), name or change; the s key cycles it.',
      // Without --watch there is one table, by count, and no change to sort by: say so, never ignore it.
      dependsOn: ['watch'],
    })(),
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
    // Without a terminal the frames would only fill a log: one JSON object per refresh instead.
    await runWatch(target, {
      everySeconds: flags.watch,
      sort: flags.sort ?? 'count',
      json: this.jsonEnabled() || !process.stdout.isTTY,
      logJson: (json) => this.logJson(json),
      view: () => this.view,
    });
    return undefined;
  }
}
