import { Flags } from '@oclif/core';
import { PipelineCommand } from '../cli/base.js';
import { type OutputsJson, type StatusJson, withExitCodes } from '../cli/contracts.js';
import { deadLetterHint } from '../cli/hints.js';
import { readStatus } from '../cli/reads.js';
import { renderStatus } from '../render/stack.js';
import { wrap } from '../render/width.js';
import { shellWord } from '../targets/stack-ref.js';

export default class Status extends PipelineCommand {
  static override summary =
    'Show the stack: deployed or not, parameters, queue depths, events stored, last aggregation.';
  static override description = withExitCodes(
    `A stack that is not deployed is reported as such ("deployed": false), with exit code 0. On AWS it also
shows the region, the stack's outputs and links to the stack and its resources in the AWS console.
--outputs prints only the outputs, as KEY=VALUE lines for scripts (eval "$(sensorpipe status --outputs)"):
on AWS the stack's (queue URLs, table and function names), locally their equivalents (DatabaseFile and
the tables in it).`,
    {
      0: 'the status was read, deployed or not',
      3: 'with --outputs: the stack is not deployed',
    },
  );
  static override examples = [
    '<%= config.bin %> status --target local',
    '<%= config.bin %> status --target local --json',
    '<%= config.bin %> status --region eu-west-1 --outputs',
  ];

  static override flags = {
    outputs: Flags.boolean({
      description: 'Print only the outputs, as KEY=VALUE lines (locally: the stack file and its tables).',
    }),
  };

  async run(): Promise<StatusJson | OutputsJson> {
    const { flags } = await this.parse(Status);
    const target = await this.openTarget(flags);
    if (flags.outputs) {
      const outputs = Object.fromEntries(Object.entries(await target.outputs()).sort());
      // Quoted for a shell where a value needs it (a path with a space), so that eval reads it back.
      for (const [key, value] of Object.entries(outputs)) this.log(`${key}=${shellWord(value)}`);
      return outputs;
    }
    const { value: status, json } = await readStatus(target);
    if (this.jsonEnabled()) return json;
    this.render((view) => renderStatus(status, target, view));
    const hint =
      status.queue &&
      deadLetterHint({ count: status.queue.deadLetters, approximate: status.queue.approximate }, target);
    if (hint) this.render((view) => wrap(hint, view.columns).join('\n'));
    return json;
  }
}
