import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { VerifyJson } from '../../src/cli/contracts.js';
import { jsonLines, lines, STACK_LINE } from '../../testkit/cli.js';
import { expectOneLineError } from '../../testkit/expect.js';
import { expectedCounts, total } from '../../testkit/fixtures.js';
import { SHARED_DATASET } from '../../testkit/paths.js';
import { freshSandboxEachTest, type Sandbox } from '../../testkit/sandbox.js';

describe('commands/verify', function () {
  this.timeout(60_000);
  let box: Sandbox;
  let tmp: string;
  freshSandboxEachTest((b) => {
    box = b;
    // The child's os.tmpdir(): where verify makes its temporary stack, so leftovers are this run's.
    tmp = path.join(box.dir, 'tmp');
    fs.mkdirSync(tmp);
  });

  const verifyDirs = () => fs.readdirSync(tmp).filter((name) => name.startsWith('sensorpipe-verify-'));
  const env = () => ({ TMPDIR: tmp });

  it('prints PASS and exits 0 on a good file, removing its temporary stack', async () => {
    const file = box.fixture('f.csv', { emptyCounty: 1 });
    const result = await box.cli('verify', ['--file', file], { env: env() });
    expect(result.code, result.stderr).to.equal(0);
    const n = total(expectedCounts(file));
    expect(result.stdout).to.match(
      new RegExp(`^PASS: all 4 counties match \\(${n} events in the window\\)\\.$`, 'm'),
    );
    expect(result.stdout).to.include(`Sent ${n}, skipped 1, failed 0, stored ${n}.`);
    expect(result.stderr).to.include('verify: streaming');
    expect(verifyDirs()).to.deep.equal([]);
    // --stack-name and --data-dir are not touched.
    expect(fs.existsSync(box.dataDir)).to.equal(false);
  });

  it('--json: match true with the per-county comparison, and nothing else on stdout', async () => {
    const file = box.fixture();
    const expected = expectedCounts(file);
    const result = await box.cli('verify', ['--file', file, '--json'], { env: env() });
    expect(result.code, result.stderr).to.equal(0);
    const docs = jsonLines(result.stdout);
    expect(docs).to.have.length(1);
    const report = docs[0] as VerifyJson;
    expect(report).to.include({
      match: true,
      sent: total(expected),
      failed: 0,
      stored: total(expected),
      expectedTotal: total(expected),
      actualTotal: total(expected),
      interrupted: false,
    });
    expect(report.counties).to.deep.equal(
      [...expected.keys()].sort().map((county) => ({
        county,
        expected: expected.get(county),
        actual: expected.get(county),
        difference: 0,
      })),
    );
    expect(result.stderr).to.equal('');
    expect(verifyDirs()).to.deep.equal([]);
  });

  it('sends at most --limit events', async () => {
    const report = JSON.parse(
      (await box.cli('verify', ['--file', box.fixture(), '--limit', '3', '--json'], { env: env() })).stdout,
    ) as VerifyJson;
    expect(report).to.include({ match: true, sent: 3, expectedTotal: 3 });
  });

  it('verifies the shared dataset', async function () {
    if (!fs.existsSync(SHARED_DATASET)) this.skip();
    const result = await box.cli('verify', ['--file', SHARED_DATASET, '--json'], { env: env() });
    const report = JSON.parse(result.stdout) as VerifyJson;
    expect(report.match).to.equal(true);
    expect(report.counties).to.have.length(55);
    expect(report.sent).to.equal(total(expectedCounts(SHARED_DATASET)));
  });

  it('fails on a CSV without a County column with exit 2, and still removes its temporary stack', async () => {
    const file = box.write('nocounty.csv', 'Name,Town\na,b\n');
    const result = await box.cli('verify', ['--file', file], { env: env() });
    expect(result.code).to.equal(2);
    expect(lines(result.stderr).filter((l) => l.startsWith('Error: '))).to.have.length(1);
    expect(result.stderr).to.include('no County column');
    expect(result.stderr).not.to.match(STACK_LINE);
    expect(verifyDirs()).to.deep.equal([]);
  });

  it('fails on a missing file with exit 2', async () => {
    const result = await box.cli('verify', ['--file', 'missing.csv', '--json'], { env: env() });
    expect(result.code).to.equal(2);
    expect(JSON.parse(result.stdout).error.message).to.include('missing.csv does not exist');
    expect(verifyDirs()).to.deep.equal([]);
  });

  it('on Ctrl-C: FAIL as interrupted, exit 1, and the temporary stack removed', async () => {
    const file = box.fixture('big.csv', { counts: { Albany: 1000, Kings: 1000 } });
    const running = box.startCli('verify', ['--file', file, '--interval-ms', '5'], { env: env() });
    await running.waitFor(/verify: streaming/, 'stderr');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(verifyDirs()).to.have.length(1);
    running.child.kill('SIGINT');
    const result = await running.done;
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stdout).to.match(/^FAIL: interrupted before the check could complete\.$/m);
    expect(verifyDirs()).to.deep.equal([]);
  });

  it('on --target aws with no AWS region set: exit 4, one line that points at --target local', async () => {
    const result = await box.cli('verify', ['--file', box.fixture()], { target: 'aws', env: env() });
    expectOneLineError(result, 4, '--target local');
    expect(verifyDirs()).to.deep.equal([]);
  });

  it('on --interval-ms -1: exit 2, one line that names the flag', async () => {
    const result = await box.cli('verify', ['--file', box.fixture(), '--interval-ms', '-1'], { env: env() });
    expect(result.code).to.equal(2);
    expect(lines(result.stderr)).to.have.length(1);
    expect(result.stderr).to.include('--interval-ms');
  });
});
