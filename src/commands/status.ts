import { PipelineCommand } from '../cli/base.js';
import { type StatusJson, statusJson, withExitCodes } from '../cli/contracts.js';
import { renderStatus } from '../render/stack.js';

export default class Status extends PipelineCommand {
  static override summary =
    'Show the stack: deployed or not, parameters, queue depths, events stored, last aggregation.';
  static override description = withExitCodes(
    'A stack that is not deployed is reported as such ("deployed": false), with exit code 0.',
    { 0: 'the status was read, deployed or not' },
  );
  static override examples = [
    '<%= config.bin %> status --target local',
    '<%= config.bin %> status --target local --json',
  ];

  async run(): Promise<StatusJson> {
    const { flags } = await this.parse(Status);
    const target = await this.openTarget(flags);
    const status = await target.status();
    this.render((view) => renderStatus(status, target, view));
    return statusJson(status);
  }
}
