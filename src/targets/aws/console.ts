import { logGroupOf } from './function-logs.js';

/** The AWS console of a region's partition: China and GovCloud have their own. */
function consoleBase(region: string): string {
  if (region.startsWith('cn-')) return `https://${region}.console.amazonaws.cn`;
  if (region.startsWith('us-gov-')) return 'https://console.amazonaws-us-gov.com';
  return `https://${region}.console.aws.amazon.com`;
}

/** CloudWatch's console puts a log group's name in its fragment encoded twice, with $ for %. */
function logGroupFragment(name: string): string {
  return encodeURIComponent(encodeURIComponent(name)).replace(/%/g, '$');
}

/**
 * Links to the stack's resources in the AWS console, as `serverless info` and SAM give them: the
 * stack, its queues, tables, functions and the functions' log groups, each found from the stack's
 * outputs (a resource whose output is missing has no link). Keys are the resources' names in the
 * template, so that `status --json` can be read by them.
 */
export function consoleLinks(
  region: string,
  stack: { stackId: string; stackName: string },
  outputs: Readonly<Record<string, string>>,
): Record<string, string> {
  const base = consoleBase(region);
  const at = (service: string, fragment: string) => `${base}/${service}/home?region=${region}#${fragment}`;
  const links: Record<string, string> = {
    Stack: at(
      'cloudformation',
      `/stacks/stackinfo?stackId=${encodeURIComponent(stack.stackId || stack.stackName)}`,
    ),
  };
  const add = (key: string, output: string, link: (value: string) => string) => {
    const value = outputs[output];
    if (value) links[key] = link(value);
  };
  const queue = (url: string) => at('sqs/v3', `/queues/${encodeURIComponent(url)}`);
  const table = (name: string) => at('dynamodbv2', `table?name=${encodeURIComponent(name)}`);
  const fn = (name: string) => at('lambda', `/functions/${encodeURIComponent(name)}`);
  const logs = (name: string) =>
    at('cloudwatch', `logsV2:log-groups/log-group/${logGroupFragment(logGroupOf(name))}`);
  add('Queue', 'QueueUrl', queue);
  add('DeadLetterQueue', 'DeadLetterQueueUrl', queue);
  add('AggregationFailureQueue', 'AggregationFailureQueueUrl', queue);
  add('EventsTable', 'EventsTableName', table);
  add('AggregatesTable', 'AggregatesTableName', table);
  add('StoringFunction', 'StoringFunctionName', fn);
  add('AggregationFunction', 'AggregationFunctionName', fn);
  add('StoringLogGroup', 'StoringFunctionName', logs);
  add('AggregationLogGroup', 'AggregationFunctionName', logs);
  return links;
}
