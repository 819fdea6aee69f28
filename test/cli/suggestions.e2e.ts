/**
 * Every command a message suggests repeats the flags that selected the stack, so that it works on the
 * same stack: --stack-name and --data-dir locally, --stack-name, --region, --profile and
 * --endpoint-url on AWS (the AWS CLI lines too). One case per command, through the built CLI.
 */
import { expect } from 'chai';
import {
  type FakeAwsEndpoint,
  type FakeAwsMode,
  startFakeAwsEndpoint,
} from '../../testkit/aws/fake-aws-endpoint.js';
import { type RunResult, STACK_LINE } from '../../testkit/cli.js';
import { freshSandboxEachTest, type Sandbox } from '../../testkit/sandbox.js';

const STACK = 'other-stack';

/** Commands that need a deployed stack, and the arguments they run with. */
const NEED_A_STACK: [string, string[]][] = [
  ['stream', ['--once', '--file', '<file>']],
  ['aggregate', []],
  ['show', []],
  ['dead-letters', []],
  ['redrive', []],
  ['logs', []],
];

describe('suggested commands repeat the flags that selected the stack', function () {
  this.timeout(60_000);
  let box: Sandbox;
  let file: string;
  freshSandboxEachTest((b) => {
    box = b;
    file = box.fixture();
  });

  const expectSuggestion = (
    result: RunResult,
    exit: number,
    suggestion: string,
    where: 'stdout' | 'stderr',
  ) => {
    expect(result.code, result.stderr).to.equal(exit);
    expect(result[where]).to.include(suggestion);
    expect(result.stderr).to.not.match(STACK_LINE);
  };

  describe('local: --stack-name and --data-dir', () => {
    const deploy = () => `sensorpipe deploy --target local --stack-name ${STACK} --data-dir ${box.dataDir}`;
    for (const [command, args] of NEED_A_STACK)
      it(`${command}: how to deploy the stack that is not there`, async () => {
        const result = await box.cli(
          command,
          args.map((a) => (a === '<file>' ? file : a)),
          { stack: STACK },
        );
        expectSuggestion(result, 3, `Run: ${deploy()}`, 'stderr');
      });

    it('status: how to deploy it, on stdout (a stack that is not there is a status, exit 0)', async () => {
      expectSuggestion(
        await box.cli('status', [], { stack: STACK }),
        0,
        `Deploy it with: ${deploy()}`,
        'stdout',
      );
    });

    it('show: how to run the first aggregation of that stack', async () => {
      await box.cli('deploy', [], { stack: STACK });
      const result = await box.cli('show', [], { stack: STACK });
      expectSuggestion(
        result,
        0,
        `Run: sensorpipe aggregate --target local --stack-name ${STACK} --data-dir ${box.dataDir}`,
        'stdout',
      );
    });
  });

  describe('AWS: --stack-name, --region, --profile and --endpoint-url', () => {
    let endpoint: FakeAwsEndpoint | undefined;

    afterEach(async () => {
      await endpoint?.close();
      endpoint = undefined;
    });

    /** The command on the fake endpoint in `mode`, as profile "ops" (its credentials in files of the sandbox). */
    async function onAws(mode: FakeAwsMode, command: string, args: string[] = []) {
      endpoint = await startFakeAwsEndpoint(mode);
      const credentials = box.write(
        'credentials',
        '[ops]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = not-a-real-secret\n',
      );
      const config = box.write('config', '[profile ops]\nregion = us-east-1\n');
      const flags = [
        '--stack-name',
        STACK,
        '--region',
        'eu-west-2',
        '--profile',
        'ops',
        '--endpoint-url',
        endpoint.url,
      ];
      return {
        flags: `--target aws ${flags.join(' ')}`,
        awsCli: `--region eu-west-2 --profile ops --endpoint-url ${endpoint.url}`,
        running: box.startCli(command, [...flags, ...args], {
          target: 'aws',
          env: { AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_CONFIG_FILE: config },
        }),
      };
    }

    const NOT_DEPLOYED: [string, string[]][] = [...NEED_A_STACK, ['verify', ['--file', '<file>']]];
    for (const [command, args] of NOT_DEPLOYED)
      it(`${command}: how to deploy the stack that is not there`, async () => {
        const { flags, running } = await onAws(
          'no-stack',
          command,
          args.map((a) => (a === '<file>' ? file : a)),
        );
        expectSuggestion(await running.done, 3, `Run: sensorpipe deploy ${flags}`, 'stderr');
      });

    it('status: how to deploy it, on stdout', async () => {
      const { flags, running } = await onAws('no-stack', 'status');
      expectSuggestion(await running.done, 0, `Deploy it with: sensorpipe deploy ${flags}`, 'stdout');
    });

    it('deploy on a busy stack: the AWS CLI line that follows it, in the same region, as the same profile', async () => {
      const { awsCli, running } = await onAws('busy', 'deploy');
      const result = await running.done;
      expectSuggestion(
        result,
        3,
        `(aws cloudformation describe-stacks --stack-name ${STACK} ${awsCli})`,
        'stderr',
      );
    });

    it('destroy on a busy stack: the same', async () => {
      const { awsCli, running } = await onAws('busy', 'destroy', ['--yes']);
      expectSuggestion(
        await running.done,
        3,
        `(aws cloudformation describe-stacks --stack-name ${STACK} ${awsCli})`,
        'stderr',
      );
    });

    it('Ctrl-C during a deploy: how to follow what CloudFormation carries on with, both ways', async () => {
      const { flags, awsCli, running } = await onAws('creating', 'deploy');
      await running.waitFor(/Deploying other-stack/, 'stderr');
      running.child.kill('SIGINT');
      expectSuggestion(
        await running.done,
        130,
        `Follow it with: aws cloudformation describe-stack-events --stack-name ${STACK} ${awsCli} (or run sensorpipe status ${flags}).`,
        'stderr',
      );
    });
  });
});
