/**
 * A stand-in for AWS's endpoint (CloudFormation's query protocol) on 127.0.0.1, for running the
 * built CLI with --endpoint-url against answers a test chooses: a refusal, an expired token, a busy
 * stack. Requests are answered from the Action; anything else is a 400.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * access-denied, expired-token: every request refused. busy: the stack is in UPDATE_IN_PROGRESS.
 * creating: no stack; a change set is created and executed, and the stack then stays in
 * CREATE_IN_PROGRESS (for interrupting a deploy that has started). sqs-refusing: SQS (JSON protocol)
 * answers every SendMessageBatch with each entry failed. no-stack: the stack does not exist.
 * not-aws: not an AWS API at all, a web server that answers every request with a page (404, HTML).
 * only-cloudformation: CloudFormation answers with a deployed stack and its outputs, and every other
 * service (SQS, DynamoDB, Lambda, CloudWatch Logs) with that page, as an endpoint that emulates
 * CloudFormation alone would. replacing: a deployed stack whose next change set would replace its
 * events table (a deploy asks first); the change set is never executed.
 */
export type FakeAwsMode =
  | 'access-denied'
  | 'expired-token'
  | 'busy'
  | 'creating'
  | 'sqs-refusing'
  | 'no-stack'
  | 'not-aws'
  | 'only-cloudformation'
  | 'replacing';

const WEB_PAGE = '<!DOCTYPE html><html><body><h1>Not Found</h1></body></html>';

const NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

function error(code: string, message: string): string {
  return `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>req-fake-1</RequestId></ErrorResponse>`;
}

function describeStacks(status: string, name = 'sensorpipe', outputs: Record<string, string> = {}): string {
  const members = Object.entries(outputs)
    .map(
      ([key, value]) => `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`,
    )
    .join('');
  return `<DescribeStacksResponse xmlns="${NS}"><DescribeStacksResult><Stacks><member><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/${name}/1</StackId><StackName>${name}</StackName><StackStatus>${status}</StackStatus><CreationTime>2026-11-28T00:00:00Z</CreationTime><Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>req-fake-2</RequestId></ResponseMetadata></DescribeStacksResponse>`;
}

/** A deployed stack's outputs, its queues on this endpoint. */
function stackOutputs(url: string, name: string): Record<string, string> {
  return {
    QueueUrl: `${url}/123456789012/${name}-queue`,
    DeadLetterQueueUrl: `${url}/123456789012/${name}-dead-letters`,
    AggregationFailureQueueUrl: `${url}/123456789012/${name}-failed-aggregations`,
    QueueArn: `arn:aws:sqs:us-east-1:123456789012:${name}-queue`,
    DeadLetterQueueArn: `arn:aws:sqs:us-east-1:123456789012:${name}-dead-letters`,
    EventsTableName: `${name}-events`,
    AggregatesTableName: `${name}-aggregates`,
    StoringFunctionName: `${name}-storing`,
    AggregationFunctionName: `${name}-aggregation`,
  };
}

let executed = false;

/** A first deploy that starts and never ends. */
function creating(action: string, reply: (status: number, xml: string) => void): void {
  const wrap = (name: string, result: string) =>
    `<${name}Response xmlns="${NS}"><${name}Result>${result}</${name}Result><ResponseMetadata><RequestId>req-fake-3</RequestId></ResponseMetadata></${name}Response>`;
  const changeSet = 'arn:aws:cloudformation:us-east-1:123456789012:changeSet/cs/1';
  const stackId = 'arn:aws:cloudformation:us-east-1:123456789012:stack/sensorpipe/1';
  switch (action) {
    case 'DescribeStacks':
      if (!executed) reply(400, error('ValidationError', 'Stack with id sensorpipe does not exist'));
      else reply(200, describeStacks('CREATE_IN_PROGRESS'));
      return;
    case 'CreateChangeSet':
      reply(200, wrap('CreateChangeSet', `<Id>${changeSet}</Id><StackId>${stackId}</StackId>`));
      return;
    case 'DescribeChangeSet':
      reply(
        200,
        wrap(
          'DescribeChangeSet',
          `<ChangeSetId>${changeSet}</ChangeSetId><StackId>${stackId}</StackId><Status>CREATE_COMPLETE</Status><ExecutionStatus>AVAILABLE</ExecutionStatus><Changes><member><Type>Resource</Type><ResourceChange><Action>Add</Action><LogicalResourceId>Queue</LogicalResourceId><ResourceType>AWS::SQS::Queue</ResourceType></ResourceChange></member></Changes>`,
        ),
      );
      return;
    case 'ExecuteChangeSet':
      executed = true;
      reply(200, wrap('ExecuteChangeSet', ''));
      return;
    case 'DescribeStackEvents':
      reply(200, wrap('DescribeStackEvents', '<StackEvents></StackEvents>'));
      return;
    default:
      reply(400, error('ValidationError', `The fake does not do ${action}`));
  }
}

