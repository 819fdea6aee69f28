import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'chai';
import { ExitCode } from '../../../src/core/errors.js';
import { AWS_RETRY_POLICY, AwsEnvironment, SQS_MAX_IN_FLIGHT } from '../../../src/targets/aws/environment.js';
import { conditionOf, NotAwsAnswerError, toUserError } from '../../../src/targets/aws/errors.js';
import {
  type AwsStandIn,
  type AwsStandInOptions,
  quickRetries,
  STAND_IN_CLIENT,
  startAwsStandIn,
} from '../../../testkit/aws/stand-in.js';
import { rejection } from '../../../testkit/rejection.js';

const AWS_VARIABLES = [
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_PROFILE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_ENDPOINT_URL',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
];

describe('targets/aws/environment', () => {
  let dir: string;
  let saved: Record<string, string | undefined>;
  const environments: AwsEnvironment[] = [];

  /** An environment with nothing from this machine: empty config files, no instance metadata. */
  function isolate(variables: Record<string, string> = {}): void {
    for (const key of AWS_VARIABLES) delete process.env[key];
    Object.assign(process.env, {
      AWS_CONFIG_FILE: path.join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      ...variables,
    });
  }

  function environment(...args: ConstructorParameters<typeof AwsEnvironment>): AwsEnvironment {
    const env = new AwsEnvironment(...args);
    environments.push(env);
    return env;
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-aws-env-'));
    fs.writeFileSync(path.join(dir, 'config'), '');
    fs.writeFileSync(path.join(dir, 'credentials'), '');
    saved = Object.fromEntries(AWS_VARIABLES.map((key) => [key, process.env[key]]));
  });

  afterEach(async () => {
    for (const env of environments.splice(0)) await env.destroy();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('region', () => {
    it('takes --region before AWS_REGION', async () => {
      isolate({ AWS_REGION: 'eu-west-1' });
      expect(await environment({ region: 'us-east-2' }).region()).to.equal('us-east-2');
      expect(await environment().region()).to.equal('eu-west-1');
    });

    it("reads the profile's region from the config file, for --profile too", async () => {
      isolate();
      fs.writeFileSync(
        path.join(dir, 'config'),
        '[default]\nregion = ap-south-1\n\n[profile dev]\nregion = eu-north-1\n',
      );
      expect(await environment().region()).to.equal('ap-south-1');
      expect(await environment({ profile: 'dev' }).region()).to.equal('eu-north-1');
    });

    it('falls back to AWS_DEFAULT_REGION, as the AWS CLI does', async () => {
      isolate({ AWS_DEFAULT_REGION: 'sa-east-1' });
      expect(await environment().region()).to.equal('sa-east-1');
    });

    it('fails in one line that says how to set one, and mentions --target local', async () => {
      isolate();
      const error = await rejection(environment().region());
      expect(error).to.include({ code: 'AWS_NO_REGION', exitCode: ExitCode.environment });
      expect((error as Error).message).to.equal(
        'No AWS region is set: pass --region, set AWS_REGION, or give your profile a region (aws configure). To run without AWS, use --target local.',
      );
    });
  });

  describe('checkCredentials', () => {
    it('passes with credentials from the environment', async () => {
      isolate({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' });
      await environment().checkCredentials();
    });

    it('fails in one line when there are none, naming the profile, without any secret', async () => {
      isolate({ AWS_REGION: 'eu-west-1' });
      const error = await rejection(environment().checkCredentials());
      expect(error).to.include({ code: 'AWS_NO_CREDENTIALS', exitCode: ExitCode.environment });
      expect((error as Error).message).to.equal(
        'No AWS credentials found: run aws configure (or aws sso login), set AWS_PROFILE, or pass --profile. To run without AWS, use --target local.',
      );

      fs.writeFileSync(path.join(dir, 'config'), '[profile dev]\nregion = eu-west-1\n');
      const named = await rejection(environment({ profile: 'dev' }).checkCredentials());
      expect((named as Error).message).to.include('No AWS credentials found for profile "dev"');
    });
  });

  describe('clients', () => {
    it('share the region, --endpoint-url and one retry policy: adaptive, 5 attempts', async () => {
      isolate({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' });
      const env = environment({ endpointUrl: 'http://127.0.0.1:4566' });
      const [sqs, dynamodb, lambda, cloudformation, logs] = await Promise.all([
        env.sqs(),
        env.dynamodb(),
        env.lambda(),
        env.cloudformation(),
        env.logs(),
      ]);
      for (const client of [sqs, dynamodb, lambda, cloudformation, logs]) {
        expect(await client.config.region()).to.equal('eu-west-1');
        const endpoint = await client.config.endpoint?.();
        expect(endpoint?.hostname).to.equal('127.0.0.1');
        expect(endpoint?.port).to.equal(4566);
      }
      expect(AWS_RETRY_POLICY).to.deep.equal({ retryMode: 'adaptive', maxAttempts: 5 });
      for (const client of [sqs, dynamodb, lambda, cloudformation, logs]) {
        expect(await client.config.maxAttempts()).to.equal(5);
        expect(((await client.config.retryStrategy()) as { mode?: string }).mode).to.equal('adaptive');
      }
      expect(await env.sqs()).to.equal(sqs);
    });
  });

  describe('an --endpoint-url that is not an AWS API', () => {
    /** Answers every request with `status`, `type` and `body`, and counts the requests. */
    async function server(status: number, type: string, body: string) {
      const counted = { requests: 0, url: '' };
      const s = http.createServer((request, response) => {
        counted.requests++;
        request.resume();
        request.on('end', () => {
          response.writeHead(status, { 'content-type': type });
          response.end(body);
        });
      });
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      counted.url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
      servers.push(s);
      return counted;
    }
    const servers: http.Server[] = [];
    afterEach(async () => {
      for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
    });

    /** One request of each service the commands call, through the environment's clients. */
    const CALLS = {
      CloudFormation: async (env: AwsEnvironment) =>
        (await env.cloudformation()).send(new DescribeStacksCommand({ StackName: 's' })),
      SQS: async (env: AwsEnvironment, url: string) =>
        (await env.sqs()).send(
          new GetQueueAttributesCommand({ QueueUrl: `${url}/1/q`, AttributeNames: ['All'] }),
        ),
      Lambda: async (env: AwsEnvironment) =>
        (await env.lambda()).send(new InvokeCommand({ FunctionName: 'f' })),
      DynamoDB: async (env: AwsEnvironment) =>
        (await env.dynamodb()).send(new GetCommand({ TableName: 't', Key: { name: 'latest' } })),
      'CloudWatch Logs': async (env: AwsEnvironment) =>
        (await env.logs()).send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/f' })),
    };

    const ANSWERS = [
      {
        what: 'a web page (200)',
        status: 200,
        type: 'text/html; charset=utf-8',
        body: '<html>Welcome</html>',
        received: 'HTTP 200, text/html',
      },
      {
        what: 'a plain 404',
        status: 404,
        type: 'text/plain',
        body: 'Not Found',
        received: 'HTTP 404, text/plain',
      },
      {
        what: 'an error page (502)',
        status: 502,
        type: 'text/html',
        body: '<h1>Bad Gateway</h1>',
        received: 'HTTP 502, text/html',
      },
    ];

    for (const answer of ANSWERS)
      for (const [service, call] of Object.entries(CALLS))
        it(`${service}, answered by ${answer.what}: one line, exit 4, no retry`, async () => {
          const fake = await server(answer.status, answer.type, answer.body);
          isolate({
            AWS_REGION: 'eu-west-1',
            AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
            AWS_SECRET_ACCESS_KEY: 'secret',
          });
          const env = environment({ endpointUrl: fake.url });
          const error = await rejection(call(env, fake.url));
          const user = toUserError(error, { settings: env.settings });
          expect(user, String(error)).to.include({
            code: 'AWS_NOT_AN_AWS_API',
            exitCode: ExitCode.environment,
          });
          expect(user?.message).to.match(
            new RegExp(
              `^${fake.url} does not answer as ${service} \\(is it LocalStack\\?\\): it sent ${answer.received}\\. `,
            ),
          );
          expect(fake.requests).to.equal(1);
        });

    it('CloudFormation answered with JSON it cannot read as its XML: the same line', async () => {
      const fake = await server(200, 'application/json', '{"hello":"world"}');
      isolate({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' });
      const env = environment({ endpointUrl: fake.url });
      const user = toUserError(await rejection(CALLS.CloudFormation(env)), { settings: env.settings });
      expect(user?.message).to.match(
        /does not answer as CloudFormation \(is it LocalStack\?\): it sent HTTP 200, application\/json/,
      );
    });

    it("lets a service's own error through as it is (an AWS API that says no is an AWS API)", async () => {
      const fake = await server(
        400,
        'text/xml',
        '<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id s does not exist</Message></Error><RequestId>r</RequestId></ErrorResponse>',
      );
      isolate({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' });
      const error = await rejection(CALLS.CloudFormation(environment({ endpointUrl: fake.url })));
      expect(error).to.include({ name: 'ValidationError' });
      expect(conditionOf(error)).to.equal('missing-stack');
    });

    it('in front of AWS itself (a proxy, a captive portal): says so instead', () => {
      const error = new NotAwsAnswerError(
        'SQS',
        'https://sqs.eu-west-1.amazonaws.com',
        'HTTP 200, text/html',
      );
      expect(toUserError(error)?.message).to.equal(
        'https://sqs.eu-west-1.amazonaws.com does not answer as SQS (HTTP 200, text/html): something between you and AWS (a proxy, a captive portal) answers instead. Check your network and proxy settings (HTTPS_PROXY), and try again.',
      );
    });
  });

  describe('the SQS client, sized and trimmed for stream', () => {
    let standIn: AwsStandIn | undefined;
    afterEach(async () => {
      await standIn?.close();
      standIn = undefined;
    });

    /** An environment on a stand-in whose answers the test gives. */
    async function onStandIn(options: AwsStandInOptions): Promise<{ env: AwsEnvironment; queueUrl: string }> {
      isolate({ AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' });
      standIn = await startAwsStandIn(options);
      return { env: environment({ endpointUrl: standIn.url }), queueUrl: `${standIn.url}/1/q` };
    }

    const batch = (queueUrl: string) =>
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: '0', MessageBody: 'body' }] });

    it('keeps up to 256 requests in flight over as many keep-alive connections (the SDK default is 50)', async function () {
      this.timeout(20_000);
      const { env, queueUrl } = await onStandIn({ answer: () => ({ kind: 'accept' }), delayMs: 300 });
      const sqs = await env.sqs();
      const wave = () =>
        Promise.all(Array.from({ length: SQS_MAX_IN_FLIGHT }, () => sqs.send(batch(queueUrl))));
      await wave();
      expect(standIn?.maxOpen).to.equal(256);
      await wave();
      // The second wave found the first wave's connections open.
      expect(standIn?.connections).to.equal(256);
    });

    it('does not check the MD5 of each body that SendMessageBatch returns (TLS and SigV4 cover the body)', async () => {
      const wrongDigest = JSON.stringify({
        Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: '00000000000000000000000000000000' }],
        Failed: [],
      });
      const reply = { kind: 'reply', body: wrongDigest, contentType: 'application/x-amz-json-1.0' } as const;
      const { env, queueUrl } = await onStandIn({ answer: () => reply });
      const out = await (await env.sqs()).send(batch(queueUrl));
      expect(out.Successful).to.have.length(1);
      // The SDK's default would have thrown: the stand-in's answer is wrong on purpose.
      const checking = new SQSClient({ ...STAND_IN_CLIENT, endpoint: standIn?.url, maxAttempts: 1 });
      expect((await rejection(checking.send(batch(queueUrl)))).message).to.include('Invalid MD5 checksum');
      checking.destroy();
    });

    it('resolves its middleware once per command, not for every request', async () => {
      const { env } = await onStandIn({ answer: () => ({ kind: 'accept' }) });
      expect((await env.sqs()).config.cacheMiddleware).to.equal(true);
    });

    it('counts every attempt SQS throttled, the ones the SDK retried included', async () => {
      const faults = ['ThrottlingException', 'RequestThrottled', 'ServiceUnavailable'];
      const { env, queueUrl } = await onStandIn({
        answer: () => {
          const code = faults.shift();
          return code
            ? { kind: 'error', code, status: code === 'ServiceUnavailable' ? 503 : 400 }
            : { kind: 'accept' };
        },
      });
      const sqs = await env.sqs();
      // The SDK's own waits between attempts take seconds; these retries take none.
      sqs.config.retryStrategy = async () => quickRetries(5);
      const out = await sqs.send(batch(queueUrl));
      expect(out.$metadata.attempts).to.equal(4);
      expect(env.sqsThrottles()).to.equal(2);
      expect(standIn?.requests).to.have.length(4);
    });
  });
});
