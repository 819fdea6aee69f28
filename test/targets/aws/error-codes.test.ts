import { expect } from 'chai';
import { ExitCode } from '../../../src/core/errors.js';
import { AwsTarget } from '../../../src/targets/aws/aws-target.js';
import { StackDeployer } from '../../../src/targets/aws/cloudformation.js';
import { AwsEnvironment } from '../../../src/targets/aws/environment.js';
import {
  type AwsStandIn,
  describeStacksXml,
  type StandInAnswer,
  startAwsStandIn,
} from '../../../testkit/aws/stand-in.js';
import { makeEvent, outgoing } from '../../../testkit/local.js';
import { rejection } from '../../../testkit/rejection.js';

const STACK = 'sensorpipe';

/** How each service says a condition, as its protocol carries it (the stand-in writes it so). */
interface Dialects {
  cloudformation?: StandInAnswer;
  sqs: StandInAnswer;
  lambda: StandInAnswer;
  dynamodb: StandInAnswer;
}

const error = (code: string, status: number, queryCode?: string): StandInAnswer => ({
  kind: 'error',
  code,
  status,
  queryCode,
  message: `${code}: the stand-in says so`,
});

const CONDITIONS: { condition: string; code: string; exitCode: number; dialects: Dialects }[] = [
  {
    condition: 'an expired token',
    code: 'AWS_EXPIRED_TOKEN',
    exitCode: ExitCode.environment,
    dialects: {
      cloudformation: error('ExpiredToken', 403),
      sqs: error('ExpiredTokenException', 400, 'ExpiredToken'),
      lambda: error('ExpiredTokenException', 403),
      dynamodb: error('ExpiredTokenException', 400),
    },
  },
  {
    condition: 'access denied',
    code: 'AWS_ACCESS_DENIED',
    exitCode: ExitCode.environment,
    dialects: {
      cloudformation: error('AccessDenied', 403),
      sqs: error('AccessDeniedException', 400, 'AccessDenied'),
      lambda: error('AccessDeniedException', 403),
      dynamodb: error('AccessDeniedException', 400),
    },
  },
  {
    condition: 'credentials AWS does not know',
    code: 'AWS_INVALID_CREDENTIALS',
    exitCode: ExitCode.environment,
    dialects: {
      cloudformation: error('InvalidClientTokenId', 403),
      sqs: error('InvalidClientTokenId', 403),
      lambda: error('UnrecognizedClientException', 403),
      dynamodb: error('UnrecognizedClientException', 400),
    },
  },
  {
    condition: 'a resource of the stack deleted by hand',
    code: 'AWS_RESOURCE_MISSING',
    exitCode: ExitCode.state,
    dialects: {
      sqs: error('QueueDoesNotExist', 400, 'AWS.SimpleQueueService.NonExistentQueue'),
      lambda: error('ResourceNotFoundException', 404),
      dynamodb: error('ResourceNotFoundException', 400),
    },
  },
];

const CREDENTIALS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
] as const;

describe('one AWS condition, one code, on every path (real SDK clients against a stand-in)', () => {
  let saved: Record<string, string | undefined>;
  let standIn: AwsStandIn | undefined;
  let target: AwsTarget | undefined;

  beforeEach(() => {
    saved = Object.fromEntries(CREDENTIALS.map((key) => [key, process.env[key]]));
    for (const key of CREDENTIALS) delete process.env[key];
    process.env.AWS_ACCESS_KEY_ID = 'AKIDSTANDIN';
    process.env.AWS_SECRET_ACCESS_KEY = 'stand-in-secret';
  });
  afterEach(async () => {
    await target?.close();
    await standIn?.close();
    target = undefined;
    standIn = undefined;
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  /**
   * An AwsTarget whose every client talks to the stand-in: CloudFormation describes a deployed stack
   * (unless `cloudformation` refuses it), and the other services answer as `dialects` says.
   */
  async function targetAnswering(dialects: Partial<Dialects>): Promise<AwsTarget> {
    standIn = await startAwsStandIn({
      answer: (request) => {
        const refusal = dialects[request.service as keyof Dialects];
        if (refusal) return refusal;
        if (request.operation === 'DescribeStacks') {
          return {
            kind: 'reply',
            body: describeStacksXml({
              name: STACK,
              status: 'CREATE_COMPLETE',
              outputs: {
                QueueUrl: `${standIn?.url}/123456789012/events`,
                AggregationFunctionName: `${STACK}-aggregation`,
                AggregatesTableName: `${STACK}-aggregates`,
              },
            }),
          };
        }
        return error('UnexpectedRequest', 400);
      },
    });
    const environment = new AwsEnvironment({ region: 'us-east-1', endpointUrl: standIn.url });
    target = await AwsTarget.open({
      stackName: STACK,
      environment,
      deployer: new StackDeployer({ client: await environment.cloudformation() }),
      template: () => 'Resources: {}\n',
    });
    return target;
  }

  const paths: Record<keyof Dialects, (target: AwsTarget) => Promise<unknown>> = {
    cloudformation: (aws) => aws.deploy({}),
    sqs: async (aws) => (await aws.openStream()).sender.send([outgoing(makeEvent(Date.now(), 'Erie'))]),
    lambda: (aws) => aws.aggregate(),
    dynamodb: (aws) => aws.latestSnapshot(),
  };
  const pathNames: Record<keyof Dialects, string> = {
    cloudformation: 'deploy (StackDeployer)',
    sqs: 'stream (SqsEventSender)',
    lambda: 'aggregate (Lambda invoker)',
    dynamodb: 'show (DynamoDB)',
  };

  for (const { condition, code, exitCode, dialects } of CONDITIONS) {
    for (const service of Object.keys(dialects) as (keyof Dialects)[]) {
      it(`${condition}: ${code} from ${pathNames[service]}`, async () => {
        const aws = await targetAnswering({ [service]: dialects[service] });
        const failure = await rejection(paths[service](aws));
        expect(failure, failure.stack).to.include({ code, exitCode });
        expect(failure.message).to.not.include('\n');
        expect(standIn?.requests.some((r) => r.service === service)).to.equal(true);
      });
    }
  }
});
