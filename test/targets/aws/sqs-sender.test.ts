import {
  type SendMessageBatchCommand,
  SendMessageBatchCommand as SendMessageBatchCommandClass,
  type SendMessageBatchCommandOutput,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import { systemClock } from '../../../src/core/clock.js';
import { EnvironmentError, StackStateError } from '../../../src/core/errors.js';
import type { OutgoingEvent, SensorEvent } from '../../../src/core/event.js';
import { type SourceItem, streamEvents } from '../../../src/core/streamer.js';
import { type SqsBatchClient, SqsEventSender } from '../../../src/targets/aws/sqs-sender.js';
import { type LocalSqs, startFauxqs } from '../../helpers/fauxqs.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** Wraps a client's send: counts requests, entries per request and the requests in flight. */
class RecordingClient implements SqsBatchClient {
  readonly batches: { ids: string[]; bytes: number }[] = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    private readonly inner: SqsBatchClient,
    private readonly delayMs = 0,
  ) {}

  async send(command: SendMessageBatchCommand): Promise<SendMessageBatchCommandOutput> {
    const entries = command.input.Entries ?? [];
    this.batches.push({
      ids: entries.map((entry) => entry.Id ?? ''),
      bytes: entries.reduce((sum, entry) => sum + Buffer.byteLength(entry.MessageBody ?? '', 'utf8'), 0),
    });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      return await this.inner.send(command);
    } finally {
      this.inFlight--;
    }
  }
}

/** A client whose send the test writes; `calls` counts the requests. */
function fakeClient(
  send: (command: SendMessageBatchCommand, call: number) => Promise<SendMessageBatchCommandOutput>,
) {
  const client = {
    calls: 0,
    send(command: SendMessageBatchCommand) {
      return send(command, ++client.calls);
    },
  };
  return client;
}

/** Accepts every entry of the command, as SQS would. */
function acceptAll(command: SendMessageBatchCommand): SendMessageBatchCommandOutput {
  return {
    $metadata: { httpStatusCode: 200 },
    Successful: (command.input.Entries ?? []).map((entry) => ({
      Id: entry.Id ?? '',
      MessageId: `m-${entry.Id}`,
      MD5OfMessageBody: '',
    })),
    Failed: [],
  };
}

function awsError(
  name: string,
  status: number,
  fault: 'client' | 'server' = status >= 500 ? 'server' : 'client',
) {
  return new SQSServiceException({
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
    message: `${name} happened`,
  });
}

function events(n: number, county = 'Adams'): OutgoingEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `id-${i}`,
    time: 1_700_000_000_000 + i,
    county,
    dataJson: JSON.stringify({ County: county, n: String(i) }),
  }));
}

async function* rows(n: number): AsyncGenerator<SourceItem[]> {
  for (let i = 0; i < n; i++)
    yield [
      {
        kind: 'row',
        line: i + 2,
        county: `C${i}`,
        dataJson: JSON.stringify({ County: `C${i}`, n: String(i) }),
      },
    ];
}

/** Sleeps that record their durations and return at once. */
function recordSleeps() {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms: number) => void sleeps.push(ms) };
}

