import { expect } from 'chai';
import { jsonLines } from '../../testkit/cli.js';
import { expectOneLineError } from '../../testkit/expect.js';
import { expectedCounts, total } from '../../testkit/fixtures.js';
import { freshSandboxEachTest, type Sandbox } from '../../testkit/sandbox.js';

describe('commands/show', function () {
  this.timeout(60_000);
  let box: Sandbox;
  freshSandboxEachTest((b) => {
    box = b;
  });

  it('before any aggregation: says so and how to run one; --json prints null', async () => {
    await box.cli('deploy');
    const human = await box.cli('show');
    expect(human.code).to.equal(0);
    expect(human.stdout).to.include('No aggregation has run yet on stack "sensorpipe"');
    expect(human.stdout).to.include('sensorpipe aggregate --target local');
    const json = await box.cli('show', ['--json']);
    expect(json.code).to.equal(0);
    expect(json.stdout).to.equal('null\n');
  });

  it('prints the latest snapshot as aggregate printed it, without aggregating again', async () => {
    await box.cli('deploy');
    const file = box.fixture();
    const n = total(expectedCounts(file));
    await box.cli('stream', ['--once', '--interval-ms', '0', '--file', file]);
    const aggregated = await box.cli('aggregate', ['--json']);
    // More events after the aggregation: show must not count them.
    await box.cli('stream', ['--once', '--interval-ms', '0', '--file', file]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const shown = await box.cli('show', ['--json']);
    expect(shown.code).to.equal(0);
    expect(jsonLines(shown.stdout)).to.have.length(1);
    expect(JSON.parse(shown.stdout)).to.deep.equal(JSON.parse(aggregated.stdout));

    const humanShow = await box.cli('show');
    const humanAggregate = await box.cli('aggregate');
    expect(humanShow.stdout).to.match(new RegExp(`│ Total\\s+│\\s+${n} │`));
    expect(humanAggregate.stdout).to.match(new RegExp(`│ Total\\s+│\\s+${2 * n} │`));
    // And status agrees on when the last aggregation ran.
    const status = JSON.parse((await box.cli('status', ['--json'])).stdout);
    const latest = JSON.parse((await box.cli('show', ['--json'])).stdout);
    expect(status.lastAggregation).to.equal(latest.updated);
  });

  it('on a stack that is not deployed: exit 3 and how to deploy', async () => {
    const result = await box.cli('show');
    expectOneLineError(result, 3, 'sensorpipe deploy --target local');
    expect(box.databaseExists()).to.equal(false);
  });

  it('on --target aws with no AWS region set: exit 4, one line that points at --target local', async () => {
    const result = await box.cli('show', [], { target: 'aws' });
    expectOneLineError(result, 4, '--target local');
  });
});
