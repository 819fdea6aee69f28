import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { buildRoot, ensureBuilt } from '../../testkit/build.js';
import { type RunResult, run } from '../../testkit/cli.js';
import { childEnv } from '../../testkit/env.js';
import { ROOT } from '../../testkit/paths.js';

/** The CLI run the plain way: @oclif/core from node_modules, no fast path of bin/run.js. */
async function runWithOclif(args: string[]): Promise<RunResult> {
  const bin = pathToFileURL(path.join(await buildRoot(), 'bin', 'run.js')).href;
  const script = `import('@oclif/core').then((o) => o.execute({ dir: ${JSON.stringify(bin)}, args: ${JSON.stringify(args)} }))`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd: ROOT, env: childEnv() },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, signal: null, stdout, stderr, wallMs: 0 });
      },
    );
  });
}

/** Makes a child print, on exit, every CommonJS module it loaded, one per line, after a marker. */
function moduleListHook(): string {
  const hook = path.join(os.tmpdir(), `sensorpipe-module-list-${process.pid}.cjs`);
  writeFileSync(
    hook,
    "process.on('exit', () => process.stderr.write('MODULES\\n' + Object.keys(require.cache).join('\\n') + '\\n'));\n",
  );
  return hook;
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

  for (const args of [['--help'], [], ['stream', '--help'], ['help', 'deploy'], ['nosuch', '--help']]) {
    it(`prints help for [${args.join(' ')}] exactly as @oclif/core itself does, exit code included`, async () => {
      const [fast, plain] = await Promise.all([run(args), runWithOclif(args)]);
      expect(fast.stdout).to.equal(plain.stdout);
      expect(fast.stderr).to.equal(plain.stderr);
      expect(fast.code).to.equal(plain.code);
    });
  }

  it('prints help from the one-file bundle, without loading @oclif/core from node_modules', async () => {
    const hook = moduleListHook();
    const loaded = (result: RunResult) => result.stderr.split('MODULES\n')[1]?.split('\n') ?? [];
    const help = await run(['--help'], { env: { NODE_OPTIONS: `--require ${hook}` } });
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/^USAGE/m);
    expect(loaded(help).some((file) => file.includes(path.join('@oclif', 'core')))).to.equal(false);
    // A command runs on @oclif/core from node_modules, as its own imports do.
    const status = await run(
      ['status', '--target', 'local', '--data-dir', os.tmpdir(), '--stack-name', 'none'],
      {
        env: { NODE_OPTIONS: `--require ${hook}` },
      },
    );
    expect(loaded(status).some((file) => file.includes(path.join('@oclif', 'core', 'lib')))).to.equal(true);
  });

  it('prints the same help when the code cache is from another Node (rejected) or the bundle is missing', async () => {
    // GIVEN copies of the built CLI: one with a code cache V8 will reject, one never bundled
    const root = await buildRoot();
    const copy = (name: string) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), `sensorpipe-${name}-`));
      for (const entry of ['bin', 'dist', 'package.json', 'oclif.manifest.json'])
        cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
      symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
      return dir;
    };
    const stale = copy('stale-cache');
    const unbundled = copy('unbundled');
    try {
      writeFileSync(path.join(stale, 'dist', 'oclif-help.cjs.cache'), 'not a V8 code cache');
      rmSync(path.join(unbundled, 'dist', 'oclif-help.cjs'));
      // WHEN each prints help THEN it is the same help
      const expected = await run(['stream', '--help']);
      for (const dir of [stale, unbundled]) {
        const result = await run(['stream', '--help'], { cwd: dir, bin: path.join(dir, 'bin', 'run.js') });
        expect(result.code).to.equal(0);
        expect(result.stdout).to.equal(expected.stdout);
        expect(result.stderr).to.equal('');
      }
    } finally {
      rmSync(stale, { recursive: true, force: true });
      rmSync(unbundled, { recursive: true, force: true });
    }
  });

  it('does not take --version as the fast path when other arguments come with it', async () => {
    const result = await run(['status', '--version']);
    expect(result.stdout.trim()).to.not.equal(expected);
  });
});
