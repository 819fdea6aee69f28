/**
 * Shell completion scripts for bash, zsh and PowerShell, made from the commands' metadata (oclif's
 * manifest, through `completionSpec`): the commands, their flags, the values of option flags and of
 * arguments, files for flags that take a path. A flag added to a command is completed with no
 * edit here. The scripts carry everything, so completing never starts sensorpipe.
 */

export const SHELLS = ['bash', 'zsh', 'powershell'] as const;
export type Shell = (typeof SHELLS)[number];

export interface CompletionFlag {
  /** Without the dashes. */
  name: string;
  char?: string;
  summary: string;
  /** False for a switch. */
  takesValue: boolean;
  /** The values it takes, when they are a list. */
  values?: readonly string[];
  /** A path it takes: any file, or a directory. */
  path?: 'file' | 'directory';
  /** A switch with a --no- form. */
  allowNo?: boolean;
}

export interface CompletionCommand {
  /** As typed: words separated by spaces. */
  id: string;
  summary: string;
  flags: readonly CompletionFlag[];
  /** The values of its arguments, in order (all of them for a variadic command). */
  args: readonly (readonly string[])[];
}

export interface CompletionSpec {
  bin: string;
  version: string;
  commands: readonly CompletionCommand[];
}

/** What oclif's manifest says of a command (Command.Loadable), as far as completion needs it. */
export interface CommandMetadata {
  id: string;
  hidden?: boolean;
  summary?: string;
  description?: string;
  flags: Record<
    string,
    {
      type: string;
      char?: string;
      summary?: string;
      description?: string;
      options?: readonly string[];
      allowNo?: boolean;
      helpValue?: string | string[];
      hidden?: boolean;
    }
  >;
  args: Record<string, { options?: readonly string[] }>;
}

/** A help value that names a path makes the flag complete files; DIR, directories. */
const PATH_VALUES: Record<string, 'file' | 'directory'> = { PATH: 'file', FILE: 'file', DIR: 'directory' };

/** The first line of a text, for a completion menu: summaries and flag descriptions are one line. */
function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0]?.trim() ?? '';
}

export function completionSpec(
  bin: string,
  version: string,
  commands: readonly CommandMetadata[],
): CompletionSpec {
  const visible = commands.filter((c) => !c.hidden).sort((a, b) => a.id.localeCompare(b.id));
  const ids = visible.map((c) => c.id.replaceAll(':', ' '));
  return {
    bin,
    version,
    commands: visible.map((command) => ({
      id: command.id.replaceAll(':', ' '),
      summary: firstLine((command.summary ?? command.description)?.replaceAll('<%= config.bin %>', bin)),
      flags: [
        ...Object.entries(command.flags)
          .filter(([, flag]) => !flag.hidden)
          .map(([name, flag]): CompletionFlag => {
            const helpValue = Array.isArray(flag.helpValue) ? flag.helpValue[0] : flag.helpValue;
            const path = helpValue === undefined ? undefined : PATH_VALUES[helpValue];
            return {
              name,
              ...(flag.char ? { char: flag.char } : {}),
              summary: firstLine(flag.summary ?? flag.description),
              takesValue: flag.type !== 'boolean',
              ...(flag.options ? { values: flag.options } : {}),
              ...(path ? { path } : {}),
              ...(flag.type === 'boolean' && flag.allowNo ? { allowNo: true } : {}),
            };
          }),
        { name: 'help', char: 'h', summary: 'Show help.', takesValue: false },
      ],
      // `help <command>` completes the commands.
      args:
        command.id === 'help'
          ? [ids]
          : Object.values(command.args).map((arg) => arg.options ?? ([] as string[])),
    })),
  };
}

export function completionScript(shell: Shell, spec: CompletionSpec): string {
  if (shell === 'bash') return bashScript(spec);
  if (shell === 'zsh') return zshScript(spec);
  return powershellScript(spec);
}

