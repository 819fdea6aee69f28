import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateChangeSetCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MetadataBearer } from '@smithy/types';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { createDeployedAggregation } from '../../../lambdas/aggregation.js';
import { formatError } from '../../../src/cli/errors.js';
import { readDashboard } from '../../../src/cli/reads.js';
import { ExitCode } from '../../../src/core/errors.js';
import { eventBody } from '../../../src/core/event.js';
import { defaultParameters, parameterNames } from '../../../src/core/parameters.js';
import type { StreamStats } from '../../../src/core/streamer.js';
import { runStream } from '../../../src/services/stream.js';
import { AwsTarget } from '../../../src/targets/aws/aws-target.js';
import { StackDeployer, StackNeedsRecreateError } from '../../../src/targets/aws/cloudformation.js';
import { DynamoEventRepository } from '../../../src/targets/aws/dynamo-repositories.js';
import { AwsEnvironment } from '../../../src/targets/aws/environment.js';
import { StackGoneError } from '../../../src/targets/stack-ref.js';
import type { DeployResult } from '../../../src/targets/target.js';
import { type LocalDynamo, startDynalite, storedEvent } from '../../../testkit/aws/dynalite.js';
import { FakeCloudFormation, PIPELINE_RESOURCES } from '../../../testkit/aws/fake-cloudformation.js';
import { FakeCloudWatchLogs } from '../../../testkit/aws/fake-cloudwatch-logs.js';
import { type LocalSqs, startFauxqs } from '../../../testkit/aws/fauxqs.js';
import { instantClock } from '../../../testkit/clock.js';
import { fixtureCsv } from '../../../testkit/fixtures.js';
import { makeEvent, outgoing } from '../../../testkit/local.js';
import { rejection } from '../../../testkit/rejection.js';

const STACK = 'sensorpipe';

/** The AWS details of a deploy or status, or a failed test. */
function awsDetails<T extends { details: { kind: string } | null }>(
  result: T,
): Extract<T['details'], { kind: 'aws' }> {
  expect(result.details?.kind).to.equal('aws');
  return result.details as Extract<T['details'], { kind: 'aws' }>;
}
const MINUTE = 60_000;
/** Waits that return at once. */

/** The environment with the emulators' clients in place of AWS's. */
class EmulatedEnvironment extends AwsEnvironment {
  constructor(
    private readonly emulated: {
      cloudformation: FakeCloudFormation;
      sqs: SQSClient;
      dynamodb: DynamoDBDocumentClient;
      lambda: LambdaClient;
      logs?: FakeCloudWatchLogs;
    },
  ) {
    super({ region: 'eu-west-1' });
  }
  override async checkCredentials(): Promise<void> {}
  override async cloudformation() {
    return this.emulated.cloudformation.client;
  }
  override async sqs() {
    return this.emulated.sqs;
  }
  override async dynamodb() {
    return this.emulated.dynamodb;
  }
  override async lambda() {
    return this.emulated.lambda;
  }
  override async logs() {
    if (!this.emulated.logs) throw new Error('this test has no CloudWatch Logs');
    return this.emulated.logs.client;
  }
  override async destroy(): Promise<void> {}
}

