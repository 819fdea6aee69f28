import { createHash } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { expect } from 'chai';
import { invokeStoringFromQueue } from '../../../src/targets/local/event-source-mapping.js';
import type { ReceiveOptions } from '../../../src/targets/local/queue.js';
import {
  type FakeClock,
  fakeClock,
  type LocalStack,
  makeTempDir,
  openStack,
  removeTempDir,
} from '../../../testkit/local.js';

const VISIBILITY_MS = 30_000;

/** A storing function that answers what the test tells it to, and keeps the events it got. */
function fakeFunction(answer: (event: SQSEvent) => { failed: string[]; reasons?: [string, string][] }) {
  const events: SQSEvent[] = [];
  return {
    events,
    async store(event: SQSEvent): Promise<{ response: SQSBatchResponse; reasons: Map<string, string> }> {
      events.push(event);
      const { failed, reasons = [] } = answer(event);
      return {
        response: { batchItemFailures: failed.map((id) => ({ itemIdentifier: id })) },
        reasons: new Map(reasons),
      };
    },
  };
}

describe('local event source mapping', () => {
  let dir: string;
  let clock: FakeClock;
  let stack: LocalStack;

  beforeEach(() => {
    dir = makeTempDir();
    clock = fakeClock();
    stack = openStack(dir);
  });
  afterEach(() => {
    stack.db.close();
    removeTempDir(dir);
  });

  const options = (): ReceiveOptions => ({
    now: clock.now(),
    maxMessages: 10,
    visibilityTimeoutMs: VISIBILITY_MS,
    maxReceiveCount: 5,
    batchingWindowMs: 0,
  });
  const invoke = (fn: ReturnType<typeof fakeFunction>) =>
    stack.write(() => invokeStoringFromQueue(stack.queue, fn, options()));
  const send = (...bodies: string[]) => stack.tx(() => stack.queue.send(bodies, clock.now()));

  it('hands the function the batch as Lambda does: an SQS event with the receive count and send time', async () => {
    const sentAt = clock.now();
    const [first] = send('{"a":1}', '{"b":2}');
    const fn = fakeFunction((event) => ({ failed: [event.Records[0]!.messageId] }));
    await invoke(fn);
    clock.advance(VISIBILITY_MS);
    await invoke(fn);

    const [one, two] = fn.events;
    expect(one!.Records.map((r) => r.body)).to.deep.equal(['{"a":1}', '{"b":2}']);
    const record = one!.Records[0]!;
    expect(record).to.deep.include({ messageId: first, body: '{"a":1}', eventSource: 'aws:sqs' });
    expect(record.attributes).to.deep.include({
      ApproximateReceiveCount: '1',
      SentTimestamp: String(sentAt),
    });
    expect(record.receiptHandle).to.be.a('string').and.not.equal('');
    expect(record.md5OfBody).to.equal(createHash('md5').update('{"a":1}').digest('hex'));
    // The failed one comes back, received a second time.
    expect(two!.Records.map((r) => [r.messageId, r.attributes.ApproximateReceiveCount])).to.deep.equal([
      [first, '2'],
    ]);
  });

  it('deletes what the function did not report, and keeps each failure in flight with its reason', async () => {
    const ids = send('good', 'bad', 'good too');
    const fn = fakeFunction(() => ({ failed: [ids[1]!], reasons: [[ids[1]!, 'message body is not JSON']] }));
    expect(await invoke(fn)).to.deep.equal({ received: 3, stored: 2, failed: 1 });
    expect(stack.queue.depths(clock.now())).to.include({ visible: 0, inFlight: 1 });

    // Dead-lettered after MaxReceiveCount (1 here), with the reason the function gave.
    clock.advance(VISIBILITY_MS);
    await stack.write(() => invokeStoringFromQueue(stack.queue, fn, { ...options(), maxReceiveCount: 1 }));
    expect(stack.queue.deadLetters(10).map((d) => [d.body, d.lastError])).to.deep.equal([
      ['bad', 'message body is not JSON'],
    ]);
  });

  it('fails the whole batch, as Lambda does, when an identifier names no message of the batch', async () => {
    send('a', 'b');
    const fn = fakeFunction(() => ({ failed: ['not-in-this-batch'] }));
    expect(await invoke(fn)).to.deep.equal({ received: 2, stored: 0, failed: 2 });
    expect(stack.queue.depths(clock.now())).to.include({ visible: 0, inFlight: 2 });
    clock.advance(VISIBILITY_MS);
    expect(await invoke(fakeFunction(() => ({ failed: [] })))).to.deep.equal({
      received: 2,
      stored: 2,
      failed: 0,
    });
  });

  it('receives nothing and invokes nothing from an empty queue', async () => {
    const fn = fakeFunction(() => ({ failed: [] }));
    expect(await invoke(fn)).to.deep.equal({ received: 0, stored: 0, failed: 0 });
    expect(fn.events).to.deep.equal([]);
  });
});