describe('SqsEventSender', () => {
  describe('against fauxqs', () => {
    let sqs: LocalSqs;
    let queueUrl: string;

    before(async () => {
      sqs = await startFauxqs();
    });
    after(async () => {
      await sqs.close();
    });
    beforeEach(async () => {
      queueUrl = await sqs.createQueue();
    });

    it('streams 25 events into the queue in batches of at most 10, several in flight', async () => {
      const client = new RecordingClient(sqs.client, 20);
      const sender = new SqsEventSender({ client, queueUrl, maxInFlight: 2 });
      const stats = await streamEvents(rows(25), sender, { intervalMs: 0, clock: systemClock });

      expect(stats).to.include({ sent: 25, failed: 0, skipped: 0 });
      expect(client.batches.map((batch) => batch.ids.length)).to.deep.equal([10, 10, 5]);
      for (const batch of client.batches) {
        expect(batch.ids).to.deep.equal(batch.ids.map((_, i) => String(i)));
      }
      expect(client.maxInFlight).to.equal(2);

      const bodies = await sqs.receiveAll(queueUrl);
      expect(bodies).to.have.length(25);
      const received = bodies.map((body) => JSON.parse(body) as SensorEvent);
      for (const [i, event] of received.entries()) expect(JSON.stringify(event)).to.equal(bodies[i]);
      expect(new Set(received.map((event) => event.id)).size).to.equal(25);
      expect(received.map((event) => Number(event.data.n)).sort((a, b) => a - b)).to.deep.equal(
        Array.from({ length: 25 }, (_, i) => i),
      );
      for (const event of received) {
        expect(event.id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(event.county).to.equal(event.data.County);
      }
    });

    it('never has more than maxInFlight requests in flight', async () => {
      const client = new RecordingClient(sqs.client, 10);
      const sender = new SqsEventSender({ client, queueUrl, maxInFlight: 4 });
      const stats = await streamEvents(rows(100), sender, { intervalMs: 0, clock: systemClock });
      expect(stats.sent).to.equal(100);
      expect(client.batches).to.have.length(10);
      expect(client.maxInFlight).to.be.within(2, 4);
      expect(await sqs.receiveAll(queueUrl)).to.have.length(100);
    });

    it('holds about 200 events/s at --interval-ms 5', async () => {
      const client = new RecordingClient(sqs.client);
      const sender = new SqsEventSender({ client, queueUrl });
      const stats = await streamEvents(rows(100), sender, { intervalMs: 5, limit: 100, clock: systemClock });
      expect(stats.sent).to.equal(100);
      expect(stats.elapsedMs).to.be.within(450, 2_000);
      // Tolerant: a loaded CI machine may lag, but the schedule never runs ahead of 200/s.
      expect(stats.ratePerSecond).to.be.within(50, 225);
      for (const batch of client.batches) expect(batch.ids.length).to.be.within(1, 10);
      expect(await sqs.receiveAll(queueUrl)).to.have.length(100);
    });

    it('retries only the entries that failed, and counts each event once', async () => {
      let call = 0;
      const partial: SqsBatchClient = {
        async send(command) {
          call++;
          const entries = command.input.Entries ?? [];
          if (call > 1) return sqs.client.send(command);
          // First attempt: SQS takes the even entries and fails the odd ones (a server-side fault).
          const taken = entries.filter((_, i) => i % 2 === 0);
          const output = await sqs.client.send(
            new SendMessageBatchCommandClass({ QueueUrl: command.input.QueueUrl, Entries: taken }),
          );
          return {
            ...output,
            Failed: entries
              .filter((_, i) => i % 2 === 1)
              .map((entry) => ({
                Id: entry.Id,
                SenderFault: false,
                Code: 'InternalError',
                Message: 'try again',
              })),
          };
        },
      };
      const client = new RecordingClient(partial);
      const { sleeps, sleep } = recordSleeps();
      const sender = new SqsEventSender({ client, queueUrl, sleep, random: () => 0.5 });
      const outcome = await sender.send(events(10));

      expect(outcome).to.deep.equal({ sent: 10, failed: 0 });
      expect(client.batches.map((batch) => batch.ids)).to.deep.equal([
        ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
        ['1', '3', '5', '7', '9'],
      ]);
      expect(sleeps).to.deep.equal([50]);
      const bodies = await sqs.receiveAll(queueUrl);
      expect(bodies.map((body) => (JSON.parse(body) as SensorEvent).id).sort()).to.deep.equal(
        events(10)
          .map((event) => event.id)
          .sort(),
      );
    });

    it('counts an event over 1 MiB (UTF-8 bytes) as failed and sends the others', async () => {
      const client = new RecordingClient(sqs.client);
      const sender = new SqsEventSender({ client, queueUrl });
      const batch = events(5);
      // 600k characters but 1.2 MB in UTF-8.
      batch[2] = { ...batch[2]!, dataJson: JSON.stringify({ County: 'Adams', note: 'é'.repeat(600_000) }) };
      const outcome = await sender.send(batch);

      expect(outcome.sent).to.equal(4);
      expect(outcome.failed).to.equal(1);
      expect(outcome.error).to.match(/larger than the SQS limit of 1048576 bytes/);
      expect(outcome.error).not.to.include('éé');
      expect(client.batches.map((b) => b.ids)).to.deep.equal([['0', '1', '3', '4']]);
      const ids = (await sqs.receiveAll(queueUrl)).map((body) => (JSON.parse(body) as SensorEvent).id).sort();
      expect(ids).to.deep.equal(['id-0', 'id-1', 'id-3', 'id-4']);
    });

    it('splits a batch over 1 MiB in all into several requests', async () => {
      const client = new RecordingClient(sqs.client);
      const sender = new SqsEventSender({ client, queueUrl });
      const batch = events(4).map((event) => ({
        ...event,
        dataJson: JSON.stringify({ ...JSON.parse(event.dataJson), blob: 'x'.repeat(400_000) }),
      }));
      const outcome = await sender.send(batch);

      expect(outcome).to.deep.equal({ sent: 4, failed: 0 });
      expect(client.batches.map((b) => b.ids)).to.deep.equal([
        ['0', '1'],
        ['2', '3'],
      ]);
      for (const b of client.batches) expect(b.bytes).to.be.at.most(1024 * 1024);
      expect(await sqs.receiveAll(queueUrl)).to.have.length(4);
    });

    it('rejects with StackStateError when the queue does not exist', async () => {
      const missing = queueUrl.replace(/events-\d+$/, 'no-such-queue');
      const sender = new SqsEventSender({ client: sqs.client, queueUrl: missing, sleep: async () => {} });
      const error = await sender.send(events(3)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(StackStateError);
      expect((error as Error).message).to.equal(
        `The queue ${missing} does not exist: deploy the stack (sensorpipe deploy) or pass the right --queue-url.`,
      );
    });

    it('stops the stream when the queue does not exist', async () => {
      const missing = queueUrl.replace(/events-\d+$/, 'no-such-queue');
      const sender = new SqsEventSender({ client: sqs.client, queueUrl: missing });
      const error = await streamEvents(rows(25), sender, { intervalMs: 0, clock: systemClock }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(StackStateError);
    });
  });

  describe('with a fake client', () => {
    it('counts an entry that always fails as failed after maxAttempts, with its code', async () => {
      const client = fakeClient(async (command) => {
        const output = acceptAll(command);
        return {
          ...output,
          Successful: output.Successful?.filter((entry) => entry.Id !== '3'),
          Failed: [{ Id: '3', SenderFault: false, Code: 'InternalError', Message: 'internal' }],
        };
      });
      const { sleeps, sleep } = recordSleeps();
      const sender = new SqsEventSender({ client, queueUrl: 'q', sleep, random: () => 1, maxAttempts: 4 });
      const outcome = await sender.send(events(8));

      expect(outcome.sent).to.equal(7);
      expect(outcome.failed).to.equal(1);
      expect(outcome.error).to.include('InternalError');
      expect(outcome.error).to.include('gave up after 4 attempts');
      expect(client.calls).to.equal(4);
      expect(sleeps).to.deep.equal([100, 200, 400]);
    });

    it('does not retry an entry that cannot succeed (invalid contents)', async () => {
      const client = fakeClient(async (command) => {
        const output = acceptAll(command);
        return {
          ...output,
          Successful: output.Successful?.filter((entry) => entry.Id !== '0'),
          Failed: [
            { Id: '0', SenderFault: true, Code: 'InvalidMessageContents', Message: 'Invalid characters' },
          ],
        };
      });
      const { sleeps, sleep } = recordSleeps();
      const sender = new SqsEventSender({ client, queueUrl: 'q', sleep });
      const outcome = await sender.send(events(3));

      expect(outcome).to.deep.equal({
        sent: 2,
        failed: 1,
        error: '1 of 3 events not sent: InvalidMessageContents: Invalid characters',
      });
      expect(client.calls).to.equal(1);
      expect(sleeps).to.deep.equal([]);
    });

    it('retries throttling with growing backoff bounds, then sends everything', async () => {
      const client = fakeClient(async (command, call) => {
        if (call === 1) throw awsError('ThrottlingException', 400);
        if (call === 2) throw awsError('RequestThrottled', 403);
        if (call === 3) throw awsError('ServiceUnavailable', 503);
        return acceptAll(command);
      });
      const { sleeps, sleep } = recordSleeps();
      const randoms: number[] = [];
      const sender = new SqsEventSender({
        client,
        queueUrl: 'q',
        sleep,
        random: () => {
          randoms.push(1);
          return 1;
        },
      });
      const outcome = await sender.send(events(10));

      expect(outcome).to.deep.equal({ sent: 10, failed: 0 });
      expect(client.calls).to.equal(4);
      expect(sleeps).to.deep.equal([100, 200, 400]);
      expect(randoms).to.have.length(3);
    });

    it('uses full jitter: the sleep is random() times the bound', async () => {
      const client = fakeClient(async (command, call) => {
        if (call <= 2) throw awsError('InternalError', 500);
        return acceptAll(command);
      });
      const { sleeps, sleep } = recordSleeps();
      const values = [0.25, 0.75];
      const sender = new SqsEventSender({ client, queueUrl: 'q', sleep, random: () => values.shift() ?? 0 });
      expect(await sender.send(events(2))).to.deep.equal({ sent: 2, failed: 0 });
      expect(sleeps).to.deep.equal([25, 150]);
    });

    it('counts the batch failed (does not throw) when throttling outlasts the retries', async () => {
      const client = fakeClient(async () => {
        throw awsError('ThrottlingException', 400);
      });
      const { sleeps, sleep } = recordSleeps();
      const sender = new SqsEventSender({ client, queueUrl: 'q', sleep, random: () => 1, maxAttempts: 3 });
      const outcome = await sender.send(events(10));

      expect(outcome.sent).to.equal(0);
      expect(outcome.failed).to.equal(10);
      expect(outcome.error).to.include('ThrottlingException');
      expect(client.calls).to.equal(3);
      expect(sleeps).to.deep.equal([100, 200]);
    });

    it('retries a dropped connection and a timeout', async () => {
      const client = fakeClient(async (command, call) => {
        if (call === 1) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        if (call === 2) throw Object.assign(new Error('Connection timed out'), { name: 'TimeoutError' });
        return acceptAll(command);
      });
      const { sleep } = recordSleeps();
      const sender = new SqsEventSender({ client, queueUrl: 'q', sleep });
      expect(await sender.send(events(5))).to.deep.equal({ sent: 5, failed: 0 });
      expect(client.calls).to.equal(3);
    });

    it('retries a dropped connection against fauxqs', async () => {
      const sqs = await startFauxqs();
      try {
        const queueUrl = await sqs.createQueue();
        let dropped = false;
        const client: SqsBatchClient = {
          send(command) {
            if (!dropped) {
              dropped = true;
              return Promise.reject(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
            }
            return sqs.client.send(command);
          },
        };
        const sender = new SqsEventSender({ client, queueUrl, sleep: async () => {} });
        expect(await sender.send(events(10))).to.deep.equal({ sent: 10, failed: 0 });
        expect(await sqs.receiveAll(queueUrl)).to.have.length(10);
      } finally {
        await sqs.close();
      }
    });

    for (const code of ['AccessDenied', 'AccessDeniedException', 'ExpiredToken', 'InvalidClientTokenId']) {
      it(`rejects with a one-line EnvironmentError on ${code}, without the message body`, async () => {
        const client = fakeClient(async () => {
          throw awsError(code, 403);
        });
        const sender = new SqsEventSender({ client, queueUrl: 'q', sleep: async () => {} });
        const error = await sender.send(events(3, 'SECRET-COUNTY')).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(EnvironmentError);
        const message = (error as Error).message;
        expect(message).to.equal(
          `AWS refused the request (${code}): refresh your credentials (aws sso login, or new keys) and try again.`,
        );
        expect(message).not.to.include('\n');
        expect(message).not.to.include('SECRET-COUNTY');
        expect(client.calls).to.equal(1);
      });
    }

    it('recognises the query-protocol code of a missing queue', async () => {
      const client = fakeClient(async () => {
        throw Object.assign(awsError('QueueDoesNotExist', 400), {
          Code: 'AWS.SimpleQueueService.NonExistentQueue',
        });
      });
      const sender = new SqsEventSender({
        client,
        queueUrl: 'https://sqs.example/1/q',
        sleep: async () => {},
      });
      const error = await sender.send(events(1)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(StackStateError);
      expect((error as Error).message).to.include('https://sqs.example/1/q');
    });

    it('counts a batch failed, without retrying, on another client error', async () => {
      const client = fakeClient(async () => {
        throw awsError('InvalidParameterValue', 400);
      });
      const { sleeps, sleep } = recordSleeps();
      const sender = new SqsEventSender({ client, queueUrl: 'q', sleep });
      const outcome = await sender.send(events(4));
      expect(outcome.sent).to.equal(0);
      expect(outcome.failed).to.equal(4);
      expect(outcome.error).to.include('InvalidParameterValue');
      expect(client.calls).to.equal(1);
      expect(sleeps).to.deep.equal([]);
    });

    it('has the SendMessageBatch limits and the default in-flight count', () => {
      const sender = new SqsEventSender({ client: fakeClient(async (c) => acceptAll(c)), queueUrl: 'q' });
      expect(sender.maxBatchSize).to.equal(10);
      expect(sender.maxInFlight).to.equal(16);
    });
  });
});
