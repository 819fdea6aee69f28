import { basename } from 'node:path';
import { Args } from '@oclif/core';
import { BaseCommand } from '../cli/base.js';
import { completionScript, completionSpec, installLines, SHELLS, type Shell } from '../cli/completion.js';
import { type AutocompleteJson, withExitCodes } from '../cli/contracts.js';

export default class Autocomplete extends BaseCommand {
  static override summary =
    'Print the shell completion script for bash, zsh or PowerShell, and how to install it.';
  static override description = withExitCodes(
    `Completes the commands, their flags and the values of flags that take a list (--target local|aws,
--lambda-runtime...), and files for flags that take a path. The script goes to standard output and
the lines that install it to standard error, so "sensorpipe autocomplete bash > file" writes only the
script. It is made from the commands themselves: make it again after an upgrade.
Without a shell, the one of $SHELL (bash if it is none of the three).`,
    { 0: 'printed the script', 2: 'a shell other than bash, zsh or powershell' },
  );

  static override examples = [
    '<%= config.bin %> autocomplete',
    '<%= config.bin %> autocomplete zsh > ~/.zfunc/_sensorpipe',
    '<%= config.bin %> autocomplete powershell',
  ];

  static override args = {
    shell: Args.string({ description: 'Shell to complete in.', options: [...SHELLS], required: false }),
  };

  async run(): Promise<AutocompleteJson> {
    const { args } = await this.parse(Autocomplete);
    const fromEnv = basename(process.env.SHELL ?? '').replace(/^pwsh$/, 'powershell') as Shell;
    const shell = (args.shell as Shell | undefined) ?? (SHELLS.includes(fromEnv) ? fromEnv : 'bash');
    const spec = completionSpec(this.config.bin, this.config.version, this.config.commands);
    const script = completionScript(shell, spec);
    const install = installLines(shell, this.config.bin);
    if (!this.jsonEnabled()) {
      process.stdout.write(script);
      process.stderr.write(
        `To complete ${this.config.bin} in ${shell}, run once:\n${install.map((l) => `  ${l}`).join('\n')}\n`,
      );
    }
    return { shell, script, install };
  }
}
