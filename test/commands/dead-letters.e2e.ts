import { expect } from 'chai';
import { addDeadLetters, goodBody } from '../../testkit/dead-letters.js';
import { expectOneLineError } from '../../testkit/expect.js';
import { freshSandboxEachTest, type Sandbox } from '../../testkit/sandbox.js';
import { tableRows } from '../../testkit/table.js';

describe('commands/dead-letters', function () {
  this.timeout(60_000);
  let box: Sandbox;
  freshSandboxEachTest((b) => {
    box = b;
  });

  it('lists id, receives, the first line of the error and the body cut short, consuming nothing', async () => {
    await box.cli('deploy');
    const long = `{"id":"x","data":"${'y'.repeat(500)}"}`;
    addDeadLetters(box.dataDir, [
      { body: '{"broken":', error: 'message body is not JSON\nsecond line', receiveCount: 5 },
      { body: long, error: 'event time is missing' },
    ]);
    const human = await box.cli('dead-letters');
    expect(human.code, human.stderr).to.equal(0);
    const rows = tableRows(human.stdout);
    expect(rows[0]).to.deep.equal(['Message', 'Receives', 'Sent', 'Error', 'Body']);
    expect(rows.some((r) => r.includes('message body is not JSON'))).to.equal(true);
    expect(human.stdout).to.not.include('second line');
    expect(human.stdout).to.not.include('y'.repeat(100));

    const json = await box.cli('dead-letters', ['--json']);
    const letters = JSON.parse(json.stdout) as {
      messageId: string;
      body: string;
      bodyTruncated: boolean;
      error: string;
    }[];
    expect(letters.map((l) => l.messageId)).to.deep.equal(['1000', '1001']);
    expect(letters[0]).to.deep.include({ body: '{"broken":', bodyTruncated: false, receiveCount: 5 });
    expect(letters[1]?.bodyTruncated).to.equal(true);
    expect(letters[1]?.body.length).to.be.at.most(201);
    // Nothing consumed
    expect(JSON.parse((await box.cli('dead-letters', ['--json'])).stdout)).to.have.length(2);
    expect(JSON.parse((await box.cli('status', ['--json'])).stdout).queue.deadLetters).to.equal(2);
  });

  it('says so when there are none, and --limit shows at most N', async () => {
    await box.cli('deploy');
    expect((await box.cli('dead-letters')).stdout).to.equal('No dead letters on stack "sensorpipe".\n');
    addDeadLetters(box.dataDir, [{ body: goodBody('Erie') }, { body: goodBody('Kings') }, { body: 'x' }]);
    expect(JSON.parse((await box.cli('dead-letters', ['--limit', '2', '--json'])).stdout)).to.have.length(2);
  });

  it('on a stack that is not deployed: exit 3 and how to deploy', async () => {
    expectOneLineError(await box.cli('dead-letters'), 3, 'sensorpipe deploy --target local');
  });
});
