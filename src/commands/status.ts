import { PipelineCommand } from '../cli/base.js';
import { type StatusJson, withExitCodes } from '../cli/contracts.js';
import { deadLetterHint } from '../cli/hints.js';
import { readStatus } from '../cli/reads.js';
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
    const { value: status, json } = await readStatus(target);
    if (this.jsonEnabled()) return json;
    this.log(renderStatus(status, target));
    const hint =
      status.queue &&
      deadLetterHint({ count: status.queue.deadLetters, approximate: status.queue.approximate }, target);
    if (hint) this.log(hint);
    return json;
  }
}
