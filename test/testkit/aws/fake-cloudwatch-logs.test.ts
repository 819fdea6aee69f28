import { FilterLogEventsCommand, type FilterLogEventsCommandInput } from '@aws-sdk/client-cloudwatch-logs';
import { expect } from 'chai';
import { FakeCloudWatchLogs } from '../../../testkit/aws/fake-cloudwatch-logs.js';
import { fakeClock, T0 } from '../../../testkit/clock.js';
import { rejection } from '../../../testkit/rejection.js';

const GROUP = '/aws/lambda/s-storing';

/** The fake is a product too: these pin that it answers FilterLogEvents as CloudWatch Logs documents it. */
describe('test kit: the CloudWatch Logs fake', () => {
  let clock: ReturnType<typeof fakeClock>;
  let logs: FakeCloudWatchLogs;

  beforeEach(() => {
    clock = fakeClock();
    logs = new FakeCloudWatchLogs(clock);
    logs.createLogGroup(GROUP);
  });

  afterEach(() => logs.mock.restore());

  const filter = (input: Omit<FilterLogEventsCommandInput, 'logGroupName'> = {}, group = GROUP) =>
    logs.client.send(new FilterLogEventsCommand({ logGroupName: group, ...input }));

  /** Every event of a query, page after page, as a reader must read them. */
  async function all(input: Omit<FilterLogEventsCommandInput, 'logGroupName'> = {}): Promise<string[]> {
    const messages: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await filter({ ...input, nextToken });
      messages.push(...(page.events ?? []).map((e) => e.message ?? ''));
      nextToken = page.nextToken;
    } while (nextToken);
    return messages;
  }

  it('returns events oldest first by timestamp, whatever order they arrived in, from startTime up to endTime', async () => {
    logs.put(GROUP, T0 + 2, 'c');
    logs.put(GROUP, T0, 'a');
    logs.put(GROUP, T0 + 1, 'b1');
    logs.put(GROUP, T0 + 1, 'b2');
    const page = await filter();
    expect(page.events?.map((e) => [e.timestamp, e.message])).to.deep.equal([
      [T0, 'a'],
      [T0 + 1, 'b1'],
      [T0 + 1, 'b2'],
      [T0 + 2, 'c'],
    ]);
    expect(new Set(page.events?.map((e) => e.eventId)).size).to.equal(4);
    expect(await all({ startTime: T0 + 1, endTime: T0 + 2 })).to.deep.equal(['b1', 'b2']);
  });

  it('pages with nextToken, short and empty pages included, and refuses a token from another query', async () => {
    for (let i = 0; i < 5; i++) logs.put(GROUP, T0 + i, `e${i}`);
    logs.pageSize = 2;
    logs.emptyPages = 2;
    const first = await filter();
    expect(first.events).to.deep.equal([]);
    expect(first.nextToken).to.be.a('string');
    expect(await all()).to.deep.equal(['e0', 'e1', 'e2', 'e3', 'e4']);
    expect(logs.requests).to.have.length(1 + 2 + 3); // the first page, then 2 empty and 3 full or short ones
    const error = await rejection(filter({ startTime: T0 + 1, nextToken: first.nextToken }));
    expect(error).to.include({ name: 'InvalidParameterException' });
  });

  it('returns a line only once it is searchable: some time after the time it carries', async () => {
    logs.put(GROUP, T0, 'late', 5_000);
    logs.put(GROUP, T0 + 1, 'on time');
    expect(await all()).to.deep.equal(['on time']);
    clock.advance(5_000);
    expect(await all()).to.deep.equal(['late', 'on time']);
  });

  it('filters by one quoted phrase, exactly; refuses the patterns it does not play', async () => {
    logs.put(GROUP, T0, '{"reason":"message body is not JSON"}');
    logs.put(GROUP, T0 + 1, 'say "hi" back\\slash');
    logs.put(GROUP, T0 + 2, 'Not JSON');
    expect(await all({ filterPattern: '"not JSON"' })).to.deep.equal([
      '{"reason":"message body is not JSON"}',
    ]);
    expect(await all({ filterPattern: '"say \\"hi\\" back\\\\slash"' })).to.deep.equal([
      'say "hi" back\\slash',
    ]);
    expect(await all({ filterPattern: '' })).to.have.length(3);
    for (const pattern of ['not JSON', '{ $.failed > 0 }', '?ERROR ?WARN'])
      expect(await rejection(filter({ filterPattern: pattern }))).to.include({
        name: 'InvalidParameterException',
      });
  });

  it('a missing group is ResourceNotFoundException; throttling is ThrottlingException, then answers again', async () => {
    expect(await rejection(filter({}, '/aws/lambda/gone'))).to.include({ name: 'ResourceNotFoundException' });
    logs.deleteLogGroup(GROUP);
    expect(await rejection(filter())).to.include({ name: 'ResourceNotFoundException' });
    logs.createLogGroup(GROUP);
    logs.throttle(2);
    const throttled = await rejection(filter());
    expect(throttled).to.include({ name: 'ThrottlingException' });
    expect((throttled as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).to.equal(
      400,
    );
    await rejection(filter());
    expect((await filter()).events).to.deep.equal([]);
  });

  it('writes an invocation as Lambda Node.js runtime does: START, the lines in its text format, END, REPORT', async () => {
    const requestId = logs.invocation(GROUP, T0, [
      { function: 'storing', records: 1, stored: 1, failed: 0, failures: {} },
      { error: 'boom' },
    ]);
    const messages = await all();
    expect(messages).to.have.length(5);
    expect(messages[0]).to.equal(`START RequestId: ${requestId} Version: $LATEST\n`);
    expect(messages[1]).to.equal(
      `${new Date(T0).toISOString()}\t${requestId}\tINFO\t{"function":"storing","records":1,"stored":1,"failed":0,"failures":{}}\n`,
    );
    expect(messages[2]).to.match(
      new RegExp(
        `^\\S+\\t${requestId}\\tERROR\\tInvoke Error \\t\\{"errorType":"Error","errorMessage":"boom","stack":`,
      ),
    );
    expect(messages[3]).to.equal(`END RequestId: ${requestId}\n`);
    expect(messages[4]).to.match(new RegExp(`^REPORT RequestId: ${requestId}\\tDuration: `));
  });
});
