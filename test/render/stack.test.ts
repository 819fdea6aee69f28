import { expect } from 'chai';
import { DEFAULT_PARAMETERS } from '../../src/core/parameters.js';
import { renderDeploy, renderDestroyed, renderStatus } from '../../src/render/stack.js';
import { displayWidth } from '../../src/render/width.js';
import type { DeployResult, StackStatus } from '../../src/targets/target.js';
import { HOSTILE_STRINGS, RAW_CONTROL } from '../../testkit/hostile.js';
import { tableRows } from '../../testkit/table.js';

const fits = (text: string, columns: number) => {
  for (const line of text.split('\n')) expect(displayWidth(line), line).to.be.at.most(columns);
};

const awsOutputs = {
  QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/sensorpipe-queue',
  DeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/sensorpipe-dead-letters',
  EventsTableName: 'sensorpipe-events',
  StoringFunctionName: 'sensorpipe-storing',
};

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
  clockErrors: [],
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

    it('says that events already stored keep their expiry when the TTL changes', () => {
      const text = renderDeploy({
        ...deployBase,
        action: 'updated',
        changes: [{ parameter: 'EventTtlMinutes', from: 10, to: 30 }],
      });
      expect(text).to.include(
        'Events already stored keep the expiry of the TTL they were stored with (10 min)',
      );
      expect(text).not.to.include('a snapshot counts less');
    });

    it('says that a window raised past the old TTL counts short until it has passed once', () => {
      const text = renderDeploy({
        ...deployBase,
        action: 'updated',
        changes: [
          { parameter: 'WindowMinutes', from: 5, to: 60 },
          { parameter: 'EventTtlMinutes', from: 10, to: 60 },
        ],
      });
      expect(text.replace(/\n/g, ' ')).to.include(
        'Events stored before this deploy expire 10 minutes after their time: for the next 60 minutes, a snapshot counts less than a full 60-minute window.',
      );
    });

    it('has nothing to say of stored events on a first deploy, or a window within the old TTL', () => {
      const created = renderDeploy({
        ...deployBase,
        action: 'created',
        changes: [
          { parameter: 'WindowMinutes', from: null, to: 60 },
          { parameter: 'EventTtlMinutes', from: null, to: 60 },
        ],
      });
      const within = renderDeploy({
        ...deployBase,
        action: 'updated',
        changes: [{ parameter: 'WindowMinutes', from: 5, to: 10 }],
      });
      for (const text of [created, within]) expect(text).not.to.match(/Events (already )?stored/);
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
      // One timestamp format for people; the next run on a row of its own, so the table fits 60 columns.
      expect(value('Schedule')).to.equal('rate(1 minute), while a stream runs');
      expect(value('Next run')).to.equal('2025-01-01 12:31:00Z');
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
      expect(value('Last aggregation')).to.equal('2025-01-01 12:29:00Z');
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

    it('says in one line each what lies ahead of the clock, how far, and what becomes of it', () => {
      const text = renderStatus(
        {
          ...statusBase,
          lastAggregation: '2025-01-02T12:29:00.000Z',
          clockErrors: [
            { subject: 'lastAggregation', time: '2025-01-02T12:29:00.000Z', aheadSeconds: 86_340 },
            { subject: 'scheduleSlot', time: '2025-01-01T12:45:00.000Z', aheadSeconds: 840 },
          ],
        },
        ref,
      );
      const lines = text.split('\n').filter((line) => line.startsWith('Clock error: '));
      expect(lines).to.deep.equal([
        "Clock error: The last snapshot is dated 2025-01-02 12:29:00Z, 24.0 h ahead of this machine's clock (a clock that ran ahead wrote it); the next aggregation replaces it.",
        "Clock error: The schedule's stored next run is dated 2025-01-01 12:45:00Z, 14 min ahead of this machine's clock (a clock that ran ahead wrote it); the next stream recomputes it from now.",
      ]);
      expect(renderStatus(statusBase, ref)).to.not.include('Clock error');
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

  describe('at 60, 80 and 120 columns', () => {
    for (const columns of [60, 80, 120]) {
      it(`fits ${columns} columns: status on both targets, a deploy with resources and outputs`, () => {
        const local = renderStatus(
          { ...statusBase, location: `/home/someone/projects/${'deep/'.repeat(25)}demo.sqlite` },
          ref,
          { columns },
        );
        fits(local, columns);
        const location = tableRows(local).find((r) => r[0] === 'Location')?.[1];
        // A path cut in the middle keeps its file name.
        expect(location).to.match(/^\/home\/someone.*….*demo\.sqlite$/);
        fits(
          renderStatus(
            {
              ...statusBase,
              target: 'aws',
              location: 'AWS eu-west-1',
              queue: { ...statusBase.queue!, approximate: true },
              details: {
                kind: 'aws',
                stackStatus: 'UPDATE_ROLLBACK_COMPLETE',
                outputs: awsOutputs,
                region: 'eu-west-1',
                console: {},
              },
            },
            ref,
            { columns },
          ),
          columns,
        );
        fits(
          renderDeploy(
            {
              ...deployBase,
              target: 'aws',
              location: 'AWS eu-west-1',
              action: 'updated',
              changes: [{ parameter: 'MaximumBatchingWindowInSeconds', from: 1, to: 300 }],
              details: {
                kind: 'aws',
                resourceChanges: [
                  {
                    action: 'Modify',
                    logicalId: 'StoringFunctionEventSourceMapping',
                    resourceType: 'AWS::Lambda::EventSourceMapping',
                    replacement: 'Conditional',
                  },
                ],
                outputs: awsOutputs,
              },
            },
            { columns },
          ),
          columns,
        );
      });
    }
  });

  describe('text from AWS and from flags', () => {
    it('shows stack outputs, stack status and a location with control characters escaped', () => {
      const hostile = HOSTILE_STRINGS.map((h) => h.value).join(' ');
      const status = renderStatus(
        {
          ...statusBase,
          target: 'aws',
          location: `AWS ${hostile}`,
          details: {
            kind: 'aws',
            stackStatus: hostile,
            outputs: { QueueUrl: hostile, [hostile]: 'x' },
            region: hostile,
            console: { [hostile]: `https://x/${hostile}` },
          },
        },
        ref,
        { columns: 80 },
      );
      expect(status).not.to.match(RAW_CONTROL);
      const deploy = renderDeploy({
        ...deployBase,
        location: `/tmp/\x1b[2J${hostile}`,
        action: 'created',
        changes: [],
      });
      expect(deploy).not.to.match(RAW_CONTROL);
      expect(deploy.split('\n')[0]).to.include('/tmp/\\x1b[2J');
      expect(renderDestroyed({ stackName: 'demo', location: `/tmp/\r${hostile}` })).not.to.match(RAW_CONTROL);
    });
  });
});
