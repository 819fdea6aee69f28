import { execFileSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { DEFAULT_PARAMETERS } from '../../src/core/parameters.js';
import { startFakeAwsEndpoint } from '../../testkit/aws/fake-aws-endpoint.js';
import { jsonLines, lines } from '../../testkit/cli.js';
import { expectOneLineError } from '../../testkit/expect.js';
import { faketimeAvailable, faketimeMissing, withClock } from '../../testkit/faketime.js';
import { expectedCounts, total } from '../../testkit/fixtures.js';
import { freshSandboxEachTest, type Sandbox } from '../../testkit/sandbox.js';

describe('commands/status', function () {
  this.timeout(60_000);
  let box: Sandbox;
  freshSandboxEachTest((b) => {
    box = b;
  });

  it('before deploy: deployed false with --json, and how to deploy otherwise; exit 0 and nothing created', async () => {
    const json = await box.cli('status', ['--json', '--stack-name', 'later']);
    expect(json.code).to.equal(0);
    expect(jsonLines(json.stdout)).to.have.length(1);
    expect(JSON.parse(json.stdout)).to.include({
      stackName: 'later',
      target: 'local',
      deployed: false,
      parameters: null,
      queue: null,
      eventsStored: null,
      lastAggregation: null,
      failedAggregations: null,
    });
    const human = await box.cli('status', ['--stack-name', 'later']);
    expect(human.code).to.equal(0);
    expect(human.stdout).to.include('Stack "later" is not deployed on the local target');
    expect(human.stdout).to.include('sensorpipe deploy --target local --stack-name later');
    expect(box.databaseExists('later')).to.equal(false);
  });

  it('after a stream: events stored, empty queue, no aggregation yet; then the last aggregation', async () => {
    await box.cli('deploy');
    const deployed = JSON.parse((await box.cli('status', ['--json'])).stdout);
    expect(deployed).to.include({
      deployed: true,
      eventsStored: 0,
      lastAggregation: null,
      failedAggregations: 0,
    });
    expect(deployed.parameters).to.deep.equal(DEFAULT_PARAMETERS);
    expect(deployed.createdAt).to.be.a('string');
    expect(deployed.nextScheduledRun).to.be.a('string');

    const file = box.fixture();
    await box.cli('stream', ['--once', '--interval-ms', '0', '--file', file]);
    const streamed = JSON.parse((await box.cli('status', ['--json'])).stdout);
    expect(streamed.eventsStored).to.equal(total(expectedCounts(file)));
    expect(streamed.queue).to.deep.equal({
      visible: 0,
      inFlight: 0,
      deadLetters: 0,
      oldestDeadLetterAgeSeconds: null,
    });
    expect(streamed.lastAggregation).to.equal(null);

    const snapshot = JSON.parse((await box.cli('aggregate', ['--json'])).stdout);
    const aggregated = JSON.parse((await box.cli('status', ['--json'])).stdout);
    expect(aggregated.lastAggregation).to.equal(snapshot.updated);
  });

  it('prints the queue, the events and the parameters as tables', async () => {
    await box.cli('deploy', ['--no-schedule']);
    const file = box.fixture();
    await box.cli('stream', ['--once', '--interval-ms', '0', '--file', file]);
    const result = await box.cli('status');
    expect(result.code).to.equal(0);
    expect(result.stdout).to.match(/│ Queue: visible\s+│ 0\s+│/);
    expect(result.stdout).to.match(new RegExp(`│ Events stored\\s+│ ${total(expectedCounts(file))}\\s+│`));
    expect(result.stdout).to.match(/│ Last aggregation\s+│ never\s+│/);
    expect(result.stdout).to.match(/│ Schedule\s+│ off\s+│/);
    expect(result.stdout).to.match(/│ Failed aggregations\s+│ 0 scheduled runs in the last 14 days\s+│/);
    expect(result.stdout).to.match(/│ ScheduleEnabled\s+│ false\s+│/);
  });

  describe('--outputs: KEY=VALUE lines, for scripts', () => {
    it('locally: the stack file and its tables, quoted for a shell, read back by eval; --json the same object', async () => {
      // A data directory with a space in its name: the value is quoted, and eval reads it back whole.
      const dataDir = path.join(box.dir, 'my stacks');
      await box.cli('deploy', [], { dataDir });
      const result = await box.cli('status', ['--outputs'], { dataDir });
      expect(result.code, result.stderr).to.equal(0);
      const file = path.join(dataDir, 'sensorpipe.sqlite');
      expect(lines(result.stdout)).to.deep.equal([
        'AggregatesTableName=aggregates',
        `DatabaseFile='${file}'`,
        'DeadLetterQueueTable=dead_letters',
        'EventsTableName=events',
        'FailedAggregationsTable=failed_aggregations',
        'FunctionLogsTable=function_logs',
        'QueueTable=queue',
      ]);
      const read = execFileSync(
        'bash',
        ['-c', `eval "$1"; printf '%s|%s' "$DatabaseFile" "$EventsTableName"`, 'x', result.stdout],
        {
          encoding: 'utf8',
        },
      );
      expect(read).to.equal(`${file}|events`);
      const json = await box.cli('status', ['--outputs', '--json'], { dataDir });
      expect(JSON.parse(json.stdout)).to.deep.equal({
        AggregatesTableName: 'aggregates',
        DatabaseFile: file,
        DeadLetterQueueTable: 'dead_letters',
        EventsTableName: 'events',
        FailedAggregationsTable: 'failed_aggregations',
        FunctionLogsTable: 'function_logs',
        QueueTable: 'queue',
      });
    });

    it('on a stack that is not deployed: exit 3 and how to deploy it (a script must not go on without them)', async () => {
      expectOneLineError(await box.cli('status', ['--outputs']), 3, 'Run: sensorpipe deploy --target local');
    });

    it("on AWS: the stack's outputs, from CloudFormation alone (one DescribeStacks, nothing else asked)", async () => {
      const endpoint = await startFakeAwsEndpoint('only-cloudformation');
      try {
        const env = { AWS_REGION: 'eu-west-2', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' };
        const result = await box.cli('status', ['--outputs', '--endpoint-url', endpoint.url], {
          target: 'aws',
          env,
        });
        expect(result.code, result.stderr).to.equal(0);
        expect(lines(result.stdout)).to.include(`QueueUrl=${endpoint.url}/123456789012/sensorpipe-queue`);
        expect(lines(result.stdout)).to.include('StoringFunctionName=sensorpipe-storing');
        expect(endpoint.actions).to.deep.equal(['DescribeStacks']);
      } finally {
        await endpoint.close();
      }
    });
  });

  it('on --target aws with no AWS region set: exit 4, one line that points at --target local', async () => {
    const result = await box.cli('status', [], { target: 'aws' });
    expectOneLineError(result, 4, '--target local');
  });

  it('on an invalid stack name: exit 2, one line', async () => {
    const result = await box.cli('status', ['--stack-name', '1bad']);
    expect(result.code).to.equal(2);
    expect(lines(result.stderr)).to.have.length(1);
    expect(result.stderr).to.include('stack name "1bad"');
  });

  describe(`a clock that ran a day ahead, then was set right${faketimeMissing()}`, () => {
    before(function () {
      if (!faketimeAvailable()) this.skip();
    });

    it('status says what it left; the next aggregation replaces its snapshot, the next stream recomputes the slot', async () => {
      // A TTL of two days: the day-ahead stream's expiry sweep trusts its clock, as DynamoDB's TTL
      // trusts AWS's, and would take today's events with a TTL under a day (see the README).
      await box.cli('deploy', ['--event-ttl', '2880']);
      const file = box.fixture();
      await box.cli('stream', ['--once', '--interval-ms', '0', '--file', file]);
      // GIVEN a day-ahead aggregate, and a day-ahead stream that ran the schedule (it stores the next slot)
      const ahead = { prefix: withClock('+1d') };
      const future = JSON.parse((await box.cli('aggregate', ['--json'], ahead)).stdout);
      const one = box.write('one.csv', 'Name,County\nA,Erie\n');
      expect((await box.cli('stream', ['--once', '--file', one], ahead)).code).to.equal(0);
      // THEN status, at the right time, names both as clock errors
      const status = JSON.parse((await box.cli('status', ['--json'])).stdout);
      // (the day-ahead stream found the slot the first stream stored long due, and ran it too)
      expect(Date.parse(status.lastAggregation)).to.be.at.least(Date.parse(future.updated));
      expect(status.clockErrors.map((e: { subject: string }) => e.subject)).to.deep.equal([
        'lastAggregation',
        'scheduleSlot',
      ]);
      expect(status.clockErrors[0].aheadSeconds).to.be.within(86_300, 86_500);
      expect(Date.parse(status.nextScheduledRun) - Date.now()).to.be.below(61_000);
      const human = await box.cli('status');
      expect(lines(human.stdout).filter((line) => line.startsWith('Clock error: '))).to.have.length(2);
      // WHEN it aggregates and streams at the right time
      const snapshot = JSON.parse((await box.cli('aggregate', ['--json'])).stdout);
      expect((await box.cli('stream', ['--once', '--file', one])).code).to.equal(0);
      // THEN the snapshot shown is the new one, with the fixture's events, and nothing is left ahead
      const shown = JSON.parse((await box.cli('show', ['--json'])).stdout);
      expect(shown).to.deep.equal(snapshot);
      expect(shown.total).to.equal(total(expectedCounts(file)));
      expect(JSON.parse((await box.cli('status', ['--json'])).stdout).clockErrors).to.deep.equal([]);
    });
  });

  describe('a stored schedule with no next run (an older sensorpipe deployed it)', () => {
    for (const [expression, slot] of [
      ['cron(0 0 31 2 ? *)', undefined],
      ['cron(0/1 * * * ? 2020)', undefined],
      ['rate(99999999999 days)', '8640000000000000000'],
      ['cron(0 12 1 1 ? 2025)', 'Infinity'],
    ] as const) {
      it(`${expression}: status, stream and aggregate --watch run, and say there is no next run`, async () => {
        await box.cli('deploy');
        const db = new Database(path.join(box.dataDir, 'sensorpipe.sqlite'));
        const parameters = JSON.parse(
          db.prepare("SELECT value FROM meta WHERE key = 'parameters'").pluck().get() as string,
        );
        db.prepare("UPDATE meta SET value = ? WHERE key = 'parameters'").run(
          JSON.stringify({ ...parameters, ScheduleExpression: expression }),
        );
        if (slot) db.prepare("INSERT OR REPLACE INTO meta VALUES ('schedule_next', ?)").run(slot);
        db.close();
        const json = await box.cli('status', ['--json']);
        expect(json.code, json.stderr).to.equal(0);
        expect(JSON.parse(json.stdout)).to.include({ nextScheduledRun: null });
        const human = await box.cli('status');
        expect(human.code, human.stderr).to.equal(0);
        expect(human.stdout).to.match(/Next run +│ none: the schedule never fires again/);
        const streamed = await box.cli('stream', ['--once', '--interval-ms', '0', '--file', box.fixture()]);
        expect(streamed.code, streamed.stderr).to.equal(0);
        const watch = box.startCli('aggregate', ['--watch', '1', '--json']);
        await watch.waitFor(/"total"/);
        watch.child.kill('SIGINT');
        const watched = await watch.done;
        expect(watched.code, watched.stderr).to.equal(0);
        expect(watched.stderr).to.equal('');
      });
    }
  });
});
