import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { DEFAULT_PARAMETERS } from '../../src/core/parameters.js';
import { startFakeAwsEndpoint } from '../../testkit/aws/fake-aws-endpoint.js';
import { lines, type RunResult, STACK_LINE } from '../../testkit/cli.js';
import { freshSandboxEachTest, type Sandbox } from '../../testkit/sandbox.js';
import { tableRows } from '../../testkit/table.js';

/** A user error: the exit code, one line on stderr that matches, no stack trace, nothing on stdout. */
function expectUsageError(result: RunResult, pattern: RegExp, code = 2): void {
  expect(result.code, result.stderr).to.equal(code);
  expect(lines(result.stderr), result.stderr).to.have.length(1);
  expect(result.stderr).to.match(pattern);
  expect(result.stderr).to.match(/^Error: /);
  expect(result.stderr).not.to.match(STACK_LINE);
  expect(result.stdout).to.equal('');
}

/** Whether process `pid` has `file` open (Linux's /proc). */
function opens(pid: number | undefined, file: string): boolean {
  try {
    const dir = `/proc/${pid}/fd`;
    return fs.readdirSync(dir).some((fd) => {
      try {
        return fs.readlinkSync(path.join(dir, fd)) === file;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  for (const started = Date.now(); !condition(); ) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('commands/deploy', function () {
  this.timeout(60_000);
  let box: Sandbox;
  freshSandboxEachTest((b) => {
    box = b;
  });

  it('creates the stack and prints Created with every parameter and its default', async () => {
    const result = await box.cli('deploy');
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout.split('\n')[0]).to.match(
      /^Created stack "sensorpipe" \(local\) at .*sensorpipe\.sqlite\.$/,
    );
    const rows = tableRows(result.stdout).slice(1);
    expect(rows.map((r) => r[0])).to.deep.equal(Object.keys(DEFAULT_PARAMETERS));
    for (const [name, value] of Object.entries(DEFAULT_PARAMETERS))
      expect(rows).to.deep.include([name, '-', String(value)]);
    expect(box.databaseExists()).to.equal(true);
  });

  it('says No changes on a redeploy without changes, and exits 0', async () => {
    await box.cli('deploy');
    const result = await box.cli('deploy');
    expect(result.code).to.equal(0);
    expect(lines(result.stdout)).to.have.length(1);
    expect(result.stdout).to.match(/^No changes: stack "sensorpipe" \(local\) is up to date/);
  });

  it('updates exactly the parameters passed and keeps every other deployed value', async () => {
    const first = await box.cli('deploy', ['--window-minutes', '10', '--no-schedule']);
    expect(first.code, first.stderr).to.equal(0);
    const result = await box.cli('deploy', ['--batch-size', '10', '--batching-window', '0']);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout.split('\n')[0]).to.match(/^Updated stack "sensorpipe"/);
    expect(tableRows(result.stdout).slice(1)).to.deep.equal([
      ['BatchSize', '100', '10'],
      ['MaximumBatchingWindowInSeconds', '1', '0'],
    ]);
    const status = await box.cli('status', ['--json']);
    expect(JSON.parse(status.stdout).parameters).to.deep.equal({
      ...DEFAULT_PARAMETERS,
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 0,
      WindowMinutes: 10,
      ScheduleEnabled: false,
    });
  });

  it('prints the deploy result as one JSON document with --json', async () => {
    const result = await box.cli('deploy', ['--json', '--stack-name', 'json-stack']);
    expect(result.code).to.equal(0);
    expect(lines(result.stdout)).to.have.length(1);
    const json = JSON.parse(result.stdout);
    expect(json).to.include({ stackName: 'json-stack', target: 'local', action: 'created' });
    expect(json.parameters).to.deep.equal(DEFAULT_PARAMETERS);
    expect(json.changes).to.have.length(Object.keys(DEFAULT_PARAMETERS).length);
    const again = JSON.parse((await box.cli('deploy', ['--json', '--stack-name', 'json-stack'])).stdout);
    expect(again).to.include({ action: 'unchanged' });
    expect(again.changes).to.deep.equal([]);
  });

  describe('rejects bad parameters with exit 2, one line that names the parameter, and no stack created', () => {
    for (const [args, pattern] of [
      [['--batch-size', '0'], /--batch-size.*from 1 to 10000/],
      [['--batch-size', '20000'], /--batch-size.*from 1 to 10000.*20000/],
      [['--window-minutes', '0'], /--window-minutes.*from 1 to 1440/],
      [['--event-ttl', '1', '--window-minutes', '5'], /--event-ttl 1 is shorter than --window-minutes 5/],
      [['--batch-size', '50', '--batching-window', '0'], /--batch-size 50 needs --batching-window/],
      [['--schedule-expression', 'every minute'], /[Ss]chedule expression "every minute"/],
      [['--stack-name', '1bad'], /stack name "1bad"/],
    ] as const) {
      it(args.join(' '), async () => {
        const result = await box.cli('deploy', args);
        expectUsageError(result, pattern);
        expect(box.databaseExists(), 'a rejected first deploy leaves no stack').to.equal(false);
      });
    }

    it('keeps the deployed stack unchanged when a redeploy is rejected', async () => {
      await box.cli('deploy', ['--batch-size', '10', '--batching-window', '0']);
      expectUsageError(
        await box.cli('deploy', ['--batching-window', '1', '--batch-size', '20000']),
        /--batch-size/,
      );
      expectUsageError(
        await box.cli('deploy', ['--batch-size', '11']),
        /--batch-size 11 needs --batching-window/,
      );
      const status = JSON.parse((await box.cli('status', ['--json'])).stdout);
      expect(status.parameters).to.include({ BatchSize: 10, MaximumBatchingWindowInSeconds: 0 });
    });

    it('shows the stack trace of the same error with --debug', async () => {
      const result = await box.cli('deploy', ['--batch-size', '0', '--debug']);
      expect(result.code).to.equal(2);
      expect(lines(result.stderr)[0]).to.match(/^Error: Parsing --batch-size: /);
      expect(result.stderr).to.match(STACK_LINE);
      const schedule = await box.cli('deploy', ['--schedule-expression', 'every minute', '--debug']);
      expect(schedule.code).to.equal(2);
      expect(schedule.stderr).to.match(STACK_LINE);
    });

    it('shows the stack trace with DEBUG=sensorpipe*', async () => {
      const result = await box.cli('deploy', ['--window-minutes', '0'], { env: { DEBUG: 'sensorpipe*' } });
      expect(result.code).to.equal(2);
      expect(result.stderr).to.match(STACK_LINE);
    });

    it('prints the error as JSON on stdout with --json', async () => {
      const result = await box.cli('deploy', ['--batch-size', '0', '--json']);
      expect(result.code).to.equal(2);
      expect(lines(result.stdout)).to.have.length(1);
      expect(JSON.parse(result.stdout).error).to.include({ code: 'USAGE', exitCode: 2 });
      expect(JSON.parse(result.stdout).error.message).to.include('--batch-size');
    });
  });

  it('on Ctrl-C during an AWS deploy: says CloudFormation carries on and how to follow it, exit 130', async () => {
    const endpoint = await startFakeAwsEndpoint('creating');
    try {
      const running = box.startCli('deploy', ['--endpoint-url', endpoint.url], {
        target: 'aws',
        env: { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' },
      });
      await running.waitFor(/Deploying sensorpipe/, 'stderr');
      running.child.kill('SIGINT');
      const result = await running.done;
      expect(result.code).to.equal(130);
      expect(result.stderr).to.include(
        'Interrupted: CloudFormation carries on with the deploy of stack "sensorpipe". Follow it with: aws cloudformation describe-stack-events --stack-name sensorpipe',
      );
    } finally {
      await endpoint.close();
    }
  });

  it("on Ctrl-C during a local deploy (it waits for another process's lock): says what it did, exit 130", async () => {
    await box.cli('deploy');
    const file = path.join(box.dataDir, 'sensorpipe.sqlite');
    // GIVEN another process holding the stack's write lock (a stream's batch, say)
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const running = box.startCli('deploy', ['--batch-size', '10', '--batching-window', '1']);
      // WHEN Ctrl-C comes while the deploy waits for it, with its handlers in place (the file is open)
      await waitUntil(() => opens(running.child.pid, file));
      running.child.kill('SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 300));
      holder.exec('ROLLBACK');
      const result = await running.done;
      // THEN the deploy, one transaction, finished; and it says so, with what it changed
      expect(result.code, result.stderr).to.equal(130);
      expect(lines(result.stderr)).to.deep.equal([
        `Error: Interrupted, but the deploy had finished when Ctrl-C came: stack "sensorpipe" (${file}) was updated (BatchSize 100 -> 10); nothing else was changed.`,
      ]);
      expect(result.stdout).to.equal('');
    } finally {
      holder.close();
    }
    const status = JSON.parse((await box.cli('status', ['--json'])).stdout);
    expect(status.parameters.BatchSize).to.equal(10);
  });

  it('refuses the AWS-only flags on the local target: exit 2, one line, nothing created', async () => {
    const result = await box.cli('deploy', ['--lambda-runtime', 'nodejs22.x']);
    expectUsageError(result, /--lambda-runtime is for --target aws/, 2);
    expect(box.databaseExists()).to.equal(false);
    // The hardening flags too, each named, with why a local stack lacks them.
    const hardening = await box.cli('deploy', ['--kms-key', 'create', '--point-in-time-recovery']);
    expectUsageError(
      hardening,
      /^Error: --point-in-time-recovery and --kms-key are for --target aws: a local stack is one SQLite file, backed up by copying it; a local stack's file is protected by its mode \(0600\), not by a key\.$/m,
      2,
    );
    expect(box.databaseExists()).to.equal(false);
  });

  it('refuses a bad KMS key or reserved concurrency on --target aws before asking AWS anything: exit 2', async () => {
    for (const [args, message] of [
      [['--kms-key', 'alias/mine'], /--kms-key must be empty, "create", or a KMS key ARN/],
      [['--aggregation-reserved-concurrency', '2'], /from 0 to 1/],
      [['--storing-max-concurrency', '1'], /from 2 to 1000/],
    ] as const) {
      const result = await box.cli('deploy', [...args, '--region', 'eu-west-1'], { target: 'aws' });
      expectUsageError(result, message, 2);
    }
  });

  it('on --target aws with no AWS region set: exit 4, one line that points at --target local', async () => {
    const result = await box.cli('deploy', [], { target: 'aws' });
    expectUsageError(result, /--target local/, 4);
    expect(box.databaseExists()).to.equal(false);
  });

  it('targets AWS by default (exit 4 here: no region), and local with SENSORPIPE_TARGET=local', async () => {
    const bare = await box.cli('deploy', [], { target: null });
    expectUsageError(bare, /--target local/, 4);
    const env = await box.cli('deploy', [], { target: null, env: { SENSORPIPE_TARGET: 'local' } });
    expect(env.code, env.stderr).to.equal(0);
    expect(box.databaseExists()).to.equal(true);
  });
});
