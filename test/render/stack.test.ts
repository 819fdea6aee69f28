import { expect } from 'chai';
import { DEFAULT_PARAMETERS } from '../../src/core/parameters.js';
import { renderDeploy, renderStatus } from '../../src/render/stack.js';
import type { DeployResult, StackStatus } from '../../src/targets/target.js';
import { tableRows } from '../../testkit/table.js';

const deployBase: Omit<DeployResult, 'action' | 'changes'> = {
  stackName: 'demo',
  target: 'local',
  location: '/data/demo.sqlite',
  parameters: { ...DEFAULT_PARAMETERS },
  details: { kind: 'local', migratedFrom: null },
};

const ref = { selector: ['--target', 'local', '--stack-name', 'demo'] };

const statusBase: StackStatus = {
  stackName: 'demo',
  target: 'local',
  deployed: true,
  location: '/data/demo.sqlite',
  createdAt: '2025-01-01T12:00:00.000Z',
  updatedAt: '2025-01-01T12:30:00.000Z',
  parameters: { ...DEFAULT_PARAMETERS },
  queue: { visible: 3, inFlight: 2, deadLetters: 0, oldestDeadLetterAgeSeconds: null, approximate: false },
  eventsStored: 12_345,
  lastAggregation: null,
  nextScheduledRun: '2025-01-01T12:31:00.000Z',
  failedAggregations: 0,
  details: { kind: 'local' },
};

