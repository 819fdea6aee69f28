import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { createStackActivity, formatStackEvent } from '../../src/render/stack-activity.js';
import type { StackProgress } from '../../src/targets/target.js';

const progress = (done: number, logicalId: string, status: string, reason?: string): StackProgress => ({
  done,
  total: 6,
  event: { timestamp: new Date(0), logicalId, resourceType: 'AWS::DynamoDB::Table', status, reason },
});

describe('render/stack-activity', () => {
  it('formats an event with its resources done out of total, and the reason of a failure only', () => {
    expect(formatStackEvent(progress(3, 'EventsTable', 'CREATE_COMPLETE', 'ignored'))).to.equal(
      '[3/6] EventsTable (AWS::DynamoDB::Table) CREATE_COMPLETE',
    );
    expect(formatStackEvent(progress(3, 'EventsTable', 'CREATE_FAILED', 'Table already exists'))).to.equal(
      '[3/6] EventsTable (AWS::DynamoDB::Table) CREATE_FAILED: Table already exists',
    );
  });

  it('prints one plain line per event when not on a terminal (CI logs)', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk) => {
      text += String(chunk);
    });
    const printer = await createStackActivity(
      'Deploying sensorpipe',
      out as unknown as NodeJS.WriteStream,
      false,
    );
    printer.onProgress(progress(0, 'Queue', 'CREATE_IN_PROGRESS'));
    printer.onProgress(progress(1, 'Queue', 'CREATE_COMPLETE'));
    printer.stop();
    expect(text).to.equal(
      'Deploying sensorpipe...\n  [0/6] Queue (AWS::DynamoDB::Table) CREATE_IN_PROGRESS\n  [1/6] Queue (AWS::DynamoDB::Table) CREATE_COMPLETE\n',
    );
  });

  it('colours a failed event red only where colour is allowed, and shows what AWS sent escaped', async () => {
    for (const force of ['1', '0']) {
      process.env.FORCE_COLOR = force;
      try {
        const out = new PassThrough();
        let text = '';
        out.on('data', (chunk) => {
          text += String(chunk);
        });
        const printer = await createStackActivity('Deploying', out as unknown as NodeJS.WriteStream, false);
        printer.onProgress(progress(1, 'Queue', 'CREATE_FAILED', 'Bad \x1b]0;title\x07 reason'));
        printer.stop();
        expect(text).to.include('CREATE_FAILED: Bad \\x1b]0;title\\x07 reason');
        if (force === '1') expect(text).to.include('  \x1b[31m[1/6] Queue');
        else expect(text).not.to.include('\x1b[31m');
      } finally {
        delete process.env.FORCE_COLOR;
      }
    }
  });
});
