import { PipelineCommand } from '../cli/base.js';
import { parameterChanges, stackParameterFlags } from '../cli/flags.js';
import { renderDeploy } from '../render/stack.js';
import type { DeployResult } from '../targets/target.js';

export default class Deploy extends PipelineCommand {
  static override summary = 'Create or update the pipeline stack.';
  static override description =
    `Locally, creates (or migrates) the stack's SQLite database and records its parameters.
Parameters have the same names and defaults as the CloudFormation template's. On a redeploy, flags you
pass change their parameter and every other parameter keeps its deployed value. A redeploy with nothing
to change says so and exits 0.`;

  static override examples = [
    '<%= config.bin %> deploy --target local',
    '<%= config.bin %> deploy --target local --batch-size 10 --batching-window 0 --window-minutes 10',
    '<%= config.bin %> deploy --target local --no-schedule',
    '<%= config.bin %> deploy --target local --schedule-expression "rate(5 minutes)"',
  ];

  static override flags = { ...stackParameterFlags };

  async run(): Promise<DeployResult> {
    const { flags } = await this.parse(Deploy);
    const target = await this.openTarget(flags);
    const result = await target.deploy(parameterChanges(flags));
    this.log(renderDeploy(result));
    return result;
  }
}
