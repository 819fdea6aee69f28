import { createInterface } from 'node:readline/promises';
import { Flags } from '@oclif/core';
import { PipelineCommand } from '../cli/base.js';
import { UsageError } from '../core/errors.js';
import type { DestroyResult } from '../targets/target.js';

export default class Destroy extends PipelineCommand {
  static override summary = 'Delete the stack and all its data.';
  static override description =
    `Deletes the stack: locally its SQLite database (queue, dead letters, events, snapshots).
Asks for confirmation; --yes skips it. Without a terminal to ask on, it refuses unless --yes is given.`;

  static override examples = [
    '<%= config.bin %> destroy --target local',
    '<%= config.bin %> destroy --target local --stack-name test --yes',
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
    if (!flags.yes)
      await this.confirm(`Delete stack "${target.stackName}" (${target.location}) and all its data? [y/N] `);
    const result = await target.destroy();
    this.log(`Destroyed stack "${result.stackName}" (${result.location}).`);
    return result;
  }

  private async confirm(question: string): Promise<void> {
    if (!process.stdin.isTTY || this.jsonEnabled()) {
      throw new UsageError(
        'Refusing to destroy without confirmation: no terminal to ask on. Pass --yes to confirm.',
      );
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question(question);
      if (!/^y(es)?$/i.test(answer.trim())) throw new UsageError('Not destroyed: confirmation declined.');
    } finally {
      rl.close();
    }
  }
}
