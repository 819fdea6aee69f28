import { PipelineCommand } from '../cli/base.js';
import { integerFlag } from '../cli/flags.js';
import { renderDeadLetters } from '../render/dead-letters.js';
import type { DeadLetterView } from '../targets/target.js';

export default class DeadLetters extends PipelineCommand {
  static override summary = 'List dead-lettered messages without consuming them.';
  static override description =
    `Shows the messages the storing function could not store after MaxReceiveCount receives: id, receive
count, when they were sent, the first line of the last error (local only: on AWS the errors are in the
storing function's logs) and the body, truncated. Nothing is consumed. On AWS the dead-letter queue is
peeked with a visibility timeout of 0, so a peek of a large queue may miss some messages.
Move them back with: sensorpipe redrive.`;

  static override examples = [
    '<%= config.bin %> dead-letters --target local',
    '<%= config.bin %> dead-letters --target aws --limit 50 --json',
  ];

  static override flags = {
    limit: integerFlag({ description: 'Show at most N messages.', min: 1, max: 10_000, default: 20 }),
  };

  async run(): Promise<DeadLetterView[]> {
    const { flags } = await this.parse(DeadLetters);
    const target = await this.openTarget(flags);
    await target.ensureDeployed();
    const letters = await target.deadLetters(flags.limit);
    this.log(renderDeadLetters(letters, target.stackName));
    return letters;
  }
}
