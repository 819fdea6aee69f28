import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
} from '@aws-sdk/client-cloudformation';
import { expect } from 'chai';
import { systemClock } from '../../../src/core/clock.js';
import { ExitCode, InterruptedError } from '../../../src/core/errors.js';
import {
  type DeployPlan,
  StackDeployer,
  StackNeedsRecreateError,
} from '../../../src/targets/aws/cloudformation.js';
import { selectorFlags } from '../../../src/targets/stack-ref.js';
import type { StackProgress } from '../../../src/targets/target.js';
import { FakeCloudFormation, PIPELINE_RESOURCES } from '../../../testkit/aws/fake-cloudformation.js';
import {
  describeStacksXml,
  quickRetries,
  STAND_IN_CLIENT,
  startAwsStandIn,
} from '../../../testkit/aws/stand-in.js';
import { instantClock } from '../../../testkit/clock.js';
import { rejection } from '../../../testkit/rejection.js';

const STACK = 'sensorpipe';
const TEMPLATE = 'AWSTemplateFormatVersion: "2010-09-09"\nResources: {}\n';
/** A stack selected with every AWS flag, as createTarget hands them to the deployer. */
const SELECTOR = selectorFlags('aws', STACK, {
  region: 'eu-west-1',
  profile: 'ops',
  'endpoint-url': 'http://localhost:4566',
});
const SELECTED = SELECTOR.join(' ');
const AWS_CLI_WHERE = '--region eu-west-1 --profile ops --endpoint-url http://localhost:4566';

