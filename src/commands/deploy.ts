import { setImmediate } from 'node:timers/promises';
import { Flags } from '@oclif/core';
import { PipelineCommand } from '../cli/base.js';
import { type DeployJson, deployJson, withExitCodes } from '../cli/contracts.js';
import { parameterChanges, stackParameterFlags } from '../cli/flags.js';
import { interruptedAfterDeploy } from '../cli/interrupted.js';
import { interruptSignal } from '../cli/signals.js';
import { renderDeploy } from '../render/stack.js';
import { createStackActivity, type StackActivityPrinter } from '../render/stack-activity.js';

export default class Deploy extends PipelineCommand {
  static override summary = 'Create or update the pipeline stack.';
  static override description = withExitCodes(
    `On AWS, deploys the bundled CloudFormation template, with the Lambda code the package ships, through a
change set: shows the changes, asks before a table or queue would be replaced or removed (their data
would be lost; --yes answers), follows the deploy, names the root cause of a failure, and prints the
outputs. Locally, creates (or migrates) the stack's SQLite database and records its parameters.
Parameters have the same names and defaults on both targets. On a redeploy, flags you pass change their
parameter and every other parameter keeps its deployed value. A redeploy with nothing to change says so
and exits 0.`,
    {
      1: 'the deploy failed (the root cause is named)',
      2: 'a parameter is invalid, or a question was declined or could not be asked',
      3: 'the stack cannot be updated now (busy, another deploy won the race, a failed state), or the file at its path is not a sensorpipe stack',
      4: 'the environment: the disk is full or read-only, the data directory cannot hold a stack, AWS credentials or access',
      130: 'interrupted: at the question or before the deploy started nothing changed; on AWS a started deploy carries on',
    },
  );

  static override examples = [
    '<%= config.bin %> deploy --target local',
    '<%= config.bin %> deploy --region eu-west-1',
    '<%= config.bin %> deploy --target aws --batch-size 10 --batching-window 0 --window-minutes 10',
    '<%= config.bin %> deploy --target local --no-schedule',
    '<%= config.bin %> deploy --target local --schedule-expression "rate(5 minutes)"',
  ];

  static override flags = {
    ...stackParameterFlags,
    yes: Flags.boolean({
      char: 'y',
      description: 'Answer yes: replace or remove tables and queues, recreate a stack that failed to create.',
    }),
  };

  async run(): Promise<DeployJson> {
    const { flags } = await this.parse(Deploy);
    const target = await this.openTarget(flags);
    let activity: StackActivityPrinter | undefined;
    const { signal, dispose } = interruptSignal(() => activity?.stop());
    try {
      const result = await target.deploy(parameterChanges(flags), {
        yes: flags.yes,
        confirm: this.confirmer(),
        signal,
        onStart: async () => {
          activity = this.jsonEnabled()
            ? undefined
            : await createStackActivity(`Deploying ${target.stackName}`);
        },
        onProgress: (progress) => activity?.onProgress(progress),
      });
      activity?.stop();
      // A Ctrl-C that came while the deploy ran without yielding (a local deploy is synchronous) is
      // delivered by the event loop's next poll for I/O, which two turns are sure to include: take
      // it, and say what was done.
      await setImmediate();
      await setImmediate();
      if (signal.aborted) throw interruptedAfterDeploy(result, target);
      this.render((view) => renderDeploy(result, view));
      return deployJson(result);
    } finally {
      activity?.stop();
      dispose();
    }
  }
}
