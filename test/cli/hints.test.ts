import { expect } from 'chai';
import { deadLetterHint, readDeadLetterHint } from '../../src/cli/hints.js';
import { selectorFlags } from '../../src/targets/stack-ref.js';

describe('cli/hints', () => {
  const local = { selector: selectorFlags('local', 'dl', { 'data-dir': '/tmp/my stacks' }) };
  const aws = {
    selector: selectorFlags('aws', 'prod', {
      region: 'eu-west-1',
      profile: 'ops',
      'endpoint-url': 'http://localhost:4566',
    }),
  };

  it('points from the dead letters to the commands that show them and why, on the same stack', () => {
    expect(deadLetterHint({ count: 3, approximate: false }, local)).to.equal(
      "3 messages failed to store: see sensorpipe dead-letters --target local --stack-name dl --data-dir '/tmp/my stacks' and sensorpipe logs --target local --stack-name dl --data-dir '/tmp/my stacks' --function storing",
    );
    expect(deadLetterHint({ count: 1, approximate: true }, aws)).to.equal(
      'About 1 message failed to store: see sensorpipe dead-letters --target aws --stack-name prod --region eu-west-1 --profile ops --endpoint-url http://localhost:4566 and sensorpipe logs --target aws --stack-name prod --region eu-west-1 --profile ops --endpoint-url http://localhost:4566 --function storing',
    );
    expect(deadLetterHint({ count: 12_345, approximate: false }, local)).to.match(/^12,345 messages failed/);
  });

  it('says nothing without dead letters, and never fails the command it ends', async () => {
    expect(deadLetterHint({ count: 0, approximate: false }, local)).to.equal(undefined);
    const denied = {
      ...aws,
      deadLetterCount: async () => {
        throw new Error('AWS denied the request: not authorized to perform: sqs:GetQueueAttributes');
      },
    };
    expect(await readDeadLetterHint(denied)).to.equal(undefined);
    expect(
      await readDeadLetterHint({ ...local, deadLetterCount: async () => ({ count: 2, approximate: false }) }),
    ).to.match(/^2 messages failed to store: see sensorpipe dead-letters/);
  });
});