describe('targets/aws/cloudformation', () => {
  let cfn: FakeCloudFormation;
  let deployer: StackDeployer;
  let sleeps: number[];

  beforeEach(() => {
    cfn = new FakeCloudFormation();
    const clock = instantClock();
    sleeps = clock.sleeps;
    deployer = new StackDeployer({ client: cfn.client, pollIntervalMs: 5, clock });
  });

  afterEach(() => {
    cfn.mock.restore();
  });

  async function deploy(parameters: Record<string, string> = {}, progress: StackProgress[] = []) {
    const plan = await deployer.plan({ stackName: STACK, templateBody: TEMPLATE, parameters });
    if (!plan.changeSetId) return { plan, stack: undefined };
    return { plan, stack: await deployer.execute(plan, (p) => progress.push(p)) };
  }

  describe('a first deploy', () => {
    it('creates the stack through a change set, reports progress to the total, and returns the outputs', async () => {
      const progress: StackProgress[] = [];
      const { plan, stack } = await deploy({ BatchSize: '10' }, progress);
      expect(plan.kind).to.equal('create');
      expect(plan.changes.map((c) => c.action)).to.deep.equal(PIPELINE_RESOURCES.map(() => 'Add'));
      expect(plan.dataLoss).to.deep.equal([]);
      expect(stack).to.deep.include({ stackName: STACK, status: 'CREATE_COMPLETE' });
      expect(stack?.outputs).to.deep.equal(cfn.outputs);
      expect(stack?.parameters).to.deep.equal({ BatchSize: '10' });
      expect(progress.at(-1)).to.deep.include({
        done: PIPELINE_RESOURCES.length,
        total: PIPELINE_RESOURCES.length,
      });
      expect(progress.map((p) => p.done)).to.deep.equal(
        [...progress.map((p) => p.done)].sort((a, b) => a - b),
      );
      const input = cfn.mock.commandCalls(CreateChangeSetCommand)[0]?.args[0].input;
      expect(input).to.deep.include({ ChangeSetType: 'CREATE', TemplateBody: TEMPLATE });
      expect(input?.Capabilities).to.include('CAPABILITY_NAMED_IAM');
    });

    it('on failure names the first failed resource and its reason, not the cascade after it', async () => {
      cfn.failResource('EventsTable', 'Table already exists: sensorpipe-events');
      const error = await rejection(deploy());
      expect(error).to.include({ code: 'AWS_DEPLOY_FAILED', exitCode: ExitCode.failed });
      expect(error.message).to.equal(
        'Deploy of "sensorpipe" failed: EventsTable (AWS::DynamoDB::Table) CREATE_FAILED: Table already exists: sensorpipe-events. The stack rolled back to ROLLBACK_COMPLETE.',
      );
    });

    it('with several failures at different times, names the first, not the last', async () => {
      // GIVEN two resources that fail on their own, the table (earlier in the change set) first
      cfn.failResource('EventsTable', 'the first failure');
      cfn.failResource('StoringFunction', 'a later failure');
      const error = await rejection(deploy());
      // THEN the cause is the first in time, though the later one is the newest event
      expect(error.message).to.include('EventsTable (AWS::DynamoDB::Table) CREATE_FAILED: the first failure');
      expect(error.message).to.not.include('a later failure');
    });

    it('never takes a stack-level failure event for the cause', async () => {
      cfn.failStack('The following hook(s) failed: [Hook]');
      cfn.failResource('AggregatesTable', 'the resource that failed');
      const error = await rejection(deploy());
      expect(error.message).to.include(
        'AggregatesTable (AWS::DynamoDB::Table) CREATE_FAILED: the resource that failed',
      );
      expect(error.message).to.not.include('hook');
    });

    it('ignores the failures of earlier operations in the stack history', async () => {
      const old = cfn.addStack(STACK, 'UPDATE_ROLLBACK_COMPLETE', { parameters: { BatchSize: '10' } });
      old.events.push(cfn.event(old, PIPELINE_RESOURCES[4]!, 'UPDATE_FAILED', 'an old failure', 'old-token'));
      cfn.nextChanges = [{ ...PIPELINE_RESOURCES[2]!, action: 'Modify', replacement: 'False' }];
      cfn.failResource('EventsTable', 'Limit exceeded');
      const error = await rejection(deploy());
      expect(error.message).to.include('EventsTable (AWS::DynamoDB::Table) UPDATE_FAILED: Limit exceeded');
      expect(error.message).to.not.include('an old failure');
      expect(error.message).to.include('rolled back to UPDATE_ROLLBACK_COMPLETE');
    });
  });

  describe('an update', () => {
    beforeEach(async () => {
      await deploy({ BatchSize: '10', WindowMinutes: '5' });
    });

    it('with nothing to change: no change set left behind, nothing executed', async () => {
      const { plan } = await deploy();
      expect(plan).to.deep.include({ kind: 'update', changes: [], changeSetId: undefined });
      expect(cfn.changeSets.size).to.equal(0);
    });

    it('keeps the previous value of every parameter it is not given', async () => {
      cfn.nextChanges = [{ ...PIPELINE_RESOURCES[4]!, action: 'Modify', replacement: 'False' }];
      const { stack } = await deploy({ WindowMinutes: '10' });
      const input = cfn.mock.commandCalls(CreateChangeSetCommand).at(-1)?.args[0].input;
      expect(input?.ChangeSetType).to.equal('UPDATE');
      expect(input?.Parameters).to.deep.include({ ParameterKey: 'BatchSize', UsePreviousValue: true });
      expect(input?.Parameters).to.deep.include({ ParameterKey: 'WindowMinutes', ParameterValue: '10' });
      expect(stack?.parameters).to.deep.equal({ BatchSize: '10', WindowMinutes: '10' });
    });

    it('reports a table or queue that would be replaced or removed as data loss, and a function as not', async () => {
      cfn.nextChanges = [
        { ...PIPELINE_RESOURCES[2]!, action: 'Modify', replacement: 'True' },
        { ...PIPELINE_RESOURCES[1]!, action: 'Remove' },
        { ...PIPELINE_RESOURCES[3]!, action: 'Modify', replacement: 'False' },
        { ...PIPELINE_RESOURCES[4]!, action: 'Modify', replacement: 'True' },
      ];
      const plan = await deployer.plan({ stackName: STACK, templateBody: TEMPLATE, parameters: {} });
      expect(plan.dataLoss.map((c) => c.logicalId)).to.deep.equal(['EventsTable', 'Queue']);
      await deployer.discard(plan);
      expect(cfn.changeSets.size).to.equal(0);
      expect((await deployer.describe(STACK))?.status).to.equal('CREATE_COMPLETE');
    });

    it('reads every page of a large change set', async () => {
      cfn.nextChanges = Array.from({ length: 120 }, (_, i) => ({
        logicalId: `R${i}`,
        type: 'AWS::SNS::Topic',
        action: 'Add' as const,
      }));
      const plan = await deployer.plan({ stackName: STACK, templateBody: TEMPLATE, parameters: {} });
      expect(plan.changes).to.have.length(120);
    });
  });

  describe('stack states that stop a deploy', () => {
    it('ROLLBACK_COMPLETE: explains that the first create failed and why, and that it must be recreated', async () => {
      cfn.failResource('StoringFunction', 'Role is not authorized');
      await rejection(deploy());
      const error = await rejection<StackNeedsRecreateError>(deploy());
      expect(error).to.be.instanceOf(StackNeedsRecreateError);
      expect(error).to.include({ code: 'STACK_ROLLBACK_COMPLETE', exitCode: ExitCode.state });
      expect(error.message).to.equal(
        'Stack "sensorpipe" is in ROLLBACK_COMPLETE: its first create failed (StoringFunction (AWS::Lambda::Function) CREATE_FAILED: Role is not authorized) and a stack in that state cannot be updated. It must be deleted and created again.',
      );
      expect(error.suggestions).to.deep.equal([
        'Run: sensorpipe destroy --target aws --stack-name sensorpipe, then sensorpipe deploy --target aws --stack-name sensorpipe',
      ]);
      // The commands it suggests select the same stack: the flags the deployer was given.
      const selected = new StackDeployer({ client: cfn.client, pollIntervalMs: 0, selector: SELECTOR });
      const again = await rejection<StackNeedsRecreateError>(
        selected.plan({ stackName: STACK, templateBody: TEMPLATE, parameters: {} }),
      );
      expect(again.suggestions).to.deep.equal([
        `Run: sensorpipe destroy ${SELECTED}, then sensorpipe deploy ${SELECTED}`,
      ]);
      // WHEN it is deleted THEN a new create works
      expect(await deployer.deleteStack(STACK)).to.equal(true);
      expect((await deploy()).stack?.status).to.equal('CREATE_COMPLETE');
    });

    it('ROLLBACK_COMPLETE after several failures and a stack-level one: names the first resource failure', async () => {
      cfn.failStack('The following hook(s) failed: [Hook]');
      cfn.failResource('EventsTable', 'the first failure');
      cfn.failResource('AggregationFunction', 'a later failure');
      cfn.pageSize = 2; // the history spans several pages, newest first
      await rejection(deploy());
      const error = await rejection<StackNeedsRecreateError>(deploy());
      expect(error.message).to.include(
        '(EventsTable (AWS::DynamoDB::Table) CREATE_FAILED: the first failure)',
      );
      expect(error.message).to.not.include('later').and.not.include('hook');
      expect(await deployer.deleteStack(STACK)).to.equal(true);
      expect((await deploy()).stack?.status).to.equal('CREATE_COMPLETE');
    });

    for (const status of ['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'DELETE_IN_PROGRESS']) {
      it(`${status}: says the stack is busy and how to follow it, changing nothing`, async () => {
        cfn.addStack(STACK, status);
        const error = await rejection(deploy());
        expect(error).to.include({ code: 'STACK_BUSY', exitCode: ExitCode.state });
        expect(error.message).to.equal(
          `Stack "sensorpipe" is busy (${status}): another operation is running on it. Wait for it to finish (aws cloudformation describe-stacks --stack-name sensorpipe), then try again.`,
        );
        expect(cfn.mock.commandCalls(CreateChangeSetCommand)).to.have.length(0);
        // The AWS CLI line it suggests looks where the stack was selected.
        const selected = new StackDeployer({ client: cfn.client, pollIntervalMs: 0, selector: SELECTOR });
        expect(
          (await rejection(selected.plan({ stackName: STACK, templateBody: TEMPLATE, parameters: {} })))
            .message,
        ).to.include(`(aws cloudformation describe-stacks --stack-name sensorpipe ${AWS_CLI_WHERE})`);
        expect((await rejection(selected.deleteStack(STACK))).message).to.include(
          `(aws cloudformation describe-stacks --stack-name sensorpipe ${AWS_CLI_WHERE})`,
        );
      });
    }

    it('busy between the check and the change set: the same busy error', async () => {
      const stack = cfn.addStack(STACK, 'UPDATE_COMPLETE');
      cfn.mock.on(CreateChangeSetCommand).rejects(
        Object.assign(new Error(`Stack:${stack.id} is in UPDATE_IN_PROGRESS state and can not be updated.`), {
          name: 'ValidationError',
        }),
      );
      const error = await rejection(deploy());
      expect(error).to.include({ code: 'STACK_BUSY' });
    });

    it('busy between the plan and its execution (another deploy runs now): the same busy error', async () => {
      const stack = cfn.addStack(STACK, 'UPDATE_COMPLETE');
      cfn.nextChanges = [{ ...PIPELINE_RESOURCES[4]!, action: 'Modify', replacement: 'False' }];
      const plan = await deployer.plan({ stackName: STACK, templateBody: TEMPLATE, parameters: {} });
      stack.status = 'UPDATE_IN_PROGRESS';
      const error = await rejection(deployer.execute(plan));
      expect(error).to.include({ code: 'STACK_BUSY', exitCode: ExitCode.state });
      expect(error.message).to.match(/is busy \(UPDATE_IN_PROGRESS\)/);
    });

    it('two deploys planned at once, the other executed first: this one says nothing of it was applied, exit 3', async () => {
      cfn.addStack(STACK, 'UPDATE_COMPLETE');
      cfn.updateChanges = [{ ...PIPELINE_RESOURCES[4]!, action: 'Modify', replacement: 'False' }];
      const mine = await deployer.plan({ stackName: STACK, templateBody: TEMPLATE, parameters: { A: '1' } });
      const theirs = await deployer.plan({
        stackName: STACK,
        templateBody: TEMPLATE,
        parameters: { A: '2' },
      });
      await deployer.execute(theirs);
      const error = await rejection(deployer.execute(mine));
      expect(error).to.include({ code: 'STACK_BUSY', exitCode: ExitCode.state });
      expect(error.message).to.include('was changed by another deploy while this one was being planned');
      await deployer.discard(mine); // gone already: nothing to discard, and no error
      expect((await deployer.describe(STACK))?.parameters).to.deep.equal({ A: '2' });
    });

    it('REVIEW_IN_PROGRESS (a change set never executed): creates over it', async () => {
      cfn.addStack(STACK, 'REVIEW_IN_PROGRESS', { resources: [] });
      const { plan, stack } = await deploy();
      expect(plan.kind).to.equal('create');
      expect(stack?.status).to.equal('CREATE_COMPLETE');
    });
  });

  describe('throttling: the SDK retries it, the deployer does not', () => {
    it('a throttled DescribeStacks is retried by the SDK, and the deployer sees the stack', async () => {
      cfn.mock.restore(); // the fake mocks every CloudFormationClient; this one talks HTTP
      let throttled = 0;
      const proxy = await startAwsStandIn({
        answer: () =>
          throttled++ < 2
            ? { kind: 'error', code: 'Throttling', message: 'Rate exceeded' }
            : { kind: 'reply', body: describeStacksXml({ name: STACK, status: 'UPDATE_COMPLETE' }) },
      });
      const client = new CloudFormationClient({
        ...STAND_IN_CLIENT,
        endpoint: proxy.url,
        retryStrategy: quickRetries(),
      });
      try {
        const stack = await new StackDeployer({ client }).describe(STACK);
        expect(stack).to.deep.include({ stackName: STACK, status: 'UPDATE_COMPLETE' });
        expect(proxy.requests.map((r) => r.operation)).to.deep.equal([
          'DescribeStacks',
          'DescribeStacks',
          'DescribeStacks',
        ]);
      } finally {
        client.destroy();
        await proxy.close();
      }
    });

    it('throttling that outlasts the SDK ends the deploy: no retries stacked on top', async () => {
      const plan: DeployPlan = await deployer.plan({
        stackName: STACK,
        templateBody: TEMPLATE,
        parameters: {},
      });
      const reads = cfn.mock.commandCalls(DescribeChangeSetCommand).length;
      cfn.throttle(1);
      const error = await rejection(deployer.execute(plan));
      expect(error.name).to.equal('Throttling');
      expect(cfn.mock.commandCalls(DescribeChangeSetCommand)).to.have.length(reads + 1);
      expect(sleeps.filter((ms) => ms >= 1000)).to.deep.equal([]);
    });
  });

  describe('Ctrl-C', () => {
    it('stops following a deploy at once, and says that CloudFormation carries on', async () => {
      const patient = new StackDeployer({ client: cfn.client, pollIntervalMs: 60_000, clock: systemClock });
      const plan = await deployer.plan({ stackName: STACK, templateBody: TEMPLATE, parameters: {} });
      const controller = new AbortController();
      const following = rejection(patient.execute(plan, undefined, controller.signal));
      setTimeout(() => controller.abort(), 20);
      const started = Date.now();
      const error = await following;
      expect(Date.now() - started).to.be.below(5_000);
      expect(error).to.be.instanceOf(InterruptedError);
      expect(error.message).to.equal(
        'Interrupted: CloudFormation carries on with the deploy of stack "sensorpipe". Follow it with: aws cloudformation describe-stack-events --stack-name sensorpipe (or run sensorpipe status --target aws --stack-name sensorpipe).',
      );
    });

    it('says how to follow a delete it stopped following, on the stack the flags selected', async () => {
      cfn.addStack(STACK, 'UPDATE_COMPLETE');
      const patient = new StackDeployer({
        client: cfn.client,
        pollIntervalMs: 60_000,
        clock: systemClock,
        selector: SELECTOR,
      });
      const controller = new AbortController();
      const deleting = rejection(patient.deleteStack(STACK, undefined, controller.signal));
      setTimeout(() => controller.abort(), 20);
      expect((await deleting).message).to.equal(
        `Interrupted: CloudFormation carries on with the delete of stack "sensorpipe". Follow it with: aws cloudformation describe-stack-events --stack-name sensorpipe ${AWS_CLI_WHERE} (or run sensorpipe status ${SELECTED}).`,
      );
    });

    it('stops waiting for a change set at once: nothing was deployed', async () => {
      cfn.changeSetReads = 1_000;
      const patient = new StackDeployer({ client: cfn.client, pollIntervalMs: 60_000, clock: systemClock });
      const controller = new AbortController();
      const planning = rejection(
        patient.plan({ stackName: STACK, templateBody: TEMPLATE, parameters: {} }, controller.signal),
      );
      setTimeout(() => controller.abort(), 20);
      const error = await planning;
      expect(error).to.be.instanceOf(InterruptedError);
      expect(error.message).to.equal(
        'Interrupted while CloudFormation planned the deploy of stack "sensorpipe": nothing was deployed.',
      );
    });

    it('stops following a delete at once', async () => {
      await deploy();
      const patient = new StackDeployer({ client: cfn.client, pollIntervalMs: 60_000, clock: systemClock });
      const controller = new AbortController();
      const deleting = rejection(patient.deleteStack(STACK, undefined, controller.signal));
      setTimeout(() => controller.abort(), 20);
      expect((await deleting).message).to.match(
        /^Interrupted: CloudFormation carries on with the delete of stack/,
      );
    });
  });

  describe('deleteStack', () => {
    it('deletes the stack and waits until it is gone, with progress', async () => {
      await deploy();
      const progress: StackProgress[] = [];
      expect(await deployer.deleteStack(STACK, (p) => progress.push(p))).to.equal(true);
      expect(await deployer.describe(STACK)).to.equal(undefined);
      expect(progress.at(-1)).to.deep.include({
        done: PIPELINE_RESOURCES.length,
        total: PIPELINE_RESOURCES.length,
      });
      expect(cfn.mock.commandCalls(DeleteStackCommand)[0]?.args[0].input.ClientRequestToken).to.match(
        /^sensorpipe-/,
      );
    });

    it('says false for a stack that does not exist', async () => {
      expect(await deployer.deleteStack(STACK)).to.equal(false);
    });

    it('on DELETE_FAILED names what is left and why', async () => {
      await deploy();
      cfn.failDelete('EventsTable', 'Table is being used by another resource');
      const error = await rejection(deployer.deleteStack(STACK));
      expect(error).to.include({ code: 'AWS_DELETE_FAILED', exitCode: ExitCode.failed });
      expect(error.message).to.equal(
        'Could not delete stack "sensorpipe" (DELETE_FAILED): EventsTable (AWS::DynamoDB::Table): Table is being used by another resource. Remove what is left by hand (it is listed in the CloudFormation console), then run destroy again.',
      );
    });

    it('refuses a stack that is busy', async () => {
      cfn.addStack(STACK, 'UPDATE_IN_PROGRESS');
      expect(await rejection(deployer.deleteStack(STACK))).to.include({ code: 'STACK_BUSY' });
    });
  });
});
