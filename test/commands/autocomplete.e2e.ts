import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { buildRoot, ensureBuilt } from '../../testkit/build.js';
import { run } from '../../testkit/cli.js';
import { Sandbox } from '../../testkit/sandbox.js';

const hasShell = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;

interface ManifestFlag {
  type: string;
  char?: string;
  options?: string[];
  allowNo?: boolean;
  hidden?: boolean;
}

describe('commands/autocomplete', function () {
  this.timeout(60_000);
  let box: Sandbox;
  let manifest: { commands: Record<string, { flags: Record<string, ManifestFlag>; hidden?: boolean }> };

  before(async function () {
    await ensureBuilt.call(this);
    manifest = JSON.parse(readFileSync(path.join(await buildRoot(), 'oclif.manifest.json'), 'utf8'));
  });
  beforeEach(() => {
    box = new Sandbox('sp-complete-');
  });
  afterEach(() => box.remove());

  async function script(shell: string): Promise<string> {
    const result = await run(['autocomplete', shell]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stderr).to.include(`To complete sensorpipe in ${shell}, run once:`);
    return box.write(`completion.${shell}`, result.stdout);
  }

  /** What bash completes for the words (the last one being completed), with the script sourced. */
  function bashComplete(file: string, ...words: string[]): string[] {
    const program = `source ${JSON.stringify(file)}; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _sensorpipe_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const out = execFileSync('bash', ['-c', program, 'bash', ...words], { encoding: 'utf8' });
    return out.split('\n').filter((line) => line !== '');
  }

  it('bash: registers with complete, and completes the commands, flags, option values and paths', async () => {
    const file = await script('bash');
    expect(
      execFileSync('bash', ['-c', `source ${file}; complete -p sensorpipe`], { encoding: 'utf8' }).trim(),
    ).to.equal('complete -F _sensorpipe_complete sensorpipe');
    expect(bashComplete(file, 'sensorpipe', 'str')).to.deep.equal(['stream']);
    expect(bashComplete(file, 'sensorpipe', 'de')).to.deep.equal(['dead-letters', 'deploy', 'destroy']);
    expect(bashComplete(file, 'sensorpipe', 'stream', '--inter')).to.deep.equal(['--interval-ms']);
    expect(bashComplete(file, 'sensorpipe', 'status', '--target', '')).to.deep.equal(['local', 'aws']);
    // --flag=value: bash splits the words at "=".
    expect(bashComplete(file, 'sensorpipe', 'deploy', '--lambda-runtime', '=', 'nodejs2')).to.deep.equal([
      'nodejs24.x',
      'nodejs22.x',
    ]);
    expect(bashComplete(file, 'sensorpipe', 'deploy', '--target', '=')).to.deep.equal(['local', 'aws']);
    expect(bashComplete(file, 'sensorpipe', 'deploy', '--no-sch')).to.deep.equal(['--no-schedule']);
    expect(bashComplete(file, 'sensorpipe', 'help', 'st')).to.deep.equal(['status', 'stream']);
    expect(bashComplete(file, 'sensorpipe', 'autocomplete', '')).to.deep.equal(['bash', 'zsh', 'powershell']);
    const csv = box.write('rivers.csv', 'County\nx\n');
    expect(bashComplete(file, 'sensorpipe', 'stream', '--file', path.join(box.dir, 'riv'))).to.deep.equal([
      csv,
    ]);
    expect(bashComplete(file, 'sensorpipe', 'stream', '--stack-name', '')).to.deep.equal([]);
  });

  it('bash: completes every flag of every command of the manifest, and every value of its option flags', async () => {
    const file = await script('bash');
    for (const [id, command] of Object.entries(manifest.commands)) {
      if (command.hidden) continue;
      const offered = bashComplete(file, 'sensorpipe', id, '-');
      for (const [name, flag] of Object.entries(command.flags)) {
        if (flag.hidden) continue;
        expect(offered, `${id} --${name}`).to.include(`--${name}`);
        if (flag.char) expect(offered, `${id} -${flag.char}`).to.include(`-${flag.char}`);
        if (flag.allowNo) expect(offered, `${id} --no-${name}`).to.include(`--no-${name}`);
        if (flag.options)
          expect(bashComplete(file, 'sensorpipe', id, `--${name}`, ''), `${id} --${name}`).to.deep.equal(
            flag.options,
          );
      }
    }
  });

  (hasShell('zsh') ? it : it.skip)(
    'zsh: parses, registers with compinit, and hands _arguments each flag and its values',
    async () => {
      const file = await script('zsh');
      const dir = path.dirname(file);
      execFileSync('cp', [file, path.join(dir, '_sensorpipe')]);
      const registered = execFileSync(
        'zsh',
        [
          '-f',
          '-c',
          `fpath=(${dir} $fpath); autoload -Uz compinit && compinit -u -d ${dir}/zcompdump; print -r -- $_comps[sensorpipe]`,
        ],
        { encoding: 'utf8' },
      );
      expect(registered.trim()).to.equal('_sensorpipe');
      // _arguments and _describe stubbed to print what they are given.
      const specs = execFileSync(
        'zsh',
        [
          '-f',
          '-c',
          `compdef() { :; }; _arguments() { print -rl -- "$@"; }; _describe() { print -rl -- "\${(@P)4}"; }
source ${file}; words=(sensorpipe deploy --t); CURRENT=3; _sensorpipe; words=(sensorpipe s); CURRENT=2; _sensorpipe`,
        ],
        { encoding: 'utf8' },
      );
      expect(specs).to.include(
        '--target=[Where the pipeline runs\\: aws, or local (one SQLite file, no account needed).]:target:(local aws)',
      );
      expect(specs).to.include(':lambda-runtime:(nodejs24.x nodejs22.x)');
      expect(specs).to.include('(--schedule --no-schedule)--no-schedule');
      expect(specs).to.include('--data-dir=[Directory of local stacks (--target local).]:data-dir:_files -/');
      expect(specs).to.match(/^stream:Stream CSV rows/m);
    },
  );

  (hasShell('pwsh') ? it : it.skip)(
    'powershell: registers an argument completer that completes option values',
    async () => {
      const file = await script('powershell');
      const out = execFileSync(
        'pwsh',
        [
          '-NoProfile',
          '-Command',
          `. ${file}; (TabExpansion2 -inputScript 'sensorpipe status --target ' -cursorColumn 27).CompletionMatches.CompletionText`,
        ],
        { encoding: 'utf8' },
      );
      expect(out.split(/\r?\n/).filter(Boolean)).to.deep.equal(['local', 'aws']);
    },
  );

  it('picks the shell of $SHELL, and with --json gives the script and the install lines', async () => {
    const zsh = await run(['autocomplete'], { env: { SHELL: '/usr/bin/zsh' } });
    expect(zsh.stdout).to.match(/^#compdef sensorpipe/);
    const json = JSON.parse((await run(['autocomplete', 'bash', '--json'])).stdout) as {
      shell: string;
      script: string;
      install: string[];
    };
    expect(json.shell).to.equal('bash');
    expect(json.script).to.include('complete -F _sensorpipe_complete sensorpipe');
    expect(json.install[0]).to.include('sensorpipe autocomplete bash >');
    const bad = await run(['autocomplete', 'fish']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/^Error: Expected fish to be one of: bash, zsh, powershell/);
  });
});