describe('targets/aws/aws-target', function () {
  this.timeout(30_000);
  let sqs: LocalSqs;
  let dynamo: LocalDynamo;
  let cfn: FakeCloudFormation;
  let lambda: LambdaClient;
  let lambdaMock: AwsStub<object, MetadataBearer, unknown>;
  let logs: FakeCloudWatchLogs;
  let tables: { eventsTable: string; aggregatesTable: string };
  let queueUrl: string;
  let now: number;

  before(async () => {
    [sqs, dynamo] = await Promise.all([startFauxqs(), startDynalite()]);
  });

  after(async () => {
    await Promise.all([sqs.close(), dynamo.close()]);
  });

  beforeEach(async () => {
    tables = await dynamo.createTables();
    queueUrl = await sqs.createQueue();
    cfn = new FakeCloudFormation();
    cfn.pageSize = 4;
    logs = new FakeCloudWatchLogs({ now: () => Date.now() });
    cfn.outputs = {
      QueueUrl: queueUrl,
      DeadLetterQueueUrl: await sqs.createQueue(),
      EventsTableName: tables.eventsTable,
      AggregatesTableName: tables.aggregatesTable,
      StoringFunctionName: `${STACK}-storing`,
      AggregationFunctionName: `${STACK}-aggregation`,
      QueueArn: 'arn:queue',
      DeadLetterQueueArn: 'arn:dlq',
      AggregationFailureQueueUrl: await sqs.createQueue(),
    };
    now = Date.UTC(2026, 10, 28, 12, 0, 0);
    lambda = new LambdaClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    lambdaMock = mockClient(lambda);
    // The aggregation function as deployed (the bundle's composition) over the emulated tables.
    const handler = createDeployedAggregation(
      dynamo.documents,
      { eventsTable: tables.eventsTable, aggregatesTable: tables.aggregatesTable, windowMinutes: 5 },
      { now: () => now, log: () => {} },
    );
    lambdaMock.on(InvokeCommand, { FunctionName: `${STACK}-aggregation` }).callsFake(async () => ({
      StatusCode: 200,
      Payload: Buffer.from(JSON.stringify(await handler())),
    }));
  });

  afterEach(() => {
    cfn.mock.restore();
    lambdaMock.restore();
    logs.mock.restore();
  });

  async function target(options: { queueUrl?: string; sqsClient?: SQSClient } = {}): Promise<AwsTarget> {
    const { sqsClient = sqs.client, ...rest } = options;
    const environment = new EmulatedEnvironment({
      cloudformation: cfn,
      sqs: sqsClient,
      dynamodb: dynamo.documents,
      lambda,
      logs,
    });
    return AwsTarget.open({
      stackName: STACK,
      environment,
      deployer: new StackDeployer({ client: cfn.client, pollIntervalMs: 0, clock: instantClock() }),
      template: () => 'Resources: {}\n',
      clock: instantClock(),
      ...rest,
    });
  }

  const lastChangeSetParameters = () =>
    cfn.mock.commandCalls(CreateChangeSetCommand).at(-1)?.args[0].input.Parameters ?? [];

  describe('deploy', () => {
    it('creates the stack with every parameter, and returns its outputs and what it did', async () => {
      const result = await (await target()).deploy({ BatchSize: 10, MaximumBatchingWindowInSeconds: 0 });
      expect(result).to.deep.include({ stackName: STACK, target: 'aws', action: 'created' });
      expect(result.location).to.equal('AWS eu-west-1');
      expect(result.parameters).to.deep.equal({
        ...defaultParameters('aws'),
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 0,
      });
      expect(awsDetails(result).outputs).to.deep.equal(cfn.outputs);
      expect(awsDetails(result).resourceChanges.map((c) => c.logicalId)).to.deep.equal(
        PIPELINE_RESOURCES.map((r) => r.logicalId),
      );
      expect(lastChangeSetParameters()).to.deep.include({
        ParameterKey: 'ScheduleEnabled',
        ParameterValue: 'true',
      });
      expect(lastChangeSetParameters()).to.have.length(parameterNames('aws').length);
    });

    it('on a redeploy sends only the flags given; the others keep their deployed values', async () => {
      const aws = await target();
      await aws.deploy({ BatchSize: 10, MaximumBatchingWindowInSeconds: 0 });
      cfn.nextChanges = [{ ...PIPELINE_RESOURCES[5]!, action: 'Modify', replacement: 'False' }];
      const result = await aws.deploy({ WindowMinutes: 10 });
      expect(result.action).to.equal('updated');
      expect(result.changes).to.deep.equal([{ parameter: 'WindowMinutes', from: 5, to: 10 }]);
      expect(result.parameters).to.deep.include({ BatchSize: 10, WindowMinutes: 10 });
      const sent = lastChangeSetParameters();
      expect(sent).to.deep.include({ ParameterKey: 'WindowMinutes', ParameterValue: '10' });
      expect(sent).to.deep.include({ ParameterKey: 'BatchSize', UsePreviousValue: true });
    });

    it('passes the AWS-only template parameters (runtime, log retention) through', async () => {
      await (await target()).deploy({ LambdaRuntime: 'nodejs22.x', LogRetentionDays: 30 });
      expect(lastChangeSetParameters()).to.deep.include({
        ParameterKey: 'LambdaRuntime',
        ParameterValue: 'nodejs22.x',
      });
      expect(lastChangeSetParameters()).to.deep.include({
        ParameterKey: 'LogRetentionDays',
        ParameterValue: '30',
      });
    });

    it('says unchanged when there is nothing to change', async () => {
      const aws = await target();
      await aws.deploy({});
      const result = await aws.deploy({});
      expect(result).to.deep.include({ action: 'unchanged', changes: [] });
      expect(awsDetails(result).outputs).to.deep.equal(cfn.outputs);
    });

    it('refuses a redeploy that rejects the parameters before calling CloudFormation', async () => {
      const aws = await target();
      await aws.deploy({});
      const calls = cfn.mock.commandCalls(CreateChangeSetCommand).length;
      const error = await rejection(aws.deploy({ EventTtlMinutes: 1 }));
      expect(error).to.include({ exitCode: ExitCode.usage });
      expect(cfn.mock.commandCalls(CreateChangeSetCommand)).to.have.length(calls);
    });

    describe('when a table or queue would be replaced', () => {
      let aws: AwsTarget;
      beforeEach(async () => {
        aws = await target();
        await aws.deploy({});
        cfn.nextChanges = [{ ...PIPELINE_RESOURCES[2]!, action: 'Modify', replacement: 'True' }];
      });

      it('without a way to ask: refuses, says --yes, and leaves no change set', async () => {
        const error = await rejection(aws.deploy({}));
        expect(error).to.include({ exitCode: ExitCode.usage });
        expect(error.message).to.equal(
          'Not deployed: it would delete EventsTable (AWS::DynamoDB::Table, replaced) and their data. Run again with --yes to accept that.',
        );
        expect(cfn.changeSets.size).to.equal(0);
      });

      it('asks, and a no leaves the stack as it was', async () => {
        const questions: string[] = [];
        const error = await rejection(aws.deploy({}, { confirm: async (q) => questions.push(q) < 0 }));
        expect(questions).to.deep.equal([
          'This deploy would delete EventsTable (AWS::DynamoDB::Table, replaced), and the data in them. Continue?',
        ]);
        expect(error.message).to.match(/^Not deployed/);
        expect(cfn.changeSets.size).to.equal(0);
      });

      it('goes ahead with --yes', async () => {
        expect((await aws.deploy({}, { yes: true })).action).to.equal('updated');
      });
    });

    it('offers to delete and recreate a stack whose first create failed, then creates it', async () => {
      cfn.failResource('EventsTable', 'Table already exists: sensorpipe-events');
      const aws = await target();
      expect((await rejection(aws.deploy({}))).message).to.include(
        'EventsTable (AWS::DynamoDB::Table) CREATE_FAILED',
      );
      // Without a way to ask: the explanation, and nothing deleted
      const refused = await rejection(aws.deploy({}));
      expect(refused).to.be.instanceOf(StackNeedsRecreateError);
      // Asked and answered yes: deleted, then created
      const questions: string[] = [];
      const result = await aws.deploy({}, { confirm: async (q) => questions.push(q) > 0 });
      expect(questions[0]).to.match(/is in ROLLBACK_COMPLETE: .* Delete it and create it again\?$/);
      expect(result.action).to.equal('created');
    });
  });

  describe('on a deployed stack', () => {
    let aws: AwsTarget;

    beforeEach(async () => {
      aws = await target();
      await aws.deploy({});
    });

    it('streams events to the stack queue, as the bodies the storing function reads', async () => {
      const session = await aws.openStream();
      const events = Array.from({ length: 25 }, (_, i) =>
        outgoing(makeEvent(now + i, i % 2 ? 'Kings' : 'Erie')),
      );
      let sent = 0;
      for (let i = 0; i < events.length; i += 10)
        sent += (await session.sender.send(events.slice(i, i + 10))).sent;
      expect(sent).to.equal(25);
      expect((await sqs.receiveAll(queueUrl)).sort()).to.deep.equal(events.map(eventBody).sort());
      const drain = await session.finish();
      expect(drain).to.deep.include({ stored: null, inFlight: 25 });
    });

    it('dashboard refresh: one Invoke and one GetQueueAttributes per queue, nothing else; storing from what the aggregation returned; n/a for what SQS cannot tell', async () => {
      // GIVEN an SQS client that counts every request, and two dead letters
      const requests: { command: string; queueUrl?: string }[] = [];
      const counting = {
        send: (command: { constructor: { name: string }; input: { QueueUrl?: string } }) => {
          requests.push({ command: command.constructor.name, queueUrl: command.input.QueueUrl });
          return (sqs.client.send as (c: unknown) => Promise<unknown>)(command);
        },
      } as unknown as SQSClient;
      const watched = await target({ sqsClient: counting });
      for (const body of ['a', 'b'])
        await sqs.client.send(
          new SendMessageCommand({ QueueUrl: cfn.outputs.DeadLetterQueueUrl, MessageBody: body }),
        );
      lambdaMock.resetHistory();
      // WHEN the dashboard refreshes three times, 30 events stored between the first two
      const reads = [];
      const stored = new DynamoEventRepository(dynamo.documents, tables.eventsTable);
      for (let i = 0; i < 3; i++) {
        if (i === 1)
          await stored.putEvents(
            Array.from({ length: 30 }, (_, k) => storedEvent(now - 20_000 + k * 500, 'Erie')),
          );
        reads.push(await readDashboard(watched));
      }
      // THEN each refresh cost one Invoke and one GetQueueAttributes per queue
      expect(lambdaMock.commandCalls(InvokeCommand)).to.have.length(3);
      expect(new Set(requests.map((r) => r.command))).to.deep.equal(new Set(['GetQueueAttributesCommand']));
      const perQueue = new Map<string | undefined, number>();
      for (const r of requests) perQueue.set(r.queueUrl, (perQueue.get(r.queueUrl) ?? 0) + 1);
      expect(Object.fromEntries(perQueue)).to.deep.equal({
        [cfn.outputs.QueueUrl!]: 3,
        [cfn.outputs.DeadLetterQueueUrl!]: 3,
      });
      // The storing side from what the aggregation returned: the newest event's second, and the
      // events marked stored since the first refresh (a counter: the dashboard makes it a rate).
      expect(reads.map((r) => r.health?.storedCount)).to.deep.equal([0, 30, 30]);
      // The newest event is at now - 5.5 s: its second starts at now - 6 s.
      expect(reads.map((r) => r.health?.newestEventTime)).to.deep.equal([null, now - 6_000, now - 6_000]);
      expect(reads.at(-1)?.health).to.deep.include({
        sentCount: null,
        lastScheduledRun: null,
        queue: { visible: 0, inFlight: 0, deadLetters: 2, approximate: true },
      });
      // The schedule's next firing, as status gives it (rate(1 minute)): on a whole minute.
      expect(Date.parse(reads.at(-1)?.health?.nextScheduledRun ?? '') % MINUTE).to.equal(0);
    });

    it('stops sending refused events again on Ctrl-C: the stream’s signal reaches the sender', async () => {
      const realSend = sqs.client.send.bind(sqs.client);
      // SQS fails every entry on its side (InternalError): the sender would send them again.
      const failAll = async (command: { input: object }) => {
        if (!(command instanceof SendMessageBatchCommand)) return realSend(command as never);
        const entries = command.input.Entries ?? [];
        return {
          $metadata: {},
          Successful: [],
          Failed: entries.map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError' })),
        };
      };
      (sqs.client as unknown as { send: typeof failAll }).send = failAll;
      try {
        const controller = new AbortController();
        controller.abort();
        const session = await aws.openStream(controller.signal);
        const outcome = await session.sender.send([outgoing(makeEvent(now, 'Erie'))]);
        expect(outcome).to.deep.include({ sent: 0, failed: 1 });
        expect(outcome.error).to.include('interrupted before it was sent again');
      } finally {
        (sqs.client as unknown as { send: unknown }).send = realSend;
      }
    });

    it('aggregates by invoking the function, and show reads the same snapshot back', async () => {
      const events = new DynamoEventRepository(dynamo.documents, tables.eventsTable);
      await events.putEvents([
        storedEvent(now - 2 * MINUTE, 'Erie'),
        storedEvent(now - MINUTE, 'Erie'),
        storedEvent(now, 'Kings'),
        storedEvent(now - 5 * MINUTE, 'Tioga'), // exactly 5 minutes old: outside the window
      ]);
      const snapshot = await aws.aggregate();
      expect(snapshot).to.deep.include({
        total: 3,
        counties: [
          { county: 'Erie', count: 2 },
          { county: 'Kings', count: 1 },
        ],
      });
      expect(await aws.latestSnapshot()).to.deep.equal(snapshot);
      const status = await aws.status();
      expect(status).to.deep.include({ deployed: true, lastAggregation: snapshot.updated });
      expect(awsDetails(status).stackStatus).to.equal('CREATE_COMPLETE');
      expect(status.parameters).to.deep.equal(defaultParameters('aws'));
      expect(status.queue).to.deep.equal({
        visible: 0,
        inFlight: 0,
        deadLetters: 0,
        oldestDeadLetterAgeSeconds: null,
        approximate: true,
      });
      expect(awsDetails(status).outputs).to.deep.equal(cfn.outputs);
    });

    it('says in status that the last snapshot lies a day ahead, and the next aggregation replaces it', async () => {
      const events = new DynamoEventRepository(dynamo.documents, tables.eventsTable);
      now = Date.now();
      await events.putEvents([storedEvent(now - MINUTE, 'Erie')]);
      now = Date.now() + 24 * 60 * MINUTE; // the function's clock ran a day ahead
      const future = await aws.aggregate();
      const status = await aws.status();
      expect(status.lastAggregation).to.equal(future.updated);
      expect(status.clockErrors).to.have.length(1);
      expect(status.clockErrors[0]).to.include({ subject: 'lastAggregation', time: future.updated });
      expect(status.clockErrors[0]?.aheadSeconds).to.be.within(86_390, 86_410);
      now = Date.now(); // its clock is right again
      const snapshot = await aws.aggregate();
      expect(snapshot.total).to.equal(1);
      expect(await aws.latestSnapshot()).to.deep.equal(snapshot);
      expect((await aws.status()).clockErrors).to.deep.equal([]);
    });

    it('accepts every schedule EventBridge accepts, and status shows none next where none comes', async () => {
      const scheduleChanges = () => {
        cfn.nextChanges = [{ ...PIPELINE_RESOURCES[5]!, action: 'Modify', replacement: 'False' }];
      };
      for (const expression of ['cron(0 0 31 2 ? *)', 'cron(0/1 * * * ? 2020)', 'rate(99999999999 days)']) {
        scheduleChanges();
        await aws.deploy({ ScheduleExpression: expression });
        const status = await aws.status();
        expect(status.parameters?.ScheduleExpression, expression).to.equal(expression);
        expect(status.nextScheduledRun, expression).to.equal(null);
      }
      scheduleChanges();
      await aws.deploy({ ScheduleExpression: 'cron(15 10 L * ? *)' });
      expect((await aws.status()).nextScheduledRun).to.match(/T10:15:00\.000Z$/);
    });

    it('shows a function error with its message and the tail of its log, exit 1', async () => {
      const log = ['START RequestId: 1', 'ERROR ResourceNotFoundException: table gone', 'END RequestId: 1'];
      lambdaMock.on(InvokeCommand).resolves({
        StatusCode: 200,
        FunctionError: 'Unhandled',
        Payload: Buffer.from(
          JSON.stringify({ errorType: 'ResourceNotFoundException', errorMessage: 'table gone' }),
        ) as never,
        LogResult: Buffer.from(`${log.join('\n')}\n`).toString('base64'),
      });
      const error = await rejection(aws.aggregate());
      expect(error).to.include({ code: 'AWS_FUNCTION_ERROR', exitCode: ExitCode.failed });
      expect(error.message).to.equal(
        'The aggregation function sensorpipe-aggregation failed: ResourceNotFoundException: table gone.',
      );
      expect((error as unknown as { log: string[] }).log).to.deep.equal(log);
    });

    it('counts the failed scheduled runs that the failure queue keeps (in flight too), in status', async () => {
      expect((await aws.status()).failedAggregations).to.equal(0);
      // What Lambda sends its on-failure destination: the request, the response, the condition.
      const record = (condition: string) =>
        JSON.stringify({ requestContext: { condition, approximateInvokeCount: 3 }, responsePayload: {} });
      for (const condition of ['RetriesExhausted', 'RetriesExhausted', 'EventAgeExceeded']) {
        await sqs.client.send(
          new SendMessageCommand({
            QueueUrl: cfn.outputs.AggregationFailureQueueUrl!,
            MessageBody: record(condition),
          }),
        );
      }
      expect((await aws.status()).failedAggregations).to.equal(3);
      // Someone reading them (visibility timeout) does not make them go away.
      await sqs.client.send(
        new ReceiveMessageCommand({
          QueueUrl: cfn.outputs.AggregationFailureQueueUrl!,
          MaxNumberOfMessages: 1,
        }),
      );
      expect((await aws.status()).failedAggregations).to.equal(3);
    });

    it('peeks at the dead-letter queue without consuming it', async () => {
      const dlq = cfn.outputs.DeadLetterQueueUrl!;
      await sqs.client.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: '{"broken":' }));
      await sqs.client.send(
        new SendMessageCommand({ QueueUrl: dlq, MessageBody: `{"x":"${'y'.repeat(300)}"}` }),
      );
      const letters = await aws.deadLetters(10);
      expect(letters).to.have.length(2);
      expect(letters.map((l) => l.body)).to.include('{"broken":');
      expect(letters.find((l) => l.bodyTruncated)?.body.length).to.equal(201);
      expect(letters[0]).to.deep.include({ error: null, deadAt: null });
      expect(await aws.deadLetters(10)).to.have.length(2);
      expect((await aws.status()).queue?.deadLetters).to.equal(2);
      // What the dead-letter hint of aggregate and show reads: SQS's approximate depth, one request.
      expect(await aws.deadLetterCount()).to.deep.equal({ count: 2, approximate: true });
    });

    it('redrives with StartMessageMoveTask, followed to its end, without --limit', async () => {
      await sqs.client.send(
        new SendMessageCommand({ QueueUrl: cfn.outputs.DeadLetterQueueUrl!, MessageBody: 'x' }),
      );
      // fauxqs has no move tasks: they are played here, in front of it.
      const sent: unknown[] = [];
      const realSend = sqs.client.send.bind(sqs.client);
      let polls = 0;
      const send = async (command: { constructor: { name: string }; input: unknown }) => {
        if (command.constructor.name === 'StartMessageMoveTaskCommand') {
          sent.push(command.input);
          return { TaskHandle: 'task-1' };
        }
        if (command.constructor.name === 'ListMessageMoveTasksCommand') {
          polls++;
          return {
            Results: [
              polls < 3
                ? {
                    Status: 'RUNNING',
                    ApproximateNumberOfMessagesMoved: polls - 1,
                    ApproximateNumberOfMessagesToMove: 1,
                  }
                : {
                    Status: 'COMPLETED',
                    ApproximateNumberOfMessagesMoved: 1,
                    ApproximateNumberOfMessagesToMove: 1,
                  },
            ],
          };
        }
        return realSend(command as never);
      };
      (sqs.client as unknown as { send: typeof send }).send = send;
      try {
        const progress: [number, number | null][] = [];
        const result = await aws.redrive({ onProgress: (moved, total) => progress.push([moved, total]) });
        expect(sent).to.deep.equal([{ SourceArn: 'arn:dlq', DestinationArn: 'arn:queue' }]);
        expect(result.moved).to.equal(1);
        expect(progress.at(-1)).to.deep.equal([1, 1]);
      } finally {
        (sqs.client as unknown as { send: unknown }).send = realSend;
      }
    });

    it('stops following a move task on Ctrl-C, and says that SQS carries on', async () => {
      await sqs.client.send(
        new SendMessageCommand({ QueueUrl: cfn.outputs.DeadLetterQueueUrl!, MessageBody: 'x' }),
      );
      const controller = new AbortController();
      const realSend = sqs.client.send.bind(sqs.client);
      const send = async (command: { constructor: { name: string } }) => {
        if (command.constructor.name === 'StartMessageMoveTaskCommand') return { TaskHandle: 'task-1' };
        if (command.constructor.name === 'ListMessageMoveTasksCommand') {
          controller.abort();
          return { Results: [{ Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 0 }] };
        }
        return realSend(command as never);
      };
      (sqs.client as unknown as { send: typeof send }).send = send;
      try {
        const error = await rejection(aws.redrive({ signal: controller.signal }));
        expect(error).to.include({ code: 'INTERRUPTED' });
        expect(error.message).to.equal(
          'Interrupted: SQS carries on moving the dead letters of stack "sensorpipe" back to its queue. Follow it with: aws sqs list-message-move-tasks --source-arn arn:dlq',
        );
      } finally {
        (sqs.client as unknown as { send: unknown }).send = realSend;
      }
    });

    describe('redrive --limit: by hand, on fauxqs', () => {
      let requests: { name: string; entries: number }[];
      let sentBodies: string[];
      let refuse: (body: string) => boolean;
      let realSend: SQSClient['send'];

      /** Dead letters "dead 0".."dead n-1", sent in that order, a few ms apart. */
      async function deadLetters(n: number): Promise<void> {
        for (let i = 0; i < n; i++) {
          await realSend(
            new SendMessageCommand({ QueueUrl: cfn.outputs.DeadLetterQueueUrl!, MessageBody: `dead ${i}` }),
          );
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      }

      beforeEach(() => {
        requests = [];
        sentBodies = [];
        refuse = () => false;
        realSend = sqs.client.send.bind(sqs.client) as SQSClient['send'];
        // Records the requests; SendMessageBatch refuses the entries `refuse` picks (SQS's Failed list).
        const send = async (
          command: SendMessageBatchCommand | { constructor: { name: string }; input: object },
        ) => {
          const input = command.input as { Entries?: { Id: string; MessageBody: string }[] };
          requests.push({ name: command.constructor.name, entries: input.Entries?.length ?? 0 });
          if (command.constructor.name === 'ReceiveMessageCommand') {
            // A standard queue promises no order: hand the messages back newest first.
            const out = (await realSend(command as never)) as { Messages?: unknown[] };
            return { ...out, Messages: out.Messages?.reverse() };
          }
          if (!(command instanceof SendMessageBatchCommand)) return realSend(command as never);
          const entries = input.Entries ?? [];
          sentBodies.push(...entries.map((e) => e.MessageBody));
          const kept = entries.filter((e) => !refuse(e.MessageBody ?? ''));
          const out = kept.length
            ? await realSend(new SendMessageBatchCommand({ ...command.input, Entries: kept }))
            : { Successful: [], $metadata: {} };
          const refused = entries.filter((e) => refuse(e.MessageBody ?? ''));
          return {
            ...out,
            Failed: refused.map((e) => ({ Id: e.Id, SenderFault: true, Code: 'InvalidMessageContents' })),
          };
        };
        (sqs.client as unknown as { send: typeof send }).send = send;
      });
      afterEach(() => {
        (sqs.client as unknown as { send: unknown }).send = realSend;
      });

      const queued = async () => (await sqs.receiveAll(queueUrl)).sort();

      it('moves at most --limit, oldest first, in one receive, one send and one delete per batch', async () => {
        await deadLetters(5);
        const progress: [number, number | null][] = [];
        const result = await aws.redrive({
          limit: 3,
          onProgress: (moved, total) => progress.push([moved, total]),
        });
        expect(result).to.deep.equal({ moved: 3, remaining: 2 });
        expect(requests.filter((r) => r.name !== 'GetQueueAttributesCommand')).to.deep.equal([
          { name: 'ReceiveMessageCommand', entries: 0 },
          { name: 'SendMessageBatchCommand', entries: 3 },
          { name: 'DeleteMessageBatchCommand', entries: 3 },
        ]);
        expect(sentBodies).to.deep.equal(['dead 0', 'dead 1', 'dead 2']);
        expect(await queued()).to.deep.equal(['dead 0', 'dead 1', 'dead 2']);
        expect(progress).to.deep.equal([[3, 3]]);
        const left = (await sqs.receiveAll(cfn.outputs.DeadLetterQueueUrl!)).sort();
        expect(left).to.deep.equal(['dead 3', 'dead 4']);
      });

      it('moves in batches of 10 up to the limit', async () => {
        await deadLetters(25);
        expect(await aws.redrive({ limit: 23 })).to.deep.equal({ moved: 23, remaining: 2 });
        const sends = requests.filter((r) => r.name === 'SendMessageBatchCommand').map((r) => r.entries);
        expect(sends).to.deep.equal([10, 10, 3]);
        expect(await queued()).to.have.length(23);
      });

      it('deletes from the dead-letter queue only the messages that were sent', async () => {
        await deadLetters(4);
        refuse = (body) => body === 'dead 1';
        const result = await aws.redrive({ limit: 4 });
        expect(result.moved).to.equal(3);
        expect(await queued()).to.deep.equal(['dead 0', 'dead 2', 'dead 3']);
        const deletes = requests.filter((r) => r.name === 'DeleteMessageBatchCommand').map((r) => r.entries);
        expect(deletes).to.deep.equal([3]);
        // The refused one is hidden for the visibility timeout, and then back in the dead letters.
        expect((await aws.status()).queue?.deadLetters).to.equal(1);
      });

      it('stops between batches on Ctrl-C, with what it moved so far', async () => {
        await deadLetters(25);
        const controller = new AbortController();
        const result = await aws.redrive({
          limit: 25,
          signal: controller.signal,
          onProgress: () => controller.abort(),
        });
        expect(result).to.deep.equal({ moved: 10, remaining: 15 });
        expect(await queued()).to.have.length(10);
      });
    });

    it('says when a resource of the stack was deleted outside CloudFormation, and how to recover', async () => {
      lambdaMock
        .on(InvokeCommand)
        .rejects(Object.assign(new Error('Function not found'), { name: 'ResourceNotFoundException' }));
      const error = await rejection(aws.aggregate());
      expect(error).to.include({ code: 'AWS_RESOURCE_MISSING', exitCode: ExitCode.state });
      expect(error.message).to.match(
        /deleted outside CloudFormation.*sensorpipe destroy --target aws --stack-name sensorpipe, then sensorpipe deploy --target aws --stack-name sensorpipe\.$/,
      );
    });

    it('status: the region and the console links; outputs: the outputs alone (one DescribeStacks)', async () => {
      const details = awsDetails(await aws.status());
      expect(details.region).to.equal('eu-west-1');
      expect(details.console.Stack).to.match(
        /^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudformation\/home\?region=eu-west-1#\/stacks\/stackinfo\?stackId=/,
      );
      expect(details.console.StoringLogGroup).to.include('$252Faws$252Flambda$252Fsensorpipe-storing');
      const before = cfn.mock.commandCalls(DescribeStacksCommand).length;
      expect(await (await target()).outputs()).to.deep.equal(cfn.outputs);
      expect(cfn.mock.commandCalls(DescribeStacksCommand).length - before).to.equal(1);
    });

    it("reads the functions' log groups, named after the function outputs, interleaved by time", async () => {
      logs.createLogGroup(`/aws/lambda/${STACK}-storing`);
      logs.createLogGroup(`/aws/lambda/${STACK}-aggregation`);
      logs.put(`/aws/lambda/${STACK}-aggregation`, now - 1000, 'second');
      logs.put(`/aws/lambda/${STACK}-storing`, now - 2000, 'first');
      logs.put(`/aws/lambda/${STACK}-storing`, now, 'third');
      const lines: string[] = [];
      for await (const batch of aws.logs({ functions: ['storing', 'aggregation'], since: now - MINUTE }))
        lines.push(...batch.map((l) => `${l.function} ${l.message}`));
      expect(lines).to.deep.equal(['storing first', 'aggregation second', 'storing third']);
      const one: string[] = [];
      for await (const batch of aws.logs({ functions: ['aggregation'], since: now - MINUTE }))
        one.push(...batch.map((l) => l.message));
      expect(one).to.deep.equal(['second']);
    });

    it('a log group deleted by hand is a resource of the stack that is gone: one line, exit 3, how to recreate', async () => {
      logs.createLogGroup(`/aws/lambda/${STACK}-storing`);
      const error = await rejection(
        (async () => {
          for await (const _ of aws.logs({ functions: ['storing', 'aggregation'], since: now })) {
            // nothing: the aggregation's group is missing
          }
        })(),
      );
      expect(error).to.include({ code: 'AWS_RESOURCE_MISSING', exitCode: ExitCode.state });
      expect(error.message).to.match(
        /^A log group of stack "sensorpipe" is gone \(ResourceNotFoundException\)/,
      );
    });

    describe('a stream whose queue is deleted', () => {
      function csv(): string {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-aws-stream-'));
        cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
        const file = path.join(dir, 'f.csv');
        fs.writeFileSync(file, fixtureCsv({ counts: { Erie: 30, Kings: 30 } }));
        return file;
      }
      const cleanups: (() => void)[] = [];
      afterEach(() => {
        for (const cleanup of cleanups.splice(0)) cleanup();
      });

      /** Streams until `after` events were sent, then does `then` (deletes the queue...) and waits for the end. */
      async function streamAndCut(then: () => Promise<void>) {
        const stopped: StreamStats[] = [];
        let cut = false;
        const error = await rejection(
          runStream({
            target: aws,
            file: csv(),
            loop: true,
            intervalMs: 1,
            onStopped: (report) => stopped.push(report.stats),
            onProgress: (stats) => {
              if (!cut && stats.sent >= 20) {
                cut = true;
                void then();
              }
            },
          }),
        );
        return { error, stopped };
      }

      it('with its stack destroyed: stops, exit 3, one line that says so with what it sent', async () => {
        const { error, stopped } = await streamAndCut(async () => {
          await (await target()).destroy();
          await sqs.client.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
        });
        expect(error).to.be.instanceOf(StackGoneError);
        expect(error).to.include({ code: 'STACK_DESTROYED', exitCode: ExitCode.state });
        const sent = stopped[0]?.sent ?? -1;
        expect(sent).to.be.at.least(20);
        expect(error.message).to.equal(
          `Stack "sensorpipe" was destroyed (AWS eu-west-1) while this stream was running: stopped after sending ${sent} events.`,
        );
        expect(formatError(error).line.split('\n')).to.have.length(1);
      });

      it('deleted by hand, its stack still there: stops, exit 3, and says so', async () => {
        const { error, stopped } = await streamAndCut(async () => {
          await sqs.client.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
        });
        expect(error).to.include({ code: 'AWS_RESOURCE_MISSING', exitCode: ExitCode.state });
        expect(error.message).to.match(/^The queue .* does not exist/);
        expect(stopped[0]?.sent).to.be.at.least(20);
      });
    });

    it('two deploys at the same moment: CloudFormation runs one, the other fails cleanly (STACK_BUSY, exit 3)', async () => {
      // Each deploy plans a change set with a change; the first executed deletes the other's, as
      // CloudFormation does.
      cfn.updateChanges = [{ ...PIPELINE_RESOURCES[4]!, action: 'Modify', replacement: 'False' }];
      const [first, second] = [await target(), await target()];
      const results = await Promise.allSettled([
        first.deploy({ WindowMinutes: 7 }),
        second.deploy({ BatchSize: 5 }),
      ]);
      expect(cfn.mock.commandCalls(CreateChangeSetCommand)).to.have.length(3); // the create, then both
      const applied = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(applied).to.have.length(1);
      expect(refused).to.have.length(1);
      expect(refused[0]?.reason).to.include({ code: 'STACK_BUSY', exitCode: ExitCode.state });
      expect(refused[0]?.reason.message).to.match(
        /was changed by another deploy while this one was being planned: nothing of this deploy was applied/,
      );
      // The stack holds exactly the deploy that ran, and no change set is left behind.
      const won = (applied[0] as PromiseFulfilledResult<DeployResult>).value;
      expect((await (await target()).status()).parameters).to.deep.equal(won.parameters);
      expect(cfn.changeSets.size).to.equal(0);
    });

    it('destroys the stack; then it does not exist and commands say how to deploy', async () => {
      expect(await aws.destroy()).to.deep.include({ destroyed: true });
      expect(await aws.exists()).to.equal(false);
      const error = await rejection(aws.aggregate());
      expect(error).to.include({ code: 'NOT_DEPLOYED', exitCode: ExitCode.state });
      expect(error.message).to.equal('Stack "sensorpipe" is not deployed on the aws target (AWS eu-west-1).');
      expect(await aws.destroy()).to.deep.include({ destroyed: false });
    });
  });

  it('has no count of failed aggregations for a stack deployed without the failure queue', async () => {
    delete cfn.outputs.AggregationFailureQueueUrl;
    const aws = await target();
    await aws.deploy({});
    const status = await aws.status();
    expect(status).to.deep.include({ deployed: true, failedAggregations: null });
    expect(status.queue).to.not.equal(null);
  });

  it('streams into any queue with --queue-url, with no stack at all', async () => {
    const aws = await target({ queueUrl });
    const session = await aws.openStream();
    expect((await session.sender.send([outgoing(makeEvent(now, 'Erie'))])).sent).to.equal(1);
    expect(await sqs.receiveAll(queueUrl)).to.have.length(1);
  });

  it('reports AWS refusals as one line a user can act on', async () => {
    cfn.mock.on(DescribeStacksCommand).rejects(
      Object.assign(
        new Error('User: arn:aws:iam::1:user/x is not authorized to perform: cloudformation:DescribeStacks'),
        {
          name: 'AccessDenied',
          $metadata: { requestId: 'r-1' },
        },
      ),
    );
    const error = await rejection((await target()).status());
    expect(error).to.include({ code: 'AWS_ACCESS_DENIED', exitCode: ExitCode.environment });
    expect(error.message).to.include('cloudformation:DescribeStacks');
  });
});
