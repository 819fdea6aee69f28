/**
 * aggregate, show and status end with one line that points from dead letters to where they are
 * and why they failed, with the flags that selected the stack; never with --json.
 */
import { expect } from 'chai';
import { jsonLines, lines } from '../../testkit/cli.js';
import { addDeadLetters, goodBody } from '../../testkit/dead-letters.js';
import { freshSandboxEachTest, type Sandbox } from '../../testkit/sandbox.js';

describe('the dead-letter hint of aggregate, show and status', function () {
  this.timeout(60_000);
  let box: Sandbox;
  const STACK = 'dl';
  freshSandboxEachTest((b) => {
    box = b;
  });

  const hint = () =>
    `3 messages failed to store: see sensorpipe dead-letters --target local --stack-name ${STACK} --data-dir ${box.dataDir} and sensorpipe logs --target local --stack-name ${STACK} --data-dir ${box.dataDir} --function storing`;

  for (const command of ['aggregate', 'show', 'status']) {
    it(`${command} ends with it, naming --stack-name and --data-dir; --json has none of it`, async () => {
      await box.cli('deploy', [], { stack: STACK });
      const before = await box.cli(command, [], { stack: STACK });
      expect(before.code, before.stderr).to.equal(0);
      expect(before.stdout).to.not.include('failed to store');
      addDeadLetters(box.dataDir, [{ body: '{"broken":' }, { body: goodBody('Erie') }, { body: 'x' }], STACK);
      const human = await box.cli(command, [], { stack: STACK });
      expect(human.code, human.stderr).to.equal(0);
      expect(lines(human.stdout).at(-1)).to.equal(hint());
      expect(human.stderr).to.equal('');
      const json = await box.cli(command, ['--json'], { stack: STACK });
      expect(json.code).to.equal(0);
      expect(jsonLines(json.stdout)).to.have.length(1);
      expect(json.stdout).to.not.include('failed to store');
    });
  }

  it('aggregate --watch without a terminal: the dead letters in the JSON of each refresh, no hint (the terminal spec has it)', async () => {
    await box.cli('deploy', [], { stack: STACK });
    addDeadLetters(box.dataDir, [{ body: 'a' }, { body: 'b' }, { body: 'c' }], STACK);
    const watch = box.startCli('aggregate', ['--watch', '1'], { stack: STACK });
    await watch.waitFor(/"health"[\s\S]*\n[\s\S]*"health"/);
    watch.child.kill('SIGINT');
    const result = await watch.done;
    expect(result.code).to.equal(0);
    expect(result.stdout).to.not.include('failed to store');
    const refreshes = jsonLines(result.stdout) as { health: { queue: { deadLetters: number } } }[];
    expect(refreshes.length).to.be.at.least(2);
    for (const refresh of refreshes) expect(refresh.health.queue.deadLetters).to.equal(3);
  });
});
