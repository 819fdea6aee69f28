import {
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { expect } from 'chai';
import { FakeCloudFormation, PIPELINE_RESOURCES } from '../../../testkit/aws/fake-cloudformation.js';
import { rejection } from '../../../testkit/rejection.js';

/** The fake is a product too: these pin that it behaves as CloudFormation does where tests lean on it. */
describe('test kit: the CloudFormation fake', () => {
  let cfn: FakeCloudFormation;

  beforeEach(() => {
    cfn = new FakeCloudFormation();
  });

  afterEach(() => cfn.mock.restore());

  async function create(parameters: Record<string, string> = {}): Promise<string> {
    const { Id } = await cfn.client.send(
      new CreateChangeSetCommand({
        StackName: 's',
        ChangeSetName: 'c',
        ChangeSetType: 'CREATE',
        Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({
          ParameterKey,
          ParameterValue,
        })),
      }),
    );
    await cfn.client.send(new DescribeChangeSetCommand({ ChangeSetName: Id }));
    await cfn.client.send(new ExecuteChangeSetCommand({ ChangeSetName: Id, ClientRequestToken: 't' }));
    return Id ?? '';
  }

  /** Describes the stack until it settles, as a poller would; the fake moves one step per look. */
  async function settle(): Promise<string> {
    for (let i = 0; i < 50; i++) {
      const status = (await cfn.client.send(new DescribeStacksCommand({ StackName: 's' }))).Stacks?.[0]
        ?.StackStatus;
      if (status && !status.endsWith('_IN_PROGRESS')) return status;
    }
    throw new Error('never settled');
  }

  /** Every event of the stack, oldest first, read page by page as the API gives them (newest first). */
  async function history(): Promise<StackEvent[]> {
    const events: StackEvent[] = [];
    let token: string | undefined;
    do {
      const page = await cfn.client.send(
        new DescribeStackEventsCommand({ StackName: 's', NextToken: token }),
      );
      events.push(...(page.StackEvents ?? []));
      token = page.NextToken;
    } while (token);
    return events.reverse();
  }

  it('creates every pipeline resource, sets the parameters and outputs, and pages events newest first', async () => {
    await create({ BatchSize: '10' });
    expect(await settle()).to.equal('CREATE_COMPLETE');
    const stack = (await cfn.client.send(new DescribeStacksCommand({ StackName: 's' }))).Stacks?.[0];
    expect(stack?.Parameters).to.deep.equal([{ ParameterKey: 'BatchSize', ParameterValue: '10' }]);
    expect(stack?.Outputs?.map((o) => o.OutputKey)).to.deep.equal(Object.keys(cfn.outputs));
    const events = await history();
    expect(events.at(0)).to.include({
      ResourceStatus: 'CREATE_IN_PROGRESS',
      ResourceStatusReason: 'User Initiated',
    });
    expect(events.at(-1)).to.include({
      ResourceStatus: 'CREATE_COMPLETE',
      ResourceType: 'AWS::CloudFormation::Stack',
    });
    const completed = events.filter(
      (e) => e.ResourceStatus === 'CREATE_COMPLETE' && e.ResourceType !== 'AWS::CloudFormation::Stack',
    );
    expect(completed.map((e) => e.LogicalResourceId)).to.deep.equal(
      PIPELINE_RESOURCES.map((r) => r.logicalId),
    );
  });

  it('plays several failures in change-set order, cancels the rest, and rolls back', async () => {
    cfn.failResource('DeadLetterQueue', 'first');
    cfn.failResource('StoringFunction', 'second');
    await create();
    expect(await settle()).to.equal('ROLLBACK_COMPLETE');
    const failed = (await history()).filter((e) => e.ResourceStatus === 'CREATE_FAILED');
    expect(failed.map((e) => [e.LogicalResourceId, e.ResourceStatusReason])).to.deep.equal([
      ['DeadLetterQueue', 'first'],
      ['StoringFunction', 'second'],
      ...PIPELINE_RESOURCES.filter((r) => !['DeadLetterQueue', 'StoringFunction'].includes(r.logicalId)).map(
        (r) => [r.logicalId, 'Resource creation cancelled'],
      ),
    ]);
    const reason = (await cfn.client.send(new DescribeStacksCommand({ StackName: 's' }))).Stacks?.[0]
      ?.StackStatusReason;
    expect(reason).to.equal(
      'The following resource(s) failed to create: [DeadLetterQueue, StoringFunction]. ',
    );
  });

  it('writes a stack-level failure event before any resource event when asked', async () => {
    cfn.failStack('hook failed');
    cfn.failResource('Queue', 'boom');
    await create();
    await settle();
    const events = await history();
    const firstFailure = events.find((e) => e.ResourceStatus?.endsWith('_FAILED'));
    expect(firstFailure).to.include({
      ResourceType: 'AWS::CloudFormation::Stack',
      ResourceStatusReason: 'hook failed',
    });
  });

  it('refuses a change set on a busy stack, as CloudFormation does', async () => {
    cfn.addStack('s', 'UPDATE_IN_PROGRESS');
    const error = await rejection(
      cfn.client.send(
        new CreateChangeSetCommand({ StackName: 's', ChangeSetName: 'c', ChangeSetType: 'UPDATE' }),
      ),
    );
    expect(error.message).to.match(/is in UPDATE_IN_PROGRESS state and can not be updated/);
  });

  it("deletes the stack's other change sets when one is executed, and refuses to execute on a busy stack", async () => {
    await create();
    await settle();
    const plan = async () => {
      const { Id } = await cfn.client.send(
        new CreateChangeSetCommand({ StackName: 's', ChangeSetName: 'u', ChangeSetType: 'UPDATE' }),
      );
      return Id ?? '';
    };
    cfn.nextChanges = [{ ...PIPELINE_RESOURCES[4]!, action: 'Modify' }];
    const first = await plan();
    cfn.nextChanges = [{ ...PIPELINE_RESOURCES[5]!, action: 'Modify' }];
    const second = await plan();
    for (const id of [first, second])
      await cfn.client.send(new DescribeChangeSetCommand({ ChangeSetName: id }));
    await cfn.client.send(new ExecuteChangeSetCommand({ ChangeSetName: first }));
    const overtaken = await rejection(
      cfn.client.send(new ExecuteChangeSetCommand({ ChangeSetName: second })),
    );
    expect(overtaken.name).to.equal('ChangeSetNotFoundException');
    expect(
      (await rejection(cfn.client.send(new DeleteChangeSetCommand({ ChangeSetName: second })))).name,
    ).to.equal('ChangeSetNotFoundException');
    // A change set made before the other one ran, executed while it runs.
    cfn.nextChanges = [{ ...PIPELINE_RESOURCES[5]!, action: 'Modify' }];
    await settle();
    const third = await plan();
    await cfn.client.send(new DescribeChangeSetCommand({ ChangeSetName: third }));
    cfn.stacks.forEach((stack) => {
      stack.status = 'UPDATE_IN_PROGRESS';
    });
    const busy = await rejection(cfn.client.send(new ExecuteChangeSetCommand({ ChangeSetName: third })));
    expect(busy.message).to.match(/is in UPDATE_IN_PROGRESS state and can not be updated/);
  });

  it('fails UsePreviousValue for a parameter the stack does not have', async () => {
    cfn.addStack('s', 'UPDATE_COMPLETE', { parameters: { BatchSize: '10' } });
    const error = await rejection(
      cfn.client.send(
        new CreateChangeSetCommand({
          StackName: 's',
          ChangeSetName: 'c',
          ChangeSetType: 'UPDATE',
          Parameters: [{ ParameterKey: 'WindowMinutes', UsePreviousValue: true }],
        }),
      ),
    );
    expect(error.message).to.include('No previous value for WindowMinutes');
  });

  it('throttles the next describes when asked', async () => {
    cfn.addStack('s', 'CREATE_COMPLETE');
    cfn.throttle(1);
    const error = await rejection(cfn.client.send(new DescribeStacksCommand({ StackName: 's' })));
    expect(error.name).to.equal('Throttling');
    expect((await cfn.client.send(new DescribeStacksCommand({ StackName: 's' }))).Stacks).to.have.length(1);
  });
});