describe('render/stack', () => {
  describe('renderDeploy', () => {
    it('on AWS lists what the change set did to each resource, replacements marked, and the outputs', () => {
      const text = renderDeploy({
        ...deployBase,
        target: 'aws',
        location: 'AWS eu-west-1',
        action: 'updated',
        changes: [{ parameter: 'WindowMinutes', from: 5, to: 10 }],
        details: {
          kind: 'aws',
          resourceChanges: [
            {
              action: 'Modify',
              logicalId: 'AggregationFunction',
              resourceType: 'AWS::Lambda::Function',
              replacement: 'False',
            },
            {
              action: 'Modify',
              logicalId: 'EventsTable',
              resourceType: 'AWS::DynamoDB::Table',
              replacement: 'True',
            },
          ],
          outputs: { QueueUrl: 'https://sqs/q', AggregatesTableName: 'demo-aggregates' },
        },
      });
      expect(text.split('\n')[0]).to.equal('Updated stack "demo" (aws) at AWS eu-west-1.');
      const rows = tableRows(text);
      expect(rows).to.deep.include(['WindowMinutes', '5', '10']);
      expect(rows).to.deep.include(['AggregationFunction', 'AWS::Lambda::Function', 'Modify']);
      expect(rows).to.deep.include(['EventsTable', 'AWS::DynamoDB::Table', 'Modify (replace: True)']);
      expect(rows).to.deep.include(['QueueUrl', 'https://sqs/q']);
    });

    it('says Created and lists every parameter with no previous value', () => {
      const changes = Object.entries(DEFAULT_PARAMETERS).map(([parameter, to]) => ({
        parameter: parameter as keyof typeof DEFAULT_PARAMETERS,
        from: null,
        to,
      }));
      const text = renderDeploy({ ...deployBase, action: 'created', changes });
      expect(text.split('\n')[0]).to.equal('Created stack "demo" (local) at /data/demo.sqlite.');
      const rows = tableRows(text);
      expect(rows[0]).to.deep.equal(['Parameter', 'Was', 'Now']);
      expect(rows.slice(1)).to.deep.include(['BatchSize', '-', '100']);
      expect(rows.slice(1)).to.deep.include(['ScheduleEnabled', '-', 'true']);
      expect(rows).to.have.length(1 + Object.keys(DEFAULT_PARAMETERS).length);
    });

    it('says Updated and lists only the changed parameters, old and new', () => {
      const text = renderDeploy({
        ...deployBase,
        action: 'updated',
        changes: [
          { parameter: 'BatchSize', from: 100, to: 10 },
          { parameter: 'MaximumBatchingWindowInSeconds', from: 1, to: 0 },
        ],
      });
      expect(text.split('\n')[0]).to.equal('Updated stack "demo" (local) at /data/demo.sqlite.');
      expect(tableRows(text).slice(1)).to.deep.equal([
        ['BatchSize', '100', '10'],
        ['MaximumBatchingWindowInSeconds', '1', '0'],
      ]);
    });

    it('says No changes, on one line, when nothing changed', () => {
      const text = renderDeploy({ ...deployBase, action: 'unchanged', changes: [] });
      expect(text).to.equal('No changes: stack "demo" (local) is up to date at /data/demo.sqlite.');
    });
  });

  describe('renderStatus', () => {
    it('says how to deploy a stack that is not deployed', () => {
      const text = renderStatus(
        {
          ...statusBase,
          deployed: false,
          parameters: null,
          queue: null,
          eventsStored: null,
          createdAt: null,
          updatedAt: null,
          nextScheduledRun: null,
          details: null,
        },
        ref,
      );
      expect(text).to.include('Stack "demo" is not deployed on the local target (/data/demo.sqlite).');
      expect(text).to.include('sensorpipe deploy --target local --stack-name demo');
    });

    it('shows queue depths, events stored, last aggregation, schedule and parameters', () => {
      const rows = tableRows(renderStatus(statusBase, ref));
      const value = (key: string) => rows.find((r) => r[0] === key)?.[1];
      expect(value('Stack')).to.equal('demo (local)');
      expect(value('Queue: visible')).to.equal('3');
      expect(value('Queue: in flight')).to.equal('2');
      expect(value('Dead letters')).to.equal('0');
      expect(value('Events stored')).to.equal('12,345');
      expect(value('Last aggregation')).to.equal('never');
      expect(value('Schedule')).to.include('rate(1 minute), next run 2025-01-01T12:31:00.000Z');
      expect(value('Failed aggregations')).to.equal('0 scheduled runs in the last 14 days');
      expect(value('WindowMinutes')).to.equal('5');
      expect(value('BatchSize')).to.equal('100');
    });

    it('shows the age of the oldest dead letter, the last aggregation and a schedule that is off', () => {
      const rows = tableRows(
        renderStatus(
          {
            ...statusBase,
            queue: {
              visible: 0,
              inFlight: 0,
              deadLetters: 2,
              oldestDeadLetterAgeSeconds: 42,
              approximate: false,
            },
            lastAggregation: '2025-01-01T12:29:00.000Z',
            parameters: { ...DEFAULT_PARAMETERS, ScheduleEnabled: false },
          },
          ref,
        ),
      );
      const value = (key: string) => rows.find((r) => r[0] === key)?.[1];
      expect(value('Dead letters')).to.equal('2 (oldest sent 42s ago)');
      expect(value('Last aggregation')).to.equal('2025-01-01T12:29:00.000Z');
      expect(value('Schedule')).to.equal('off');
    });

    it('shows the failed scheduled aggregations: approximate on AWS, where the failure queue keeps them', () => {
      const aws: StackStatus = {
        ...statusBase,
        target: 'aws',
        failedAggregations: 3,
        details: {
          kind: 'aws',
          stackStatus: 'UPDATE_COMPLETE',
          outputs: {},
          region: 'eu-west-1',
          console: {},
        },
      };
      const value = (status: StackStatus, key: string) =>
        tableRows(renderStatus(status, ref)).find((r) => r[0] === key)?.[1];
      expect(value(aws, 'Failed aggregations')).to.equal(
        '3 (approx.) scheduled runs in the last 14 days, kept in AggregationFailureQueueUrl',
      );
      expect(value({ ...aws, failedAggregations: null }, 'Failed aggregations')).to.equal('-');
      expect(value({ ...statusBase, failedAggregations: 2 }, 'Failed aggregations')).to.equal(
        '2 scheduled runs in the last 14 days',
      );
    });

    it('on AWS: the region, the outputs, and the console links one per line, never cut', () => {
      const link = `https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1#/functions/${'x'.repeat(120)}`;
      const text = renderStatus(
        {
          ...statusBase,
          target: 'aws',
          details: {
            kind: 'aws',
            stackStatus: 'UPDATE_COMPLETE',
            outputs: { QueueUrl: 'https://sqs/q' },
            region: 'eu-west-1',
            console: {
              Stack: 'https://eu-west-1.console.aws.amazon.com/cloudformation',
              StoringFunction: link,
            },
          },
        },
        ref,
      );
      expect(tableRows(text).find((r) => r[0] === 'Stack')?.[1]).to.equal(
        'demo (aws, eu-west-1): UPDATE_COMPLETE',
      );
      expect(tableRows(text).find((r) => r[0] === 'QueueUrl')?.[1]).to.equal('https://sqs/q');
      expect(text.split('\n').slice(-3)).to.deep.equal([
        'AWS console:',
        '  Stack            https://eu-west-1.console.aws.amazon.com/cloudformation',
        `  StoringFunction  ${link}`,
      ]);
    });
  });
});
