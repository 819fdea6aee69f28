import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ensureBuilt, ROOT, run } from '../helpers/e2e.js';

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
    for (const command of ['aggregate', 'deploy', 'destroy', 'show', 'status', 'stream', 'verify']) {
      expect(result.stdout).to.match(new RegExp(`^\\s+${command}\\s`, 'm'));
    }
  });

  it('does not take --version as the fast path when other arguments come with it', async () => {
    const result = await run(['status', '--version']);
    expect(result.stdout.trim()).to.not.equal(expected);
  });
});
