import { Flags } from '@oclif/core';
import { PipelineCommand } from '../cli/base.js';
import { type DestroyJson, destroyJson, withExitCodes } from '../cli/contracts.js';
import { confirmOrRefuse } from '../core/deploy.js';
import { UsageError } from '../core/errors.js';
import { printable } from '../render/printable.js';
import { renderDestroyed } from '../render/stack.js';
import { createStackActivity, type StackActivityPrinter } from '../render/stack-activity.js';
import { notDeployedMessage, stackIdentity } from '../targets/stack-ref.js';

export default class Destroy extends PipelineCommand {
  static override summary = 'Delete the stack and all its data.';
  static override description = withExitCodes(
    `Deletes the stack and everything in it: on AWS the CloudFormation stack (queues, tables with their
events and snapshots, functions, roles, log groups, schedule), following the deletion and naming what
could not be deleted; locally its SQLite database. Asks for confirmation; --yes skips it. Without a
terminal to ask on, it refuses unless --yes is given.`,
    {
      0: 'destroyed, or there was nothing to destroy',
      1: 'something could not be deleted (it is named)',
      2: 'not confirmed: declined, or no terminal to ask on without --yes',
      4: 'the environment: the data directory is read-only, the stack path is a directory, AWS credentials or access',
      130: 'Ctrl-C at the question: cancelled, nothing was deleted',
    },
  );

  static override examples = [
    '<%= config.bin %> destroy --target local',
    '<%= config.bin %> destroy --target aws --stack-name test --yes',
  ];

  static override flags = {
    yes: Flags.boolean({ char: 'y', description: 'Do not ask for confirmation.' }),
  };

  async run(): Promise<DestroyJson> {
    const { flags } = await this.parse(Destroy);
    const target = await this.openTarget(flags);
    if (!(await target.exists())) {
      this.render(() => printable(`${notDeployedMessage(target)}: nothing to destroy.`));
      return destroyJson({ ...stackIdentity(target), destroyed: false });
    }
    const question = `Delete stack "${target.stackName}" (${target.location}), ${target.contents}, and all its data?`;
    const refusal = new UsageError(
      'Refusing to destroy without confirmation: no terminal to ask on. Pass --yes to confirm.',
    );
    if (!(await confirmOrRefuse({ yes: flags.yes, confirm: this.confirmer() }, question, refusal)))
      throw new UsageError('Not destroyed: confirmation declined.');
    let activity: StackActivityPrinter | undefined;
    try {
      const result = await target.destroy({
        onStart: async () => {
          if (!this.jsonEnabled()) activity = await createStackActivity(`Deleting ${target.stackName}`);
        },
        onProgress: (progress) => activity?.onProgress(progress),
      });
      activity?.stop();
      this.render((view) => renderDestroyed(result, view));
      return destroyJson(result);
    } finally {
      activity?.stop();
    }
  }
}
