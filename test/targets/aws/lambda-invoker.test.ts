import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { ExitCode } from '../../../src/core/errors.js';
import { invokeAggregation, THROTTLED_INVOKE_RETRY } from '../../../src/targets/aws/lambda-invoker.js';
import {
  type AwsStandIn,
  quickRetries,
  STAND_IN_CLIENT,
  startAwsStandIn,
} from '../../../testkit/aws/stand-in.js';
import { fakeClock } from '../../../testkit/clock.js';
import { rejection } from '../../../testkit/rejection.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const SNAPSHOT = {
  updated: '2026-11-28T12:00:00.000Z',
  windowStart: '2026-11-28T11:55:00.000Z',
  windowEnd: '2026-11-28T12:00:00.000Z',
  windowMinutes: 5,
  total: 2,
  counties: [{ county: 'Erie', count: 2 }],
};

describe('targets/aws/lambda-invoker', () => {
  const client = new LambdaClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  const lambda = mockClient(client);

  afterEach(() => lambda.reset());
  after(() => lambda.restore());

  const payload = (value: unknown) =>
    Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)) as never;

  it('invokes the function synchronously with its log tail, and returns its snapshot', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload(SNAPSHOT) });
    expect(await invokeAggregation(client, 'stack-aggregation')).to.deep.equal({
      snapshot: SNAPSHOT,
      storing: undefined,
    });
    expect(lambda.commandCalls(InvokeCommand)[0]?.args[0].input).to.deep.equal({
      FunctionName: 'stack-aggregation',
      InvocationType: 'RequestResponse',
      LogType: 'Tail',
    });
  });

  it('takes what the function read of the storing side apart from the snapshot, and ignores it malformed', async () => {
    const storing = { newestSecond: 1_764_331_199, from: 1_764_330_600, marked: [0, 3, 2] };
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ ...SNAPSHOT, storing }) });
    expect(await invokeAggregation(client, 'f')).to.deep.equal({ snapshot: SNAPSHOT, storing });
    for (const bad of [null, 'x', { ...storing, marked: [1, -1] }, { ...storing, from: 'now' }]) {
      lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ ...SNAPSHOT, storing: bad }) });
      expect(await invokeAggregation(client, 'f')).to.deep.equal({ snapshot: SNAPSHOT, storing: undefined });
    }
  });

  it('keeps the last 10 lines of the log of a failed invocation', async () => {
    const log = Array.from({ length: 15 }, (_, i) => `line ${i + 1}`);
    lambda.on(InvokeCommand).resolves({
      FunctionError: 'Unhandled',
      Payload: payload({ errorType: 'Runtime.ImportModuleError', errorMessage: "Cannot find module 'x'" }),
      LogResult: Buffer.from(log.join('\n')).toString('base64'),
    });
    const error = await rejection(invokeAggregation(client, 'f'));
    expect(error).to.include({ exitCode: ExitCode.failed });
    expect(error.message).to.equal(
      "The aggregation function f failed: Runtime.ImportModuleError: Cannot find module 'x'.",
    );
    expect((error as unknown as { log: string[] }).log).to.deep.equal(log.slice(5));
  });

  describe('when Lambda throttles the invoke (a reserved concurrency of 1 held by a scheduled run)', () => {
    const throttled = () =>
      new TooManyRequestsException({
        message: 'Rate Exceeded.',
        $metadata: { httpStatusCode: 429 },
        Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      });

    it('tries again after a backoff on the clock, and returns the snapshot of the try that ran', async () => {
      lambda
        .on(InvokeCommand)
        .rejectsOnce(throttled())
        .rejectsOnce(throttled())
        .resolves({ StatusCode: 200, Payload: payload(SNAPSHOT) });
      const clock = fakeClock();
      const { snapshot } = await invokeAggregation(client, 'f', { clock, random: () => 0.5 });
      expect(snapshot).to.deep.equal(SNAPSHOT);
      expect(lambda.commandCalls(InvokeCommand)).to.have.length(3);
      // Full jitter, half-way: half of 5 s, then half of 10 s.
      expect(clock.sleeps).to.deep.equal([2_500, 5_000]);
    });

    it('gives up after a few tries with one line that says what to do, exit 4', async () => {
      lambda.on(InvokeCommand).rejects(throttled());
      const clock = fakeClock();
      const error = await rejection(
        invokeAggregation(client, 'stack-aggregation', { clock, random: () => 0.99 }),
      );
      expect(error).to.include({ code: 'AWS_THROTTLED', exitCode: ExitCode.environment });
      expect(lambda.commandCalls(InvokeCommand)).to.have.length(THROTTLED_INVOKE_RETRY.maxAttempts);
      expect(clock.sleeps).to.have.length(THROTTLED_INVOKE_RETRY.maxAttempts - 1);
      const waited = Math.round(clock.sleeps.reduce((a, b) => a + b, 0) / 1000);
      expect(error.message).to.equal(
        `Lambda throttled the aggregation function stack-aggregation (TooManyRequestsException (HTTP 429)) 4 times over ${waited} s: another run holds its reserved concurrency, or the account's concurrent executions are all in use. Try again in a minute.`,
      );
    });

    it('does not try again what is not throttling', async () => {
      lambda
        .on(InvokeCommand)
        .rejects(Object.assign(new Error('no such function'), { name: 'ResourceNotFoundException' }));
      const clock = fakeClock();
      const error = await rejection(invokeAggregation(client, 'f', { clock }));
      expect(error.name).to.equal('ResourceNotFoundException');
      expect(lambda.commandCalls(InvokeCommand)).to.have.length(1);
      expect(clock.sleeps).to.deep.equal([]);
    });

    it('stops waiting on Ctrl-C, with an InterruptedError that says no aggregation ran', async () => {
      lambda.on(InvokeCommand).rejects(throttled());
      const controller = new AbortController();
      const clock = fakeClock();
      const sleep = clock.sleep;
      clock.sleep = async (ms, signal) => {
        controller.abort();
        await sleep(ms, signal);
      };
      const error = await rejection(invokeAggregation(client, 'f', { clock, signal: controller.signal }));
      expect(error).to.include({ code: 'INTERRUPTED', exitCode: ExitCode.interrupted });
      expect(error.message).to.match(/no aggregation ran\.$/);
      expect(lambda.commandCalls(InvokeCommand)).to.have.length(1);
    });
  });

  it('says so when the function returns something that is not a snapshot', async () => {
    lambda.on(InvokeCommand).resolves({ Payload: payload('null') });
    const error = await rejection(invokeAggregation(client, 'f'));
    expect(error).to.include({ code: 'AWS_FUNCTION_RESULT', exitCode: ExitCode.failed });
    expect(error.message).to.match(
      /returned something that is not a snapshot: null\. .* sensorpipe deploy --target aws\.$/,
    );
  });

  describe("with the real SDK, against Lambda's wire format (stand-in)", () => {
    let standIn: AwsStandIn;
    let real: LambdaClient;
    let throttledRequests: number;

    beforeEach(async () => {
      throttledRequests = 0;
      standIn = await startAwsStandIn({
        answer: () => {
          if (throttledRequests++ < 5)
            return {
              kind: 'error',
              code: 'TooManyRequestsException',
              status: 429,
              message: 'Rate Exceeded.',
            };
          return {
            kind: 'reply',
            status: 200,
            body: JSON.stringify(SNAPSHOT),
            contentType: 'application/json',
          };
        },
      });
      // Two SDK attempts per invoke: each throttled invoke reaches sensorpipe after the SDK's retry.
      real = new LambdaClient({ ...STAND_IN_CLIENT, endpoint: standIn.url, retryStrategy: quickRetries(2) });
    });
    afterEach(async () => {
      real.destroy();
      await standIn.close();
    });

    it("recognizes the throttling Lambda answers, after the SDK's own retries, and tries again", async () => {
      const clock = fakeClock();
      expect((await invokeAggregation(real, 'f', { clock })).snapshot).to.deep.equal(SNAPSHOT);
      // 5 throttled requests and the one that ran: 3 invokes of 2 SDK attempts each.
      expect(standIn.requests.map((r) => [r.operation, r.attempt])).to.deep.equal([
        ['Invoke', 1],
        ['Invoke', 2],
        ['Invoke', 1],
        ['Invoke', 2],
        ['Invoke', 1],
        ['Invoke', 2],
      ]);
      expect(clock.sleeps).to.have.length(2);
    });
  });
});
