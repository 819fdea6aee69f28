import { PipelineCommand } from '../cli/base.js';
import { type DeadLetterJson, deadLettersJson, withExitCodes } from '../cli/contracts.js';
import { integerFlag } from '../cli/flags.js';
import { renderDeadLetters } from '../render/dead-letters.js';

export default class DeadLetters extends PipelineCommand {
  static override summary = 'List dead-lettered messages without consuming them.';
  static override description = withExitCodes(
    `Shows the messages the storing function could not store after MaxReceiveCount receives: id, receive
count, when they were sent, the first line of the last error where the queue keeps it (SQS does not: on
AWS the errors are in the storing function's logs) and the body, truncated. Nothing is consumed. On AWS
the dead-letter queue is peeked with a visibility timeout of 0, so a peek of a large queue may miss some
messages. Move them back with: sensorpipe redrive.`,
    { 0: 'listed (possibly none)' },
  );

  static override examples = [
    '<%= config.bin %> dead-letters --target local',
    '<%= config.bin %> dead-letters --target aws --limit 50 --json',
  ];

  static override flags = {
    limit: integerFlag({ description: 'Show at most N messages.', min: 1, max: 10_000, default: 20 }),
  };

  async run(): Promise<DeadLetterJson[]> {
    const { flags } = await this.parse(DeadLetters);
    const target = await this.openTarget(flags);
    await target.ensureDeployed();
    const letters = await target.deadLetters(flags.limit);
    this.render((view) => renderDeadLetters(letters, target.stackName, view));
    return deadLettersJson(letters);
  }
}
