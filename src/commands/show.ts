import { PipelineCommand } from '../cli/base.js';
import type { Snapshot } from '../core/snapshot.js';
import { renderSnapshot } from '../render/snapshot.js';

export default class Show extends PipelineCommand {
  static override summary = 'Print the latest aggregation snapshot, without running the aggregation.';
  static override description =
    'With --json, prints the snapshot object, or null when no aggregation has run yet.';
  static override examples = [
    '<%= config.bin %> show --target local',
    '<%= config.bin %> show --target local --json',
  ];

  async run(): Promise<Snapshot | null> {
    const { flags } = await this.parse(Show);
    const target = await this.openTarget(flags);
    const snapshot = await target.latestSnapshot();
    if (!snapshot) {
      this.log(
        `No aggregation has run yet on stack "${target.stackName}". Run: sensorpipe aggregate --target ${target.kind}`,
      );
      if (this.jsonEnabled()) this.logJson(null);
      return null;
    }
    this.log(renderSnapshot(snapshot));
    return snapshot;
  }
}
