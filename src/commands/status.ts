import { PipelineCommand } from '../cli/base.js';
import { renderStatus } from '../render/stack.js';
import type { StackStatus } from '../targets/target.js';

export default class Status extends PipelineCommand {
  static override summary =
    'Show the stack: deployed or not, parameters, queue depths, events stored, last aggregation.';
  static override examples = [
    '<%= config.bin %> status --target local',
    '<%= config.bin %> status --target local --json',
  ];

  async run(): Promise<StackStatus> {
    const { flags } = await this.parse(Status);
    const target = await this.openTarget(flags);
    const status = await target.status();
    this.log(renderStatus(status));
    return status;
  }
}
