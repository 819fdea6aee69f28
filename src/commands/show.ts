import { PipelineCommand } from '../cli/base.js';
import { type SnapshotJson, withExitCodes } from '../cli/contracts.js';
import { readDeadLetterHint } from '../cli/hints.js';
import { readLatestSnapshot } from '../cli/reads.js';
import { printable } from '../render/printable.js';
import { renderSnapshot } from '../render/snapshot.js';
import { wrap } from '../render/width.js';
import { suggest } from '../targets/stack-ref.js';

export default class Show extends PipelineCommand {
  static override summary = 'Print the latest aggregation snapshot, without running the aggregation.';
  static override description = withExitCodes(
    'With --json, prints the snapshot object, or null when no aggregation has run yet.',
    { 0: 'printed the snapshot, or said that there is none yet' },
  );
  static override examples = [
    '<%= config.bin %> show --target local',
    '<%= config.bin %> show --target local --json',
  ];

  async run(): Promise<SnapshotJson | null> {
    const { flags } = await this.parse(Show);
    const target = await this.openTarget(flags);
    const { value: snapshot, json } = await readLatestSnapshot(target);
    if (this.jsonEnabled()) {
      if (!snapshot) this.logJson(null);
      return json;
    }
    if (snapshot) this.render((view) => renderSnapshot(snapshot, view));
    else
      this.log(
        printable(
          `No aggregation has run yet on stack "${target.stackName}". Run: ${suggest(target, 'aggregate')}`,
        ),
      );
    const hint = await readDeadLetterHint(target);
    if (hint) this.render((view) => wrap(hint, view.columns).join('\n'));
    return json;
  }
}
