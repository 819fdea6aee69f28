import { expect } from 'chai';
import { ExitCode } from '../../src/core/errors.js';
import { checkAwsStackName, checkStackName, MAX_AWS_STACK_NAME } from '../../src/core/stack-name.js';

describe('core/stack-name', () => {
  it('accepts CloudFormation stack names on both targets', () => {
    for (const name of ['a', 'sensorpipe', 'my-stack-2', 'A'.repeat(128)])
      expect(() => checkStackName(name)).not.to.throw();
  });

  for (const name of ['', '1abc', 'has_underscore', 'has space', 'a'.repeat(129)]) {
    it(`refuses ${JSON.stringify(name.length > 20 ? `${name.slice(0, 5)}... (${name.length})` : name)}`, () => {
      expect(() => checkStackName(name))
        .to.throw(/^Invalid stack name/)
        .with.property('exitCode', ExitCode.usage);
    });
  }

  it('caps a name at 52 characters on AWS, where the function names are made from it', () => {
    expect(MAX_AWS_STACK_NAME).to.equal(52);
    expect(() => checkAwsStackName('s'.repeat(52))).not.to.throw();
    expect(() => checkAwsStackName('s'.repeat(53))).to.throw(
      `Stack name "${'s'.repeat(53)}" is 53 characters; on AWS it can have at most 52, because the function names are made from it. Pass a shorter --stack-name.`,
    );
  });
});
