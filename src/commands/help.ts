import { Args, Flags, loadHelpClass } from '@oclif/core';
import { BaseCommand } from '../cli/base.js';
import { withExitCodes } from '../cli/contracts.js';
import { commandNotFound } from '../cli/errors.js';

/**
 * @oclif/plugin-help's `help` command, on oclif's own Help class: `sensorpipe help stream` prints what
 * `sensorpipe stream --help` prints. An unknown command gets the not-found error of every other path.
 */
export default class Help extends BaseCommand {
  static override enableJsonFlag = false;
  static override summary = 'Display help for <%= config.bin %>.';
  static override description = withExitCodes(
    'The same help as --help or -h: "sensorpipe help stream" is "sensorpipe stream --help".',
    { 0: 'printed the help', 2: 'no such command' },
  );

  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help stream'];

  static override args = {
    command: Args.string({ description: 'Command to show help for.', required: false }),
  };

  static override flags = {
    'nested-commands': Flags.boolean({
      char: 'n',
      description: 'Include all nested commands in the output.',
    }),
  };

  static override strict = false;

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Help);
    const words = (argv as string[]).filter((arg) => !arg.startsWith('-'));
    const id = words.join(':');
    if (id !== '' && !this.config.findCommand(id) && !this.config.findTopic(id)) {
      throw commandNotFound(
        id,
        this.config.commands.filter((c) => !c.hidden).map((c) => c.id),
      );
    }
    const HelpClass = await loadHelpClass(this.config);
    await new HelpClass(this.config, { all: flags['nested-commands'] }).showHelp(argv as string[]);
  }
}