/** An update whose change set replaces the events table, and its data with it. */
function replacing(
  action: string,
  stackName: string,
  url: string,
  reply: (status: number, xml: string) => void,
) {
  const wrap = (name: string, result: string) =>
    `<${name}Response xmlns="${NS}"><${name}Result>${result}</${name}Result><ResponseMetadata><RequestId>req-fake-4</RequestId></ResponseMetadata></${name}Response>`;
  const changeSet = 'arn:aws:cloudformation:us-east-1:123456789012:changeSet/cs/2';
  const stackId = `arn:aws:cloudformation:us-east-1:123456789012:stack/${stackName}/1`;
  switch (action) {
    case 'DescribeStacks':
      reply(200, describeStacks('UPDATE_COMPLETE', stackName, stackOutputs(url, stackName)));
      return;
    case 'CreateChangeSet':
      reply(200, wrap('CreateChangeSet', `<Id>${changeSet}</Id><StackId>${stackId}</StackId>`));
      return;
    case 'DescribeChangeSet':
      reply(
        200,
        wrap(
          'DescribeChangeSet',
          `<ChangeSetId>${changeSet}</ChangeSetId><StackId>${stackId}</StackId><Status>CREATE_COMPLETE</Status><ExecutionStatus>AVAILABLE</ExecutionStatus><Changes><member><Type>Resource</Type><ResourceChange><Action>Modify</Action><LogicalResourceId>EventsTable</LogicalResourceId><ResourceType>AWS::DynamoDB::Table</ResourceType><Replacement>True</Replacement></ResourceChange></member></Changes>`,
        ),
      );
      return;
    case 'DeleteChangeSet':
      reply(200, wrap('DeleteChangeSet', ''));
      return;
    default:
      reply(400, error('ValidationError', `The fake does not do ${action}`));
  }
}

export interface FakeAwsEndpoint {
  url: string;
  /** The CloudFormation actions asked for, in order. */
  actions: string[];
  close(): Promise<void>;
}

export async function startFakeAwsEndpoint(mode: FakeAwsMode): Promise<FakeAwsEndpoint> {
  executed = false;
  let url = '';
  const actions: string[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += String(chunk);
    });
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      if (mode === 'sqs-refusing' && target.endsWith('.SendMessageBatch')) {
        const entries = (JSON.parse(body) as { Entries: { Id: string }[] }).Entries;
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(
          JSON.stringify({
            Successful: [],
            Failed: entries.map((e) => ({
              Id: e.Id,
              SenderFault: false,
              Code: 'InternalError',
              Message: 'try later',
            })),
          }),
        );
        return;
      }
      const query = new URLSearchParams(body);
      const action = query.get('Action') ?? '';
      const stackName = query.get('StackName') ?? 'sensorpipe';
      if (action) actions.push(action);
      if (mode === 'not-aws' || (mode === 'only-cloudformation' && action === '')) {
        response.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
        response.end(WEB_PAGE);
        return;
      }
      const reply = (status: number, xml: string) => {
        // AWS sends the request id in a header as well as in the body; the SDK reads the header.
        response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': 'req-fake-1' });
        response.end(xml);
      };
      if (mode === 'access-denied') {
        reply(
          403,
          error(
            'AccessDenied',
            `User: arn:aws:iam::123456789012:user/dev is not authorized to perform: cloudformation:${action}`,
          ),
        );
      } else if (mode === 'expired-token') {
        reply(403, error('ExpiredToken', 'The security token included in the request is expired'));
      } else if (mode === 'busy' && action === 'DescribeStacks') {
        reply(200, describeStacks('UPDATE_IN_PROGRESS', stackName));
      } else if (mode === 'no-stack' && action === 'DescribeStacks') {
        reply(400, error('ValidationError', `Stack with id ${stackName} does not exist`));
      } else if (mode === 'only-cloudformation' && action === 'DescribeStacks') {
        reply(200, describeStacks('CREATE_COMPLETE', stackName, stackOutputs(url, stackName)));
      } else if (mode === 'creating') {
        creating(action, reply);
      } else if (mode === 'replacing') {
        replacing(action, stackName, url, reply);
      } else reply(400, error('ValidationError', `The fake does not do ${action}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    actions,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
