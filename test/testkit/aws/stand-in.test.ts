import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { BatchWriteItemCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import { type LocalDynamo, startDynalite } from '../../../testkit/aws/dynalite.js';
import { type LocalSqs, startFauxqs } from '../../../testkit/aws/fauxqs.js';
import {
  type AwsStandIn,
  describeStacksXml,
  quickRetries,
  STAND_IN_CLIENT,
  type StandInAnswer,
  startAwsStandIn,
} from '../../../testkit/aws/stand-in.js';
import { rejection } from '../../../testkit/rejection.js';

describe('test kit: the AWS stand-in', () => {
  let sqs: LocalSqs;
  let dynamo: LocalDynamo;
  let standIn: AwsStandIn | undefined;
  let answers: StandInAnswer[];

  before(async () => {
    [sqs, dynamo] = await Promise.all([startFauxqs(), startDynalite()]);
  });
  after(async () => {
    await Promise.all([sqs.close(), dynamo.close()]);
  });
  beforeEach(() => {
    answers = [];
  });
  afterEach(async () => {
    await standIn?.close();
    standIn = undefined;
  });

  /** A stand-in in front of `upstream` that gives the queued answers in turn, then forwards. */
  async function inFrontOf(upstream?: string): Promise<AwsStandIn> {
    standIn = await startAwsStandIn({ upstream, answer: () => answers.shift() ?? { kind: 'forward' } });
    return standIn;
  }

  const oneAttempt = { ...STAND_IN_CLIENT, maxAttempts: 1 };
  const entries = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ Id: String(i), MessageBody: `body ${i}` }));

  it('forwards to the emulator, and records each request by service and operation', async () => {
    const proxy = await inFrontOf(sqs.endpoint);
    const queueUrl = await sqs.createQueue();
    const client = new SQSClient({ ...oneAttempt, endpoint: proxy.url });
    const out = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(3) }));
    expect(out.Successful).to.have.length(3);
    expect(await sqs.receiveAll(queueUrl)).to.have.length(3);
    expect(proxy.requests.map((r) => [r.service, r.operation, r.n])).to.deep.equal([
      ['sqs', 'SendMessageBatch', 1],
    ]);
    expect(proxy.faults).to.equal(0);
    client.destroy();
  });

  it("answers an SQS error in SQS's JSON, with its query code", async () => {
    const proxy = await inFrontOf(sqs.endpoint);
    answers.push({
      kind: 'error',
      code: 'QueueDoesNotExist',
      queryCode: 'AWS.SimpleQueueService.NonExistentQueue',
    });
    const client = new SQSClient({ ...oneAttempt, endpoint: proxy.url });
    const error = await rejection<Error & { Code?: string; $metadata: { httpStatusCode?: number } }>(
      client.send(new SendMessageBatchCommand({ QueueUrl: `${proxy.url}/1/q`, Entries: entries(1) })),
    );
    expect(error.name).to.equal('QueueDoesNotExist');
    expect(error.Code).to.equal('AWS.SimpleQueueService.NonExistentQueue');
    expect(error.$metadata.httpStatusCode).to.equal(400);
    expect(proxy.faults).to.equal(1);
    client.destroy();
  });

  it("answers DynamoDB, Lambda and CloudFormation errors in each one's protocol", async () => {
    const proxy = await inFrontOf();
    answers.push(
      { kind: 'error', code: 'ProvisionedThroughputExceededException' },
      { kind: 'error', code: 'ResourceNotFoundException', status: 404 },
      { kind: 'error', code: 'ExpiredToken', status: 403, message: 'The security token is expired' },
    );
    const dynamodb = new DynamoDBClient({ ...oneAttempt, endpoint: proxy.url });
    const lambda = new LambdaClient({ ...oneAttempt, endpoint: proxy.url });
    const cloudformation = new CloudFormationClient({ ...oneAttempt, endpoint: proxy.url });
    const names = [
      (await rejection(dynamodb.send(new BatchWriteItemCommand({ RequestItems: { t: [] } })))).name,
      (await rejection(lambda.send(new InvokeCommand({ FunctionName: 'f' })))).name,
      (await rejection(cloudformation.send(new DescribeStacksCommand({ StackName: 's' })))).name,
    ];
    expect(names).to.deep.equal([
      'ProvisionedThroughputExceededException',
      'ResourceNotFoundException',
      'ExpiredToken',
    ]);
    expect(proxy.requests.map((r) => `${r.service} ${r.operation}`)).to.deep.equal([
      'dynamodb BatchWriteItem',
      'lambda Invoke',
      'cloudformation DescribeStacks',
    ]);
    for (const client of [dynamodb, lambda, cloudformation]) client.destroy();
  });

  it('replies with a body of its own (a stack for DescribeStacks)', async () => {
    const proxy = await inFrontOf();
    answers.push({
      kind: 'reply',
      body: describeStacksXml({ name: 's', status: 'CREATE_COMPLETE', outputs: { QueueUrl: 'q' } }),
    });
    const client = new CloudFormationClient({ ...oneAttempt, endpoint: proxy.url });
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: 's' }));
    expect(Stacks?.[0]).to.deep.include({ StackName: 's', StackStatus: 'CREATE_COMPLETE' });
    expect(Stacks?.[0]?.Outputs).to.deep.equal([{ OutputKey: 'QueueUrl', OutputValue: 'q' }]);
    client.destroy();
  });

  it('drops a connection before the request goes anywhere', async () => {
    const proxy = await inFrontOf(sqs.endpoint);
    const queueUrl = await sqs.createQueue();
    answers.push({ kind: 'drop' });
    const client = new SQSClient({ ...oneAttempt, endpoint: proxy.url });
    const error = await rejection<Error & { code?: string }>(
      client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(2) })),
    );
    expect(error.code).to.equal('ECONNRESET');
    expect(await sqs.receiveAll(queueUrl)).to.have.length(0);
    client.destroy();
  });

  it('loses the answer of a request that went through', async () => {
    const proxy = await inFrontOf(dynamo.endpoint);
    const { eventsTable } = await dynamo.createTables();
    answers.push({ kind: 'lose-answer' });
    const client = new DynamoDBClient({ ...oneAttempt, endpoint: proxy.url });
    const put = new BatchWriteItemCommand({
      RequestItems: { [eventsTable]: [{ PutRequest: { Item: { pk: { S: 'a' }, sk: { S: 'b' } } } }] },
    });
    expect((await rejection<Error & { code?: string }>(client.send(put))).code).to.equal('ECONNRESET');
    const { Items } = await dynamo.client.send(new ScanCommand({ TableName: eventsTable }));
    expect(Items).to.have.length(1);
    client.destroy();
  });

  it('is seen by the SDK retry middleware: a throttled, then a dropped request are retried', async () => {
    const proxy = await inFrontOf(sqs.endpoint);
    const queueUrl = await sqs.createQueue();
    answers.push({ kind: 'error', code: 'ThrottlingException' }, { kind: 'drop' });
    const client = new SQSClient({ ...STAND_IN_CLIENT, endpoint: proxy.url, retryStrategy: quickRetries(3) });
    const out = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(2) }));
    expect(out.Successful).to.have.length(2);
    expect(out.$metadata.attempts).to.equal(3);
    expect(proxy.requests.map((r) => r.attempt)).to.deep.equal([1, 2, 3]);
    client.destroy();
  });

  it('quickRetries gives up after maxAttempts, and never retries a client error', async () => {
    const proxy = await inFrontOf(sqs.endpoint);
    const queueUrl = await sqs.createQueue();
    const client = new SQSClient({ ...STAND_IN_CLIENT, endpoint: proxy.url, retryStrategy: quickRetries(2) });
    answers.push(
      ...Array.from({ length: 3 }, () => ({ kind: 'error', code: 'ThrottlingException' }) as const),
    );
    const send = () => client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(1) }));
    expect((await rejection(send())).name).to.equal('ThrottlingException');
    expect(proxy.requests).to.have.length(2);
    answers.length = 0;
    answers.push({ kind: 'error', code: 'InvalidParameterValue' });
    expect((await rejection(send())).name).to.equal('InvalidParameterValue');
    expect(proxy.requests).to.have.length(3);
    client.destroy();
  });

  it('accepts a SendMessageBatch by itself, with the MD5 of each body that the SDK checks', async () => {
    standIn = await startAwsStandIn({ answer: () => ({ kind: 'accept' }) });
    const client = new SQSClient({ ...oneAttempt, endpoint: standIn.url });
    const batch = [...entries(2), { Id: '2', MessageBody: '{"county":"Saint Lawrence \u00e9\u{1F41F}"}' }];
    const out = await client.send(
      new SendMessageBatchCommand({ QueueUrl: `${standIn.url}/1/q`, Entries: batch }),
    );
    // The SDK's default MD5 check passed (a wrong digest makes it throw), multi-byte characters too.
    expect(out.Successful?.map((e) => e.Id)).to.deep.equal(['0', '1', '2']);
    expect(out.Failed).to.deep.equal([]);
    expect(standIn.faults).to.equal(0);
    expect(standIn.requests.map((r) => r.entries)).to.deep.equal([3]);
    const other = await rejection(
      client.send(new GetQueueAttributesCommand({ QueueUrl: `${standIn.url}/1/q`, AttributeNames: ['All'] })),
    );
    expect(other.message).to.include('accepts SendMessageBatch only');
    client.destroy();
  });

  it('answers after a delay, and counts the requests open at once and the connections', async () => {
    standIn = await startAwsStandIn({ answer: () => ({ kind: 'accept' }), delayMs: 100, keepBodies: false });
    const client = new SQSClient({ ...oneAttempt, endpoint: standIn.url });
    const send = () =>
      client.send(new SendMessageBatchCommand({ QueueUrl: `${standIn?.url}/1/q`, Entries: entries(1) }));
    const started = Date.now();
    await Promise.all(Array.from({ length: 8 }, send));
    expect(Date.now() - started).to.be.within(95, 2_000);
    await Promise.all(Array.from({ length: 8 }, send));
    // The second wave arrived after the first was answered.
    const at = standIn.requests.map((r) => r.at);
    expect(Math.min(...at.slice(8)) - Math.max(...at.slice(0, 8))).to.be.at.least(95);
    expect(standIn.maxOpen).to.equal(8);
    // Keep-alive: the second wave went over the first wave's connections.
    expect(standIn.connections).to.equal(8);
    expect(standIn.requests.map((r) => r.body)).to.deep.equal(Array.from({ length: 16 }, () => ''));
    client.destroy();
  });
});
