import { PipelineCommand } from '../cli/base.js';
import { type RedriveJson, redriveJson, withExitCodes } from '../cli/contracts.js';
import { integerFlag } from '../cli/flags.js';
import { interruptSignal } from '../cli/signals.js';
import { countProgress } from '../render/count-progress.js';

export default class Redrive extends PipelineCommand {
  static override summary = 'Move dead-lettered messages back to the queue, to be stored again.';
  static override description = withExitCodes(
    `Moves the dead letters back to the stack's queue as new messages, oldest first, so the storing
function gets them again (fix what made them fail first: see sensorpipe dead-letters). --limit moves at
most N. On AWS, without --limit, this is SQS's dead-letter queue redrive (StartMessageMoveTask), followed
to its end. Locally, the moved messages are stored by the next stream or aggregate.`,
    { 0: 'moved (possibly none)', 1: 'the redrive stopped part-way (the reason is named)' },
  );

  static override examples = [
    '<%= config.bin %> redrive --target local',
    '<%= config.bin %> redrive --target local --limit 100',
    '<%= config.bin %> redrive --target aws --json',
  ];

  static override flags = {
    limit: integerFlag({ description: 'Move at most N messages, oldest first.', min: 1 }),
  };

  async run(): Promise<RedriveJson> {
    const { flags } = await this.parse(Redrive);
    const target = await this.openTarget(flags);
    await target.ensureDeployed();
    const progress = this.jsonEnabled()
      ? undefined
      : countProgress((moved, total) => `redrive: ${moved}${total === null ? '' : ` of ${total}`} moved`);
    const { signal, dispose } = interruptSignal();
    try {
      const result = await target.redrive({
        limit: flags.limit,
        signal,
        onProgress: (moved, total) => progress?.update(moved, total),
      });
      progress?.stop();
      const n = (count: number) => count.toLocaleString('en-US');
      this.log(
        result.moved === 0
          ? `No dead letters to move on stack "${target.stackName}".`
          : `Moved ${n(result.moved)} dead letter${result.moved === 1 ? '' : 's'} back to the queue of stack "${target.stackName}"; ${n(result.remaining)} left.`,
      );
      return redriveJson(result);
    } finally {
      progress?.stop();
      dispose();
    }
  }
}
