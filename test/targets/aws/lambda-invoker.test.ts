import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { ExitCode } from '../../../src/core/errors.js';
import { invokeAggregation } from '../../../src/targets/aws/lambda-invoker.js';
import { rejection } from '../../../testkit/rejection.js';

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
    expect(await invokeAggregation(client, 'stack-aggregation')).to.deep.equal(SNAPSHOT);
    expect(lambda.commandCalls(InvokeCommand)[0]?.args[0].input).to.deep.equal({
      FunctionName: 'stack-aggregation',
      InvocationType: 'RequestResponse',
      LogType: 'Tail',
    });
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

  it('says so when the function returns something that is not a snapshot', async () => {
    lambda.on(InvokeCommand).resolves({ Payload: payload('null') });
    const error = await rejection(invokeAggregation(client, 'f'));
    expect(error).to.include({ code: 'AWS_FUNCTION_RESULT', exitCode: ExitCode.failed });
    expect(error.message).to.match(
      /returned something that is not a snapshot: null\. .* sensorpipe deploy --target aws\.$/,
    );
  });
});