/** Where to put the script, per shell: the lines to run once (and again after an upgrade). */
export function installLines(shell: Shell, bin: string): string[] {
  if (shell === 'bash') {
    return [
      `mkdir -p ~/.local/share/bash-completion/completions && ${bin} autocomplete bash > ~/.local/share/bash-completion/completions/${bin}`,
      `(without the bash-completion package: ${bin} autocomplete bash > ~/.${bin}-completion.bash && echo 'source ~/.${bin}-completion.bash' >> ~/.bashrc)`,
      'then open a new shell.',
    ];
  }
  if (shell === 'zsh') {
    return [
      `mkdir -p ~/.zfunc && ${bin} autocomplete zsh > ~/.zfunc/_${bin}`,
      `add to ~/.zshrc, before compinit (or once, without one): fpath=(~/.zfunc $fpath); autoload -Uz compinit && compinit`,
      'then open a new shell.',
    ];
  }
  return [
    `${bin} autocomplete powershell | Out-File -Encoding utf8 (Join-Path (Split-Path $PROFILE) ${bin}-completion.ps1)`,
    `Add-Content $PROFILE ('. ' + (Join-Path (Split-Path $PROFILE) ${bin}-completion.ps1))`,
    'then open a new PowerShell.',
  ];
}

const header = (comment: string, spec: CompletionSpec, shell: Shell) =>
  `${comment} ${shell} completion for ${spec.bin} ${spec.version}, made by \`${spec.bin} autocomplete ${shell}\` from its commands.\n` +
  `${comment} Made again after an upgrade, it completes the new commands and flags.\n`;

/** A word list for bash's compgen -W: the words never hold spaces or quotes. */
const words = (list: readonly string[]) => list.join(' ');

function flagWords(flag: CompletionFlag): string[] {
  return [
    `--${flag.name}`,
    ...(flag.allowNo ? [`--no-${flag.name}`] : []),
    ...(flag.char ? [`-${flag.char}`] : []),
  ];
}

function bashScript(spec: CompletionSpec): string {
  const fn = `_${spec.bin.replace(/\W/g, '_')}_complete`;
  const topLevel = [...spec.commands.map((c) => c.id.split(' ')[0] as string), '--help', '--version'];
  const cases = spec.commands.map((command) => {
    const valueCases = command.flags
      .filter((flag) => flag.takesValue)
      .map((flag) => {
        const names = [`--${flag.name}`, ...(flag.char ? [`-${flag.char}`] : [])].join('|');
        const action = flag.values
          ? `COMPREPLY=($(compgen -W "${words(flag.values)}" -- "$cur"))`
          : flag.path === 'directory'
            ? 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur"))'
            : flag.path === 'file'
              ? 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))'
              : 'COMPREPLY=()';
        return `        ${names}) ${action}; return ;;`;
      });
    const argValues = [...new Set(command.args.flat())];
    return [
      `    "${command.id}")`,
      ...(valueCases.length > 0 ? ['      case "$flag" in', ...valueCases, '      esac'] : []),
      argValues.length > 0
        ? `      if [[ $cur != -* ]]; then COMPREPLY=($(compgen -W "${words(argValues)}" -- "$cur")); return; fi`
        : '',
      `      COMPREPLY=($(compgen -W "${words(command.flags.flatMap(flagWords))}" -- "$cur")) ;;`,
    ]
      .filter((line) => line !== '')
      .join('\n');
  });
  return `${header('#', spec, 'bash')}${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} flag=""
  COMPREPLY=()
  # bash splits --flag=value at "=" (COMP_WORDBREAKS): the flag is the word before the "=".
  if [[ $cur == "=" ]]; then
    flag=$prev
    cur=""
  elif [[ $prev == "=" && $COMP_CWORD -ge 3 ]]; then
    flag=\${COMP_WORDS[COMP_CWORD-2]}
  elif [[ $prev == -* ]]; then
    flag=$prev
  fi
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${words(topLevel)}" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases.join('\n')}
  esac
}
complete -F ${fn} ${spec.bin}
`;
}

