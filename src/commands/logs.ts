import { Flags } from '@oclif/core';
import { PipelineCommand } from '../cli/base.js';
import { logJson, withExitCodes } from '../cli/contracts.js';
import { sinceFlag } from '../cli/flags.js';
import { interruptSignal } from '../cli/signals.js';
import { FUNCTION_NAMES } from '../core/logs.js';
import { renderLogLine } from '../render/logs.js';

export default class Logs extends PipelineCommand {
  static override summary = 'Show what the storing and aggregation functions logged; --follow for new lines.';
  static override description = withExitCodes(
    `Each line with its time and function, both functions interleaved by time: the storing function's
entry per batch (stored and failed counts, and why each failed message failed, by message id), the
aggregation's per run, and on AWS Lambda's own lines (START, END, REPORT, errors). On AWS it reads the
functions' CloudWatch Logs groups (FilterLogEvents); locally what the runtime kept in the stack (14
days, the newest 100,000 lines). --filter keeps the lines that contain the text, exactly.
--follow keeps printing new lines (polling about once a second) until Ctrl-C. With --json, one
object per line: {"function","timestamp","level","message","entry"}.`,
    {
      0: 'printed the lines (possibly none), or --follow stopped by Ctrl-C',
      3: 'the stack is not deployed, or a log group of it was deleted',
      4: 'AWS could not be reached, denied the request, or kept throttling it',
    },
  );

  static override examples = [
    '<%= config.bin %> logs --target local',
    '<%= config.bin %> logs --target local --function storing --since 1h',
    '<%= config.bin %> logs --target aws --follow',
    '<%= config.bin %> logs --target local --filter "not valid JSON" --json',
  ];

  static override flags = {
    function: Flags.option({
      options: FUNCTION_NAMES,
      description: "Only this function's lines (default: both).",
    })(),
    since: sinceFlag({
      description: 'From this long ago (30s, 10m, 2h, 1d, 1h30m) or this ISO 8601 time (UTC by default).',
      default: '10m',
    }),
    follow: Flags.boolean({ char: 'f', description: 'Keep printing new lines until Ctrl-C.' }),
    filter: Flags.string({
      description: 'Only the lines that contain this text (case-sensitive).',
      helpValue: 'TEXT',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Logs);
    const target = await this.openTarget(flags);
    await target.ensureDeployed();
    const query = {
      functions: flags.function ? [flags.function] : FUNCTION_NAMES,
      since: flags.since,
      filter: flags.filter,
    };
    const { signal, dispose } = interruptSignal();
    let printed = 0;
    try {
      for await (const lines of target.logs(query, { follow: flags.follow, signal })) {
        for (const line of lines) {
          if (this.jsonEnabled()) this.logJson(logJson(line));
          else this.log(renderLogLine(line, { filter: flags.filter }));
        }
        printed += lines.length;
      }
    } finally {
      dispose();
    }
    if (printed === 0 && !this.jsonEnabled() && !signal.aborted) {
      const since = new Date(flags.since).toISOString();
      process.stderr.write(
        `No lines logged by ${flags.function ? `the ${flags.function} function` : 'the functions'} of stack "${target.stackName}" since ${since}${flags.filter === undefined ? '' : ` that contain "${flags.filter}"`}.\n`,
      );
    }
  }
}
