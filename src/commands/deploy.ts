import { Flags } from '@oclif/core';
import { PipelineCommand } from '../cli/base.js';
import { parameterChanges, stackParameterFlags } from '../cli/flags.js';
import { interruptSignal } from '../cli/signals.js';
import { UsageError } from '../core/errors.js';
import { renderDeploy } from '../render/stack.js';
import { createStackActivity, type StackActivityPrinter } from '../render/stack-activity.js';
import type { DeployResult } from '../targets/target.js';

export default class Deploy extends PipelineCommand {
  static override summary = 'Create or update the pipeline stack.';
  static override description =
    `On AWS, deploys the bundled CloudFormation template, with the Lambda code the package ships, through a
change set: shows the changes, asks before a table or queue would be replaced or removed (their data
would be lost; --yes answers), follows the deploy, names the root cause of a failure, and prints the
outputs. Locally, creates (or migrates) the stack's SQLite database and records its parameters.
Parameters have the same names and defaults on both targets. On a redeploy, flags you pass change their
parameter and every other parameter keeps its deployed value. A redeploy with nothing to change says so
and exits 0.`;

  static override examples = [
    '<%= config.bin %> deploy --target local',
    '<%= config.bin %> deploy --region eu-west-1',
    '<%= config.bin %> deploy --target aws --batch-size 10 --batching-window 0 --window-minutes 10',
    '<%= config.bin %> deploy --target local --no-schedule',
    '<%= config.bin %> deploy --target local --schedule-expression "rate(5 minutes)"',
  ];

  static override flags = {
    ...stackParameterFlags,
    'lambda-runtime': Flags.option({
      options: ['nodejs24.x', 'nodejs22.x'] as const,
      description: 'LambdaRuntime (AWS): the Node.js runtime of both functions (default nodejs24.x).',
    })(),
    'log-retention-days': Flags.option({
      options: ['1', '3', '5', '7', '14', '30', '60', '90', '120', '150', '180', '365'] as const,
      description: "LogRetentionDays (AWS): how long the functions' logs are kept (default 14).",
    })(),
    yes: Flags.boolean({
      char: 'y',
      description: 'Answer yes: replace or remove tables and queues, recreate a stack that failed to create.',
    }),
  };

  async run(): Promise<DeployResult> {
    const { flags } = await this.parse(Deploy);
    const awsParameters: Record<string, string> = {};
    if (flags['lambda-runtime']) awsParameters.LambdaRuntime = flags['lambda-runtime'];
    if (flags['log-retention-days']) awsParameters.LogRetentionDays = flags['log-retention-days'];
    if (flags.target !== 'aws' && Object.keys(awsParameters).length > 0) {
      throw new UsageError(
        '--lambda-runtime and --log-retention-days are for --target aws: a local stack has no functions or logs to set them on.',
      );
    }
    const target = await this.openTarget(flags);
    let activity: StackActivityPrinter | undefined;
    let executing = false;
    // Ctrl-C cannot stop CloudFormation: say that it carries on, and how to follow it.
    const { dispose } = interruptSignal(() => {
      activity?.stop();
      if (target.kind === 'aws') {
        process.stderr.write(
          executing
            ? `Interrupted: CloudFormation carries on with the deploy of stack "${target.stackName}". Follow it with: aws cloudformation describe-stack-events --stack-name ${target.stackName} (or run sensorpipe status --target aws).\n`
            : `Interrupted before the deploy of stack "${target.stackName}" started: nothing was changed.\n`,
        );
      }
      process.exit(130);
    });
    try {
      const result = await target.deploy(parameterChanges(flags), {
        yes: flags.yes,
        templateParameters: awsParameters,
        confirm: this.confirmer(),
        onStart: async () => {
          executing = true;
          activity = this.jsonEnabled()
            ? undefined
            : await createStackActivity(`Deploying ${target.stackName}`);
        },
        onProgress: (progress) => activity?.onProgress(progress),
      });
      activity?.stop();
      this.log(renderDeploy(result));
      return result;
    } finally {
      activity?.stop();
      dispose();
    }
  }
}
