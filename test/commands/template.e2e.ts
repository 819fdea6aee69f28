import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { buildRoot, ensureBuilt } from '../../testkit/build.js';
import { run } from '../../testkit/cli.js';
import { expectOneLineError } from '../../testkit/expect.js';
import { Sandbox } from '../../testkit/sandbox.js';

/** The ZipFile of each function in a printed template. */
function zipFiles(body: string): Record<string, unknown> {
  // The short-form tags (!Ref, !Sub...) are left as plain values; only the structure matters here.
  const doc = parse(body, { customTags: (tags) => tags, logLevel: 'silent' }) as {
    Resources: Record<string, { Properties?: { Code?: { ZipFile?: unknown } } }>;
  };
  return {
    storing: doc.Resources.StoringFunction?.Properties?.Code?.ZipFile,
    aggregation: doc.Resources.AggregationFunction?.Properties?.Code?.ZipFile,
  };
}

describe('commands/template', function () {
  this.timeout(60_000);
  let box: Sandbox;
  let root: string;

  before(async function () {
    await ensureBuilt.call(this);
    root = await buildRoot();
  });

  beforeEach(() => {
    box = new Sandbox();
  });

  afterEach(() => {
    box.remove();
  });

  it('prints the template with the bundled code of both functions, without AWS credentials', async () => {
    const result = await run(['template'], { cwd: box.dir, env: { AWS_PROFILE: 'does-not-exist' } });
    expect(result.code).to.equal(0);
    expect(result.stderr).to.equal('');
    expect(result.stdout).to.match(/^AWSTemplateFormatVersion/m);
    expect(zipFiles(result.stdout)).to.deep.equal({
      storing: fs.readFileSync(path.join(root, 'dist', 'lambdas', 'storing.js'), 'utf8'),
      aggregation: fs.readFileSync(path.join(root, 'dist', 'lambdas', 'aggregation.js'), 'utf8'),
    });
    expect(Buffer.byteLength(result.stdout)).to.be.at.most(51_200);
  });

  it('writes it to --output, the same bytes, and says how big it is against the limit', async () => {
    const printed = await run(['template'], { cwd: box.dir });
    const file = path.join(box.dir, 'pipeline.yaml');
    const written = await run(['template', '--output', file], { cwd: box.dir });
    expect(written.code).to.equal(0);
    expect(fs.readFileSync(file, 'utf8')).to.equal(printed.stdout);
    const bytes = Buffer.byteLength(printed.stdout).toLocaleString('en-US');
    expect(written.stdout).to.equal(`Wrote the template (${bytes} of 51,200 bytes) to ${file}.\n`);
  });

  it('--json gives the body and its size', async () => {
    const printed = await run(['template'], { cwd: box.dir });
    const json = await run(['template', '--json'], { cwd: box.dir });
    expect(json.code).to.equal(0);
    expect(JSON.parse(json.stdout)).to.deep.equal({
      templateBody: printed.stdout,
      bytes: Buffer.byteLength(printed.stdout),
      maxBytes: 51_200,
    });
  });

  it('fails in one line when --output cannot be written', async () => {
    const result = await run(['template', '--output', path.join(box.dir, 'missing', 'x.yaml')], {
      cwd: box.dir,
    });
    expectOneLineError(result, 2, 'x.yaml: ENOENT. Pass --output with a writable path.');
  });
});
