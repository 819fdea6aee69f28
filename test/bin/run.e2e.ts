import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { buildRoot, ensureBuilt } from '../../testkit/build.js';
import { loadedModules, moduleListOptions, run, runWithOclif } from '../../testkit/cli.js';
import { childEnv } from '../../testkit/env.js';
import { ROOT } from '../../testkit/paths.js';

/** The invocations the build rendered help for (dist/help.json), as argument lists. */
async function helpInvocations(): Promise<string[][]> {
  const help = JSON.parse(readFileSync(path.join(await buildRoot(), 'dist', 'help.json'), 'utf8')) as {
    invocations: Record<string, unknown>;
  };
  return Object.keys(help.invocations).map((key) => (key === '' ? [] : key.split(' ')));
}

describe('bin/run.js', () => {
  before(ensureBuilt);

  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const expected = `${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}`;

  for (const flag of ['--version', '-v']) {
    it(`answers ${flag} with the name, version, platform and Node version, as oclif does`, async () => {
      const result = await run([flag]);
      expect(result.code).to.equal(0);
      expect(result.stdout.trim()).to.equal(expected);
      expect(result.stderr).to.equal('');
    });
  }

  it('hands everything else to oclif (--help lists the commands)', async () => {
    const result = await run(['--help']);
    expect(result.code).to.equal(0);
    for (const command of [
      'aggregate',
      'deploy',
      'destroy',
      'show',
      'status',
      'stream',
      'template',
      'verify',
    ]) {
      expect(result.stdout).to.match(new RegExp(`^\\s+${command}\\s`, 'm'));
    }
  });

  it('prints, for every command and at the top level, with --help, -h and help <command>, byte for byte what oclif prints', async function () {
    this.timeout(120_000);
    const invocations = await helpInvocations();
    const commands = ['aggregate', 'autocomplete', 'dead-letters', 'deploy', 'destroy', 'help'];
    for (const command of [...commands, 'redrive', 'show', 'status', 'stream', 'template', 'verify']) {
      for (const args of [
        [command, '--help'],
        [command, '-h'],
        ['help', command],
      ])
        expect(invocations.map((a) => a.join(' '))).to.include(args.join(' '));
    }
    // Two at a time: oclif's path takes a few hundred ms on a busy machine.
    const all = [...invocations, ['nosuch', '--help'], ['strem', '-h']];
    for (let i = 0; i < all.length; i += 2) {
      await Promise.all(
        all.slice(i, i + 2).map(async (args) => {
          const [fast, plain] = await Promise.all([run(args), runWithOclif(args)]);
          const label = `sensorpipe ${args.join(' ')}`;
          expect(fast.stdout, label).to.equal(plain.stdout);
          expect(fast.stderr, label).to.equal(plain.stderr);
          expect(fast.code, label).to.equal(plain.code);
        }),
      );
    }
  });

  it('prints the same help for -h and --help at the top level (the commands, not "command -h not found")', async () => {
    const [short, long, none] = await Promise.all([run(['-h']), run(['--help']), run([])]);
    expect(short.code).to.equal(0);
    expect(short.stdout).to.match(/^COMMANDS$/m);
    expect(short.stdout).to.equal(long.stdout).and.equal(none.stdout);
  });

  it('prints the same help for help stream, stream --help and stream -h, as @oclif/plugin-help does', async () => {
    const results = await Promise.all(
      [
        ['help', 'stream'],
        ['stream', '--help'],
        ['stream', '-h'],
      ].map((a) => run(a)),
    );
    for (const result of results) {
      expect(result.code).to.equal(0);
      expect(result.stdout).to.equal(results[0]?.stdout);
      expect(result.stdout).to.match(/^USAGE\n {2}\$ sensorpipe stream/m);
    }
    const root = await Promise.all([run(['help']), run(['--help'])]);
    expect(root[0].stdout).to.equal(root[1].stdout);
  });

  it('prints the bold headers oclif prints where colour is on, and the same text', async () => {
    for (const args of [['--help'], ['deploy', '-h'], ['help', 'status']]) {
      // The kit's NO_COLOR would turn colour off whatever FORCE_COLOR says.
      const env = { FORCE_COLOR: '1', NO_COLOR: '' };
      const [fast, plain] = await Promise.all([run(args, { env }), runWithOclif(args, { env })]);
      expect(fast.stdout).to.include('\u001b[1mUSAGE\u001b[22m');
      expect(fast.stdout).to.equal(plain.stdout);
    }
  });

  const hasScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;
  (hasScript ? it : it.skip)(
    'prints on a terminal of 120 and of 60 columns what oclif prints there',
    async () => {
      const root = await buildRoot();
      const bin = path.join(root, 'bin', 'run.js');
      const oclif = `import('@oclif/core').then((o) => o.execute({ dir: '${pathToFileURL(bin).href}', args: ['deploy', '-h'] }))`;
      const onTerminal = (columns: number, command: string) =>
        execFileSync('script', ['-qec', `stty cols ${columns}; ${command}`, '/dev/null'], {
          encoding: 'utf8',
          env: childEnv({ NO_COLOR: '', CI: '' }),
        });
      for (const columns of [120, 60]) {
        const fast = onTerminal(columns, `node ${bin} deploy -h`);
        expect(fast).to.match(/USAGE/);
        expect(fast, `${columns} columns`).to.equal(
          onTerminal(columns, `node --input-type=module -e "${oclif}"`),
        );
      }
    },
  );

  it('prints help without loading oclif, and hands a help it has no text for to oclif', async () => {
    const NODE_OPTIONS = await moduleListOptions();
    for (const args of [['--help'], ['deploy', '-h'], ['help', 'stream']]) {
      const result = await run(args, { env: { NODE_OPTIONS } });
      expect(result.code).to.equal(0);
      expect(
        loadedModules(result).filter((file) => file.includes(path.join('@oclif', 'core'))),
      ).to.deep.equal([]);
    }
    const unknown = await run(['nosuch', '--help'], { env: { NODE_OPTIONS } });
    expect(loadedModules(unknown).some((file) => file.includes(path.join('@oclif', 'core')))).to.equal(true);
  });

  it('prints the same help through oclif when the help texts were not built, or a width is forced', async () => {
    // GIVEN a copy of the built CLI without dist/help.json
    const root = await buildRoot();
    const expected = await run(['stream', '--help']);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sensorpipe-no-help-texts-'));
    try {
      for (const entry of ['bin', 'dist', 'package.json', 'oclif.manifest.json'])
        cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
      symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
      rmSync(path.join(dir, 'dist', 'help.json'));
      // WHEN it prints help THEN it is the same help
      const result = await run(['stream', '--help'], { cwd: dir, bin: path.join(dir, 'bin', 'run.js') });
      expect(result.code).to.equal(0);
      expect(result.stdout).to.equal(expected.stdout);
      expect(result.stderr).to.equal('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // A width oclif is told to use is oclif's to lay out.
    const env = { OCLIF_COLUMNS: '60' };
    const [narrow, oclif] = await Promise.all([
      run(['stream', '--help'], { env }),
      runWithOclif(['stream', '--help'], { env }),
    ]);
    expect(narrow.stdout).to.equal(oclif.stdout).and.not.equal(expected.stdout);
  });

  it('does not take --version as the fast path when other arguments come with it', async () => {
    const result = await run(['status', '--version']);
    expect(result.stdout.trim()).to.not.equal(expected);
  });
});
