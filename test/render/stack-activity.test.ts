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

  // Whether the terminal is live is decided once (isLiveTerminal), whatever CI or TERM the suite
  // itself runs under: the spinner library must not decide again and draw nothing.
  for (const ci of [undefined, 'true']) {
    it(`draws the latest event on one live line${ci ? ', with CI set in the environment' : ''}`, async () => {
      const saved = process.env.CI;
      if (ci === undefined) delete process.env.CI;
      else process.env.CI = ci;
      try {
        const writes: string[] = [];
        const out = Object.assign(new PassThrough(), {
          isTTY: true,
          columns: 100,
          cursorTo: () => true,
          moveCursor: () => true,
          clearLine: () => true,
        });
        out.on('data', (chunk) => writes.push(String(chunk)));
        const printer = await createStackActivity('Deploying', out as unknown as NodeJS.WriteStream, true);
        printer.onProgress(progress(2, 'Queue', 'CREATE_FAILED', 'no'));
        printer.onProgress(progress(3, 'EventsTable', 'CREATE_IN_PROGRESS'));
        printer.stop();
        const text = writes.join('');
        // The spinner draws, a failure stays above it on a line of its own, the cursor comes back.
        expect(text).to.include('⠋ Deploying...');
        expect(text).to.match(/\[2\/6\] Queue \(AWS::DynamoDB::Table\) CREATE_FAILED: no(\x1b\[39m)?\n/);
        expect(text.endsWith('\x1b[?25h')).to.equal(true);
      } finally {
        if (saved === undefined) delete process.env.CI;
        else process.env.CI = saved;
      }
    });
  }

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
