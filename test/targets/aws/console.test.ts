import { expect } from 'chai';
import { consoleLinks } from '../../../src/targets/aws/console.js';

const OUTPUTS = {
  QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/s-Queue-ABC',
  DeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/s-DeadLetterQueue-DEF',
  AggregationFailureQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/s-Fail-GHI',
  EventsTableName: 's-EventsTable-1',
  AggregatesTableName: 's-AggregatesTable-2',
  StoringFunctionName: 's-storing',
  AggregationFunctionName: 's-aggregation',
};
const STACK = { stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/s/0b1c', stackName: 's' };

describe('targets/aws/console', () => {
  it('links the stack, its queues, tables, functions and log groups in the console of its region', () => {
    expect(consoleLinks('eu-west-1', STACK, OUTPUTS)).to.deep.equal({
      Stack:
        'https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1#/stacks/stackinfo?stackId=arn%3Aaws%3Acloudformation%3Aeu-west-1%3A123456789012%3Astack%2Fs%2F0b1c',
      Queue:
        'https://eu-west-1.console.aws.amazon.com/sqs/v3/home?region=eu-west-1#/queues/https%3A%2F%2Fsqs.eu-west-1.amazonaws.com%2F123456789012%2Fs-Queue-ABC',
      DeadLetterQueue:
        'https://eu-west-1.console.aws.amazon.com/sqs/v3/home?region=eu-west-1#/queues/https%3A%2F%2Fsqs.eu-west-1.amazonaws.com%2F123456789012%2Fs-DeadLetterQueue-DEF',
      AggregationFailureQueue:
        'https://eu-west-1.console.aws.amazon.com/sqs/v3/home?region=eu-west-1#/queues/https%3A%2F%2Fsqs.eu-west-1.amazonaws.com%2F123456789012%2Fs-Fail-GHI',
      EventsTable:
        'https://eu-west-1.console.aws.amazon.com/dynamodbv2/home?region=eu-west-1#table?name=s-EventsTable-1',
      AggregatesTable:
        'https://eu-west-1.console.aws.amazon.com/dynamodbv2/home?region=eu-west-1#table?name=s-AggregatesTable-2',
      StoringFunction:
        'https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1#/functions/s-storing',
      AggregationFunction:
        'https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1#/functions/s-aggregation',
      // The log group /aws/lambda/s-storing, as CloudWatch's console spells it in its address.
      StoringLogGroup:
        'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Faws$252Flambda$252Fs-storing',
      AggregationLogGroup:
        'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Faws$252Flambda$252Fs-aggregation',
    });
  });

  it("uses the console of the region's partition, and links only the resources whose outputs exist", () => {
    expect(consoleLinks('cn-north-1', STACK, {}).Stack).to.match(
      /^https:\/\/cn-north-1\.console\.amazonaws\.cn\/cloudformation\/home\?region=cn-north-1#/,
    );
    expect(consoleLinks('us-gov-west-1', STACK, {}).Stack).to.match(
      /^https:\/\/console\.amazonaws-us-gov\.com\/cloudformation\/home\?region=us-gov-west-1#/,
    );
    expect(Object.keys(consoleLinks('us-east-1', STACK, { QueueUrl: 'q' }))).to.deep.equal([
      'Stack',
      'Queue',
    ]);
  });
});
