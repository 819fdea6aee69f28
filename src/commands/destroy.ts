import { Flags } from '@oclif/core';
import { PipelineCommand } from '../cli/base.js';
import { UsageError } from '../core/errors.js';
import { createStackActivity, type StackActivityPrinter } from '../render/stack-activity.js';
import type { DestroyResult } from '../targets/target.js';

export default class Destroy extends PipelineCommand {
  static override summary = 'Delete the stack and all its data.';
  static override description =
    `Deletes the stack and everything in it: on AWS the CloudFormation stack (queues, tables with their
events and snapshots, functions, roles, log groups, schedule), following the deletion and naming what
could not be deleted; locally its SQLite database. Asks for confirmation; --yes skips it. Without a
terminal to ask on, it refuses unless --yes is given.`;

  static override examples = [
    '<%= config.bin %> destroy --target local',
    '<%= config.bin %> destroy --target aws --stack-name test --yes',
  ];

  static override flags = {
    yes: Flags.boolean({ char: 'y', description: 'Do not ask for confirmation.' }),
  };

  async run(): Promise<DestroyResult> {
    const { flags } = await this.parse(Destroy);
    const target = await this.openTarget(flags);
    if (!(await target.exists())) {
      this.log(
        `Stack "${target.stackName}" is not deployed on the ${target.kind} target; nothing to destroy.`,
      );
      return {
        stackName: target.stackName,
        target: target.kind,
        destroyed: false,
        location: target.location,
      };
    }
    if (!flags.yes) {
      const confirm = this.confirmer();
      if (!confirm) {
        throw new UsageError(
          'Refusing to destroy without confirmation: no terminal to ask on. Pass --yes to confirm.',
        );
      }
      const what = target.kind === 'aws' ? 'its queues, tables, functions and logs' : 'its database';
      if (
        !(await confirm(
          `Delete stack "${target.stackName}" (${target.location}), ${what}, and all its data?`,
        ))
      )
        throw new UsageError('Not destroyed: confirmation declined.');
    }
    let activity: StackActivityPrinter | undefined;
    if (target.kind === 'aws' && !this.jsonEnabled())
      activity = await createStackActivity(`Deleting ${target.stackName}`);
    try {
      const result = await target.destroy({ onProgress: (progress) => activity?.onProgress(progress) });
      activity?.stop();
      this.log(`Destroyed stack "${result.stackName}" (${result.location}).`);
      return result;
    } finally {
      activity?.stop();
    }
  }
}
