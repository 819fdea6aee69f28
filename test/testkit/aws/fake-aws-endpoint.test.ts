import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import { type FakeAwsEndpoint, startFakeAwsEndpoint } from '../../../testkit/aws/fake-aws-endpoint.js';
import { rejection } from '../../../testkit/rejection.js';

/** The endpoint the built CLI's tests point --endpoint-url at: each mode answers as AWS would. */
describe('test kit: the fake AWS endpoint', () => {
  let endpoint: FakeAwsEndpoint | undefined;
  const options = (url: string) => ({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
    maxAttempts: 1,
  });

  afterEach(async () => {
    await endpoint?.close();
    endpoint = undefined;
  });

  for (const [mode, name] of [
    ['access-denied', 'AccessDenied'],
    ['expired-token', 'ExpiredToken'],
  ] as const) {
    it(`${mode}: refuses every request with ${name}, and a request id`, async () => {
      endpoint = await startFakeAwsEndpoint(mode);
      const cfn = new CloudFormationClient(options(endpoint.url));
      const error = await rejection<Error & { $metadata?: { requestId?: string } }>(
        cfn.send(new DescribeStacksCommand({ StackName: 'sensorpipe' })),
      );
      expect(error.name).to.equal(name);
      expect(error.$metadata?.requestId).to.equal('req-fake-1');
      cfn.destroy();
    });
  }

  it('busy: the stack is in UPDATE_IN_PROGRESS', async () => {
    endpoint = await startFakeAwsEndpoint('busy');
    const cfn = new CloudFormationClient(options(endpoint.url));
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: 'sensorpipe' }));
    expect(Stacks?.[0]?.StackStatus).to.equal('UPDATE_IN_PROGRESS');
    cfn.destroy();
  });

  it('creating: no stack until a change set is executed, then one that stays in CREATE_IN_PROGRESS', async () => {
    endpoint = await startFakeAwsEndpoint('creating');
    const cfn = new CloudFormationClient(options(endpoint.url));
    const missing = await rejection(cfn.send(new DescribeStacksCommand({ StackName: 'sensorpipe' })));
    expect(missing.message).to.include('does not exist');
    const { Id } = await cfn.send(
      new CreateChangeSetCommand({ StackName: 'sensorpipe', ChangeSetName: 'c', ChangeSetType: 'CREATE' }),
    );
    expect(Id).to.match(/changeSet/);
    cfn.destroy();
  });

  it('no-stack: the stack asked for does not exist, as CloudFormation says it', async () => {
    endpoint = await startFakeAwsEndpoint('no-stack');
    const cfn = new CloudFormationClient(options(endpoint.url));
    const missing = await rejection(cfn.send(new DescribeStacksCommand({ StackName: 'other' })));
    expect(missing).to.include({ name: 'ValidationError', message: 'Stack with id other does not exist' });
    cfn.destroy();
  });

  it('not-aws: a web server, whatever is asked; only-cloudformation: a deployed stack, the rest a web page', async () => {
    endpoint = await startFakeAwsEndpoint('not-aws');
    const page = await fetch(`${endpoint.url}/`, { method: 'POST', body: 'Action=DescribeStacks' });
    expect([page.status, page.headers.get('content-type')]).to.deep.equal([404, 'text/html; charset=utf-8']);
    await endpoint.close();

    endpoint = await startFakeAwsEndpoint('only-cloudformation');
    const cfn = new CloudFormationClient(options(endpoint.url));
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: 'mine' }));
    const outputs = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    expect(Stacks?.[0]).to.include({ StackName: 'mine', StackStatus: 'CREATE_COMPLETE' });
    expect(outputs).to.include({
      QueueUrl: `${endpoint.url}/123456789012/mine-queue`,
      StoringFunctionName: 'mine-storing',
    });
    const sqs = await fetch(`${endpoint.url}/`, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonSQS.GetQueueAttributes' },
      body: '{}',
    });
    expect([sqs.status, sqs.headers.get('content-type')]).to.deep.equal([404, 'text/html; charset=utf-8']);
    cfn.destroy();
  });

  it('replacing: a deployed stack whose change set replaces the events table; the actions are recorded', async () => {
    endpoint = await startFakeAwsEndpoint('replacing');
    const cfn = new CloudFormationClient(options(endpoint.url));
    const { Id } = await cfn.send(
      new CreateChangeSetCommand({ StackName: 'mine', ChangeSetName: 'c', ChangeSetType: 'UPDATE' }),
    );
    const changeSet = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: Id }));
    expect(changeSet.Changes?.[0]?.ResourceChange).to.include({
      Action: 'Modify',
      LogicalResourceId: 'EventsTable',
      Replacement: 'True',
    });
    await cfn.send(new DeleteChangeSetCommand({ ChangeSetName: Id }));
    expect(endpoint.actions).to.deep.equal(['CreateChangeSet', 'DescribeChangeSet', 'DeleteChangeSet']);
    cfn.destroy();
  });

  it('sqs-refusing: every SendMessageBatch entry comes back failed, retryable', async () => {
    endpoint = await startFakeAwsEndpoint('sqs-refusing');
    const sqs = new SQSClient(options(endpoint.url));
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: `${endpoint.url}/123456789012/q`,
        Entries: [
          { Id: '0', MessageBody: 'a' },
          { Id: '1', MessageBody: 'b' },
        ],
      }),
    );
    expect(out.Successful ?? []).to.have.length(0);
    expect(out.Failed?.map((f) => [f.Id, f.SenderFault, f.Code])).to.deep.equal([
      ['0', false, 'InternalError'],
      ['1', false, 'InternalError'],
    ]);
    sqs.destroy();
  });
});
