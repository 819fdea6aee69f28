import { PipelineCommand } from '../cli/base.js';
import { integerFlag } from '../cli/flags.js';
import type { RedriveResult } from '../targets/target.js';

export default class Redrive extends PipelineCommand {
  static override summary = 'Move dead-lettered messages back to the queue, to be stored again.';
  static override description =
    `Moves the dead letters back to the stack's queue as new messages, oldest first, so the storing
function gets them again (fix what made them fail first: see sensorpipe dead-letters). On AWS this is
SQS's dead-letter queue redrive (StartMessageMoveTask), which moves them all and is followed to its end.
Locally, --limit moves at most N, and the moved messages are stored by the next stream or aggregate.`;

  static override examples = [
    '<%= config.bin %> redrive --target local',
    '<%= config.bin %> redrive --target local --limit 100',
    '<%= config.bin %> redrive --target aws --json',
  ];

  static override flags = {
    limit: integerFlag({ description: 'Move at most N messages (local target).', min: 1 }),
  };

  async run(): Promise<RedriveResult> {
    const { flags } = await this.parse(Redrive);
    const target = await this.openTarget(flags);
    await target.ensureDeployed();
    const result = await target.redrive({
      limit: flags.limit,
      onProgress: (moved, total) => {
        if (!this.jsonEnabled())
          process.stderr.write(`redrive: ${moved}${total === null ? '' : ` of ${total}`} moved\n`);
      },
    });
    this.log(
      result.moved === 0
        ? `No dead letters to move on stack "${target.stackName}".`
        : `Moved ${result.moved.toLocaleString('en-US')} dead letters back to the queue of stack "${target.stackName}"; ${result.remaining.toLocaleString('en-US')} left.`,
    );
    return result;
  }
}