/** Text inside a zsh single-quoted _arguments spec: no quote, and no bracket or colon unescaped. */
function zshText(text: string): string {
  return text.replace(/([[\]:\\])/g, '\\$1').replace(/'/g, `'\\''`);
}

function zshFlagSpecs(flag: CompletionFlag): string[] {
  const help = `[${zshText(flag.summary)}]`;
  const value = !flag.takesValue
    ? ''
    : flag.values
      ? `:${flag.name}:(${flag.values.join(' ')})`
      : flag.path === 'directory'
        ? `:${flag.name}:_files -/`
        : flag.path === 'file'
          ? `:${flag.name}:_files`
          : `:${flag.name}: `;
  const long = `--${flag.name}${flag.takesValue ? '=' : ''}`;
  if (flag.allowNo) {
    const both = `(--${flag.name} --no-${flag.name})`;
    return [`'${both}${long}${help}'`, `'${both}--no-${flag.name}[${zshText(`Not --${flag.name}.`)}]'`];
  }
  if (flag.char) {
    const short = `-${flag.char}${flag.takesValue ? '+' : ''}`;
    return [`'(-${flag.char} --${flag.name})'{${short},${long}}'${help}${value}'`];
  }
  return [`'${long}${help}${value}'`];
}

function zshScript(spec: CompletionSpec): string {
  const fn = `_${spec.bin.replace(/\W/g, '_')}`;
  const commandList = spec.commands.map((c) => `    '${zshText(c.id)}:${zshText(c.summary)}'`);
  const cases = spec.commands.map((command) => {
    const args = command.args.map((values, i) => `'${i + 1}:${command.id}:(${values.join(' ')})'`);
    const specs = [...command.flags.flatMap(zshFlagSpecs), ...args];
    return `    ${command.id})\n      _arguments -s \\\n        ${specs.join(' \\\n        ')}\n      ;;`;
  });
  return `#compdef ${spec.bin}
${header('#', spec, 'zsh')}${fn}() {
  local -a commands
  commands=(
${commandList.join('\n')}
  )
  if (( CURRENT == 2 )); then
    _describe -t commands '${spec.bin} command' commands
    return
  fi
  local command=$words[2]
  shift words
  (( CURRENT-- ))
  case $command in
${cases.join('\n')}
  esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${spec.bin}
fi
`;
}

function powershellScript(spec: CompletionSpec): string {
  // The data as JSON in a here-string: '@ cannot occur in it, since JSON has no newline before an @.
  const data = JSON.stringify({
    commands: spec.commands.map((c) => ({
      id: c.id,
      summary: c.summary,
      args: c.args,
      flags: c.flags.map((f) => ({
        names: flagWords(f),
        summary: f.summary,
        takesValue: f.takesValue,
        values: f.values ?? [],
        path: f.path ?? '',
      })),
    })),
  });
  return `${header('#', spec, 'powershell')}Register-ArgumentCompleter -Native -CommandName ${spec.bin} -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $spec = @'
${data}
'@ | ConvertFrom-Json
  $result = { param($text, $tip) [System.Management.Automation.CompletionResult]::new($text, $text, 'ParameterValue', $(if ($tip) { $tip } else { $text })) }
  # The words before the one being completed.
  $typed = @($commandAst.CommandElements | Where-Object { $_.Extent.EndOffset -lt $cursorPosition } | ForEach-Object { $_.ToString() })
  if ($typed.Count -le 1) {
    foreach ($c in $spec.commands) { if ($c.id -like "$wordToComplete*") { & $result $c.id $c.summary } }
    return
  }
  $command = $spec.commands | Where-Object { $_.id -eq $typed[1] } | Select-Object -First 1
  if (-not $command) { return }
  $prefix = ''
  $word = $wordToComplete
  $flagName = $typed[-1]
  if ($wordToComplete -match '^(--?[^=]+)=(.*)$') { $flagName = $Matches[1]; $prefix = "$($Matches[1])="; $word = $Matches[2] }
  $flag = $command.flags | Where-Object { $_.names -contains $flagName } | Select-Object -First 1
  if ($flag -and $flag.takesValue -and ($prefix -or $typed[-1] -eq $flagName)) {
    foreach ($v in $flag.values) { if ($v -like "$word*") { & $result "$prefix$v" $v } }
    return
  }
  if ($wordToComplete -notlike '-*') {
    foreach ($v in ($command.args | ForEach-Object { $_ })) { if ($v -like "$wordToComplete*") { & $result $v $v } }
  }
  foreach ($f in $command.flags) { foreach ($n in $f.names) { if ($n -like "$wordToComplete*") { & $result $n $f.summary } } }
}
`;
}
