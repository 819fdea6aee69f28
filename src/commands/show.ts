import { PipelineCommand } from '../cli/base.js';
import { type SnapshotJson, withExitCodes } from '../cli/contracts.js';
import { readDeadLetterHint } from '../cli/hints.js';
import { readLatestSnapshot } from '../cli/reads.js';
import { renderSnapshot } from '../render/snapshot.js';
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
    this.log(
      snapshot
        ? renderSnapshot(snapshot)
        : `No aggregation has run yet on stack "${target.stackName}". Run: ${suggest(target, 'aggregate')}`,
    );
    const hint = await readDeadLetterHint(target);
    if (hint) this.log(hint);
    return json;
  }
}
