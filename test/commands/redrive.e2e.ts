import { expect } from 'chai';
import { addDeadLetters, goodBody } from '../../testkit/dead-letters.js';
import { expectOneLineError } from '../../testkit/expect.js';
import { freshSandboxEachTest, type Sandbox } from '../../testkit/sandbox.js';

describe('commands/redrive', function () {
  this.timeout(60_000);
  let box: Sandbox;
  freshSandboxEachTest((b) => {
    box = b;
  });

  const status = async () => JSON.parse((await box.cli('status', ['--json'])).stdout);

  it('moves dead letters back; the good ones are then stored, the poison fails again', async () => {
    await box.cli('deploy', ['--max-receive-count', '1']);
    addDeadLetters(box.dataDir, [
      { body: goodBody('Erie'), error: 'storage failed: disk full' },
      { body: goodBody('Kings'), error: 'storage failed: disk full' },
      { body: '{"broken":', error: 'message body is not JSON' },
    ]);
    // --limit moves the oldest first
    const one = await box.cli('redrive', ['--limit', '1']);
    expect(one.code, one.stderr).to.equal(0);
    // One line: no progress line that says the same on stderr (it did: "redrive: 1 of 1 moved")
    expect(one.stdout).to.equal('Moved 1 dead letter back to the queue of stack "sensorpipe"; 2 left.\n');
    expect(one.stderr).to.equal('');
    const all = await box.cli('redrive', ['--json']);
    expect(JSON.parse(all.stdout)).to.deep.equal({ moved: 2, remaining: 0 });
    expect(all.stderr).to.equal('');
    expect((await status()).queue).to.include({ visible: 3, deadLetters: 0 });
    // The next aggregate stores what it can
    const snapshot = JSON.parse((await box.cli('aggregate', ['--json'])).stdout);
    expect(snapshot.total).to.equal(2);
    expect((await status()).eventsStored).to.equal(2);
  });

  it('says so when there is nothing to move', async () => {
    await box.cli('deploy');
    const result = await box.cli('redrive');
    expect(result.code).to.equal(0);
    expect(result.stdout).to.equal('No dead letters to move on stack "sensorpipe".\n');
  });

  it('on a stack that is not deployed: exit 3 and how to deploy', async () => {
    expectOneLineError(await box.cli('redrive'), 3, 'sensorpipe deploy --target local');
  });
});
