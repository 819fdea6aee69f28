import { expect } from 'chai';
import type { Clock } from '../../../src/core/clock.js';
import { ExitCode, type SensorpipeError } from '../../../src/core/errors.js';
import type { LogLine, LogQuery } from '../../../src/core/logs.js';
import type { StoringLogEntry } from '../../../src/functions/log.js';
import {
  CloudWatchFunctionLogs,
  FOLLOW_OVERLAP_MS,
  lineOf,
  logGroupOf,
  quotedPhrase,
} from '../../../src/targets/aws/function-logs.js';
import { FakeCloudWatchLogs } from '../../../testkit/aws/fake-cloudwatch-logs.js';
import { T0 } from '../../../testkit/clock.js';
import { rejection } from '../../../testkit/rejection.js';

const STORING = logGroupOf('s-storing');
const AGGREGATION = logGroupOf('s-aggregation');
const GROUPS = [
  { function: 'storing', logGroupName: STORING },
  { function: 'aggregation', logGroupName: AGGREGATION },
] as const;
const BOTH: LogQuery = { functions: ['storing', 'aggregation'], since: T0 - 600_000 };
const SECOND = 1_000;

const storingEntry = (failed = 0): StoringLogEntry => ({
  function: 'storing' as const,
  records: 10,
  stored: 10 - failed,
  failed,
  failures: failed ? { 'message body is not JSON': ['m-1'] } : ({} as Record<string, string[]>),
});
const aggregationEntry = {
  function: 'aggregation' as const,
  windowEnd: '2026-12-01T00:00:00.000Z',
  total: 3,
  counties: 2,
};

/**
 * Time that moves only by the reader's waits, each recorded; each wait first runs the test's next
 * step (more lines, an abort), so a follow is driven poll by poll.
 */
function steppedClock(steps: ((now: number) => void)[]): Clock & { sleeps: number[]; t: number } {
  const clock = {
    t: T0,
    sleeps: [] as number[],
    now: () => clock.t,
    async sleep(ms: number) {
      clock.sleeps.push(ms);
      clock.t += ms;
      (steps.shift() ?? (() => {}))(clock.t);
    },
  };
  return clock;
}

async function collect(lines: AsyncIterable<LogLine[]>): Promise<LogLine[][]> {
  const batches: LogLine[][] = [];
  for await (const batch of lines) batches.push(batch);
  return batches;
}

const described = (batches: LogLine[][]) =>
  batches.flat().map((l) => `${l.function} ${l.time - T0} ${l.level ?? '-'} ${l.message.split(' ')[0]}`);

