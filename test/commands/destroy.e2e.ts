import { expect } from 'chai';
import { jsonLines, lines, STACK_LINE, sleep } from '../../testkit/cli.js';
import { expectOneLineError } from '../../testkit/expect.js';
import { freshSandboxEachTest, type Sandbox } from '../../testkit/sandbox.js';

describe('commands/destroy', function () {
  this.timeout(60_000);
  let box: Sandbox;
  freshSandboxEachTest((b) => {
    box = b;
  });

  it('refuses without a terminal and without --yes: exit 2, and the stack stays', async () => {
    await box.cli('deploy');
    await box.cli('stream', ['--once', '--interval-ms', '0', '--file', box.fixture()]);
    const result = await box.cli('destroy');
    expectOneLineError(result, 2, '--yes');
    expect(box.databaseExists()).to.equal(true);
    const status = JSON.parse((await box.cli('status', ['--json'])).stdout);
    expect(status.deployed).to.equal(true);
    expect(status.eventsStored).to.be.greaterThan(0);
  });

  it('refuses with --json and without --yes too', async () => {
    await box.cli('deploy');
    const result = await box.cli('destroy', ['--json']);
    expect(result.code).to.equal(2);
    expect(JSON.parse(result.stdout).error.message).to.include('--yes');
    expect(box.databaseExists()).to.equal(true);
  });

  it('deletes the stack with --yes (or -y); status then says it is not deployed', async () => {
    await box.cli('deploy');
    await box.cli('stream', ['--once', '--interval-ms', '0', '--file', box.fixture()]);
    const result = await box.cli('destroy', ['--yes']);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^Destroyed stack "sensorpipe" \(.*sensorpipe\.sqlite\)\.$/m);
    expect(box.databaseExists()).to.equal(false);
    expect(JSON.parse((await box.cli('status', ['--json'])).stdout).deployed).to.equal(false);

    await box.cli('deploy', [], { stack: 'other' });
    expect((await box.cli('destroy', ['-y'], { stack: 'other' })).code).to.equal(0);
    expect(box.databaseExists('other')).to.equal(false);
  });

  it('destroys only the stack named', async () => {
    await box.cli('deploy', [], { stack: 'one' });
    await box.cli('deploy', [], { stack: 'two' });
    await box.cli('destroy', ['--yes'], { stack: 'one' });
    expect(box.databaseExists('one')).to.equal(false);
    expect(box.databaseExists('two')).to.equal(true);
  });

  it('--json --yes prints the result', async () => {
    await box.cli('deploy');
    const result = await box.cli('destroy', ['--yes', '--json']);
    expect(result.code).to.equal(0);
    const docs = jsonLines(result.stdout);
    expect(docs).to.have.length(1);
    expect(docs[0]).to.include({ stackName: 'sensorpipe', target: 'local', destroyed: true });
  });

  it('on a stack that is not deployed: exit 0, nothing to destroy', async () => {
    const result = await box.cli('destroy');
    expect(result.code).to.equal(0);
    expect(result.stdout).to.include('nothing to destroy');
    const json = await box.cli('destroy', ['--json']);
    expect(JSON.parse(json.stdout)).to.include({ destroyed: false });
  });

  it('on --target aws with no AWS region set: exit 4, one line that points at --target local', async () => {
    const result = await box.cli('destroy', ['--yes'], { target: 'aws' });
    expectOneLineError(result, 4, '--target local');
  });
});

describe('commands/destroy under live processes (issue 9, item 1)', function () {
  this.timeout(60_000);
  let box: Sandbox;
  freshSandboxEachTest((b) => {
    box = b;
  });

  it("a stream and a watch on the stack stop: exit 3, one line, the stream's summary; the new stack is untouched", async () => {
    // GIVEN a stream and an aggregate --watch on the stack (the reproduction)
    await box.cli('deploy');
    const file = box.fixture('loop.csv', { counts: { Albany: 300, Kings: 246 } });
    const stream = box.startCli('stream', ['--interval-ms', '1', '--file', file]);
    // A watch that sleeps 60 s between runs: only its look at the stack can end it sooner.
    const watch = box.startCli('aggregate', ['--watch', '60']);
    // No terminal: one JSON object per refresh.
    await watch.waitFor(/"health"/);
    await sleep(500); // the stream sends by now

    // WHEN it is destroyed, deployed again, and a short stream runs on the new stack
    expect((await box.cli('destroy', ['--yes'])).code).to.equal(0);
    expect((await box.cli('deploy')).code).to.equal(0);
    const short = await box.cli('stream', ['--once', '--interval-ms', '0', '--file', file]);
    expect(short.code, short.stderr).to.equal(0);
    const [streamed, watched] = await Promise.all([stream.done, watch.done]);

    // THEN both old processes stopped, said so, and exited 3
    expect(streamed.code, streamed.stderr).to.equal(3);
    const streamError = lines(streamed.stderr).filter((line) => line.startsWith('Error: '));
    expect(streamError).to.have.length(1);
    const sent = /stopped after sending ([\d,]+) events\.$/.exec(streamError[0] ?? '');
    expect(streamError[0]).to.match(/^Error: Stack "sensorpipe" was destroyed/);
    expect(sent, streamed.stderr).to.not.equal(null);
    // Its summary, with the same count, comes first.
    expect(streamed.stdout).to.match(new RegExp(`^Stopped by an error: sent ${sent?.[1]},`));
    expect(streamed.stderr).to.not.match(STACK_LINE);
    expect(watched.code, watched.stderr).to.equal(3);
    expect(lines(watched.stderr).at(-1)).to.match(/^Error: Stack "sensorpipe" was destroyed/);
    // And the new stack holds the short stream's events, exactly: nothing of the old processes.
    const status = JSON.parse((await box.cli('status', ['--json'])).stdout);
    expect(status.eventsStored).to.equal(546);
    expect(status.queue).to.include({ visible: 0, inFlight: 0 });
  });
});