describe('targets/aws/function-logs', () => {
  let fake: FakeCloudWatchLogs;
  let clock: ReturnType<typeof steppedClock>;
  let steps: ((now: number) => void)[];

  beforeEach(() => {
    steps = [];
    clock = steppedClock(steps);
    fake = new FakeCloudWatchLogs(clock);
    fake.createLogGroup(STORING);
    fake.createLogGroup(AGGREGATION);
  });

  afterEach(() => fake.mock.restore());

  const reader = () => new CloudWatchFunctionLogs({ client: fake.client, groups: GROUPS, clock });

  it("reads each function's group /aws/lambda/<function name>", () => {
    expect(logGroupOf('sensorpipe-storing')).to.equal('/aws/lambda/sensorpipe-storing');
  });

  describe('the history', () => {
    it('interleaves both functions by time across every page, short and empty ones included, and parses Lambda lines', async () => {
      fake.pageSize = 3;
      fake.emptyPages = 1;
      for (let i = 0; i < 4; i++)
        fake.invocation(STORING, T0 - 60 * SECOND + i * 20 * SECOND, [storingEntry()]);
      fake.invocation(AGGREGATION, T0 - 30 * SECOND, [aggregationEntry]);
      fake.invocation(AGGREGATION, T0 - 900 * SECOND, [aggregationEntry]); // before --since
      const batches = await collect(reader().read(BOTH));
      const lines = batches.flat();
      expect(lines.map((l) => l.time)).to.deep.equal([...lines.map((l) => l.time)].sort((a, b) => a - b));
      expect(lines).to.have.length(5 * 4);
      expect(described(batches).slice(0, 4)).to.deep.equal([
        'storing -60000 - START',
        'storing -60000 INFO {"function":"storing","records":10,"stored":10,"failed":0,"failures":{}}',
        'storing -60000 - END',
        'storing -60000 - REPORT',
      ]);
      expect(described(batches).filter((d) => d.startsWith('aggregation'))).to.have.length(4);
      // A long history streams: more than one batch, each in order.
      expect(batches.length).to.be.greaterThan(1);
      // Every page was read, with the same query, oldest first.
      expect(fake.requests.every((r) => r.startTime === BOTH.since)).to.equal(true);
    });

    it('reads one function only, and sends --filter as one quoted phrase, then checks each line contains it', async () => {
      fake.invocation(STORING, T0 - 10 * SECOND, [storingEntry(1)]);
      fake.invocation(STORING, T0 - 5 * SECOND, [storingEntry()]);
      fake.invocation(AGGREGATION, T0 - 5 * SECOND, [aggregationEntry]);
      const lines = (
        await collect(reader().read({ ...BOTH, functions: ['storing'], filter: 'not JSON' }))
      ).flat();
      expect(lines.map((l) => [l.time - T0, l.level])).to.deep.equal([[-10 * SECOND, 'INFO']]);
      expect(fake.requests.map((r) => [r.logGroupName, r.filterPattern])).to.deep.equal([
        [STORING, '"not JSON"'],
      ]);
      expect(quotedPhrase('say "hi" \\ now')).to.equal('"say \\"hi\\" \\\\ now"');
    });

    it('rides out throttling with growing waits, and gives up after 6 throttled answers in one line (exit 4)', async () => {
      fake.invocation(STORING, T0 - 10 * SECOND, [storingEntry()]);
      fake.throttle(3);
      expect((await collect(reader().read({ ...BOTH, functions: ['storing'] }))).flat()).to.have.length(4);
      expect(clock.sleeps).to.deep.equal([1000, 2000, 4000]);
      fake.throttle(100);
      const error = await rejection<SensorpipeError>(collect(reader().read(BOTH)));
      expect(error).to.include({ code: 'AWS_THROTTLED', exitCode: ExitCode.environment });
      expect(error.message).to.match(
        /^CloudWatch Logs throttled the reading of \/aws\/lambda\/s-storing \(ThrottlingException \(HTTP 400\)\) 6 times/,
      );
    });

    it('passes a missing group on as the SDK error (the target names it), and Ctrl-C on to every request', async () => {
      fake.deleteLogGroup(AGGREGATION);
      expect(await rejection(collect(reader().read(BOTH)))).to.include({ name: 'ResourceNotFoundException' });
      const controller = new AbortController();
      await collect(reader().read({ ...BOTH, functions: ['storing'] }, { signal: controller.signal }));
      expect((fake.mock.send.lastCall.args as unknown[])[1]).to.deep.equal({
        abortSignal: controller.signal,
      });
    });
  });

  describe('--follow', () => {
    it('polls about once a second after the history, shows each line once, and a late line within the overlap', async () => {
      const controller = new AbortController();
      fake.invocation(STORING, T0 - 5 * SECOND, [storingEntry()]);
      steps.push(
        // 1 s later: an aggregation run, and a storing line that reaches CloudWatch 8 s late
        (now) => {
          fake.invocation(AGGREGATION, now, [aggregationEntry]);
          fake.put(STORING, now - 500, 'late line', 8 * SECOND);
        },
        () => {},
        (now) => fake.put(STORING, now, 'newer line'),
        // Time for the late line to be searchable, and still within the overlap of 20 s
        () => {
          clock.t += 8 * SECOND;
        },
        () => controller.abort(),
      );
      const batches = await collect(reader().read(BOTH, { follow: true, signal: controller.signal }));
      expect(batches.map((b) => b.map((l) => l.message.split(' ')[0]))).to.deep.equal([
        [
          'START',
          '{"function":"storing","records":10,"stored":10,"failed":0,"failures":{}}',
          'END',
          'REPORT',
        ],
        [
          'START',
          '{"function":"aggregation","windowEnd":"2026-12-01T00:00:00.000Z","total":3,"counties":2}',
          'END',
          'REPORT',
        ],
        ['newer'],
        ['late'],
      ]);
      expect(clock.sleeps).to.deep.equal([1000, 1000, 1000, 1000, 1000]);
      // Each poll looks back FOLLOW_OVERLAP_MS from the newest line of its group, never before --since
      // (the aggregation's group had none before its first poll).
      const polls = fake.requests.slice(2);
      const back = (newest: number) => newest - FOLLOW_OVERLAP_MS;
      expect(polls.map((r) => r.startTime! - T0)).to.deep.equal([
        back(-5 * SECOND),
        BOTH.since - T0,
        back(-5 * SECOND),
        back(1 * SECOND),
        back(-5 * SECOND),
        back(1 * SECOND),
        back(3 * SECOND),
        back(1 * SECOND),
      ]);
    });

    it('waits longer while throttled (2, 4 s...), back to a second after an answer, and never gives up', async () => {
      const controller = new AbortController();
      steps.push(
        () => fake.throttle(2 * 3), // 3 polls of 2 groups, each the first of its round throttled
        () => {},
        () => {},
        () => {},
        () => controller.abort(),
      );
      await collect(reader().read(BOTH, { follow: true, signal: controller.signal }));
      expect(clock.sleeps).to.deep.equal([1000, 2000, 4000, 8000, 1000]);
    });

    it('Ctrl-C during a wait ends the follow at once, without another request', async () => {
      const controller = new AbortController();
      steps.push(() => controller.abort());
      const before = fake.requests.length;
      await collect(reader().read(BOTH, { follow: true, signal: controller.signal }));
      expect(fake.requests.length - before).to.equal(2); // the history's, one per group
    });
  });

  it('lineOf: Lambda text lines as level and message, its own lines as they are, tabs as spaces', () => {
    const at = (message: string) => lineOf('storing', { timestamp: T0, message, eventId: 'e' });
    expect(at('2026-12-01T13:50:15.123Z\tabc-123\tINFO\t{"function":"storing"}\n')).to.deep.equal({
      function: 'storing',
      time: T0,
      level: 'INFO',
      message: '{"function":"storing"}',
      id: 'e',
    });
    expect(at('2026-12-01T13:50:15.123Z\tabc\tERROR\tInvoke Error \t{"errorType":"Error"}\n')).to.include({
      level: 'ERROR',
      message: 'Invoke Error {"errorType":"Error"}',
    });
    expect(at('REPORT RequestId: abc\tDuration: 1 ms\t\n')).to.include({
      level: null,
      message: 'REPORT RequestId: abc Duration: 1 ms',
    });
    expect(at('2026-12-01T13:50:15.123Z\tabc\tWARN\tline one\nline two\n')).to.include({
      level: 'WARN',
      message: 'line one\nline two',
    });
  });
});
