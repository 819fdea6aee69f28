import {
  type SendMessageBatchCommand,
  SendMessageBatchCommand as SendMessageBatchCommandClass,
  type SendMessageBatchCommandOutput,
  SQSClient,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import { type Clock, systemClock } from '../../../src/core/clock.js';
import { EnvironmentError, ExitCode, StackStateError } from '../../../src/core/errors.js';
import { eventBody, type OutgoingEvent, type SensorEvent } from '../../../src/core/event.js';
import { type SourceItem, streamEvents } from '../../../src/core/streamer.js';
import { SQS_MAX_IN_FLIGHT } from '../../../src/targets/aws/environment.js';
import { type SqsBatchClient, SqsEventSender } from '../../../src/targets/aws/sqs-sender.js';
import { type LocalSqs, startFauxqs } from '../../../testkit/aws/fauxqs.js';
import {
  type AwsStandIn,
  quickRetries,
  STAND_IN_CLIENT,
  startAwsStandIn,
} from '../../../testkit/aws/stand-in.js';
import { instantClock } from '../../../testkit/clock.js';

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

/** A clock whose sleeps record their durations and return at once. */
function recordSleeps(): { sleeps: number[]; clock: Clock } {
  const clock = instantClock();
  return { sleeps: clock.sleeps, clock };
}

/** Events whose bodies are exactly these sizes in bytes (ASCII). */
function eventsOfBytes(sizes: number[]): OutgoingEvent[] {
  return events(sizes.length).map((event, i) => {
    const bare = eventBody({ ...event, dataJson: '{"b":""}' }).length;
    return { ...event, dataJson: JSON.stringify({ b: 'x'.repeat(sizes[i]! - bare) }) };
  });
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
      const { sleeps, clock } = recordSleeps();
      const sender = new SqsEventSender({ client, queueUrl, clock, random: () => 0.5 });
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
      expect(outcome.failedIndexes).to.deep.equal([2]);
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

    it('sends exactly 1 MiB in one request, and one byte more in two', async () => {
      const half = 512 * 1024;
      const exact = new RecordingClient(sqs.client);
      const atLimit = await new SqsEventSender({ client: exact, queueUrl }).send(eventsOfBytes([half, half]));
      expect(atLimit).to.deep.equal({ sent: 2, failed: 0 });
      expect(exact.batches.map((b) => b.bytes)).to.deep.equal([1024 * 1024]);

      const over = new RecordingClient(sqs.client);
      const overLimit = await new SqsEventSender({ client: over, queueUrl }).send(
        eventsOfBytes([half, half + 1]),
      );
      expect(overLimit).to.deep.equal({ sent: 2, failed: 0 });
      expect(over.batches.map((b) => b.bytes)).to.deep.equal([half, half + 1]);
      expect(await sqs.receiveAll(queueUrl)).to.have.length(4);
    });

    it('rejects with StackStateError when the queue does not exist', async () => {
      const missing = queueUrl.replace(/events-\d+$/, 'no-such-queue');
      const sender = new SqsEventSender({ client: sqs.client, queueUrl: missing });
      const error = await sender.send(events(3)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(StackStateError);
      expect(error).to.include({ code: 'AWS_RESOURCE_MISSING' });
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

  describe('whole requests: the SDK retries them, the sender does not (stand-in in front of fauxqs)', () => {
    let sqs: LocalSqs;
    let queueUrl: string;
    let proxy: AwsStandIn;
    let client: SQSClient;
    let faults: ('throttle' | 'busy' | 'unavailable' | 'drop' | 'lose-answer')[];

    before(async () => {
      sqs = await startFauxqs();
    });
    after(async () => {
      await sqs.close();
    });
    beforeEach(async () => {
      queueUrl = await sqs.createQueue();
      faults = [];
      proxy = await startAwsStandIn({
        upstream: sqs.endpoint,
        answer: () => {
          switch (faults.shift()) {
            case 'throttle':
              return { kind: 'error', code: 'ThrottlingException' };
            case 'busy':
              return { kind: 'error', code: 'RequestThrottled', status: 403 };
            case 'unavailable':
              return { kind: 'error', code: 'ServiceUnavailable', status: 503 };
            case 'drop':
              return { kind: 'drop' };
            case 'lose-answer':
              return { kind: 'lose-answer' };
            default:
              return { kind: 'forward' };
          }
        },
      });
      client = new SQSClient({ ...STAND_IN_CLIENT, endpoint: proxy.url, retryStrategy: quickRetries(5) });
    });
    afterEach(async () => {
      client.destroy();
      await proxy.close();
    });

    it('sends a request once; the SDK retries throttling and a 503 until it goes through', async () => {
      faults.push('throttle', 'busy', 'unavailable');
      const recording = new RecordingClient(client);
      const { sleeps, clock } = recordSleeps();
      const outcome = await new SqsEventSender({ client: recording, queueUrl, clock }).send(events(10));

      expect(outcome).to.deep.equal({ sent: 10, failed: 0 });
      expect(recording.batches).to.have.length(1);
      expect(proxy.requests).to.have.length(4);
      expect(sleeps).to.deep.equal([]);
      expect(await sqs.receiveAll(queueUrl)).to.have.length(10);
    });

    it('counts the batch failed, without a retry of its own, when throttling outlasts the SDK', async () => {
      faults.push(...Array.from({ length: 10 }, () => 'throttle' as const));
      const recording = new RecordingClient(client);
      const outcome = await new SqsEventSender({ client: recording, queueUrl }).send(events(10));

      expect(outcome).to.deep.include({ sent: 0, failed: 10 });
      expect(outcome.error).to.equal(
        '10 of 10 events not sent: SendMessageBatch failed: ThrottlingException (HTTP 400)',
      );
      // Five attempts, all the SDK's: no retries stacked on top of them.
      expect(recording.batches).to.have.length(1);
      expect(proxy.requests).to.have.length(5);
    });

    it('gets through a dropped connection and a lost answer (SQS then holds the lost batch twice)', async () => {
      faults.push('drop', 'lose-answer');
      const outcome = await new SqsEventSender({ client, queueUrl }).send(events(10));

      expect(outcome).to.deep.equal({ sent: 10, failed: 0 });
      expect(proxy.requests).to.have.length(3);
      const ids = (await sqs.receiveAll(queueUrl)).map((body) => (JSON.parse(body) as SensorEvent).id);
      expect(ids).to.have.length(20);
      expect(new Set(ids).size).to.equal(10);
    });
  });

  describe('with a fake client', () => {
    it('counts an entry that always fails as failed after the retry attempts, with its code', async () => {
      const client = fakeClient(async (command) => {
        const output = acceptAll(command);
        return {
          ...output,
          Successful: output.Successful?.filter((entry) => entry.Id !== '3'),
          Failed: [{ Id: '3', SenderFault: false, Code: 'InternalError', Message: 'internal' }],
        };
      });
      const { sleeps, clock } = recordSleeps();
      const sender = new SqsEventSender({
        client,
        queueUrl: 'q',
        clock,
        random: () => 1,
        retry: { maxAttempts: 4 },
      });
      const outcome = await sender.send(events(8));

      expect(outcome.sent).to.equal(7);
      expect(outcome.failed).to.equal(1);
      expect(outcome.failedIndexes).to.deep.equal([3]);
      expect(outcome.error).to.include('InternalError');
      expect(outcome.error).to.include('gave up after 4 attempts');
      expect(client.calls).to.equal(4);
      expect(sleeps).to.deep.equal([100, 200, 400]);
    });

    it('waits full jitter before sending failed entries again: random() times the bound', async () => {
      const client = fakeClient(async (command, call) => {
        const output = acceptAll(command);
        if (call > 2) return output;
        return {
          ...output,
          Successful: [],
          Failed: (command.input.Entries ?? []).map((e) => ({
            Id: e.Id,
            SenderFault: false,
            Code: 'InternalError',
          })),
        };
      });
      const { sleeps, clock } = recordSleeps();
      const values = [0.25, 0.75];
      const sender = new SqsEventSender({ client, queueUrl: 'q', clock, random: () => values.shift() ?? 0 });
      expect(await sender.send(events(2))).to.deep.equal({ sent: 2, failed: 0 });
      expect(sleeps).to.deep.equal([25, 150]);
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
      const { sleeps, clock } = recordSleeps();
      const sender = new SqsEventSender({ client, queueUrl: 'q', clock });
      const outcome = await sender.send(events(3));

      expect(outcome).to.deep.equal({
        sent: 2,
        failed: 1,
        error: '1 of 3 events not sent: InvalidMessageContents: Invalid characters',
        failedIndexes: [0],
      });
      expect(client.calls).to.equal(1);
      expect(sleeps).to.deep.equal([]);
    });

    it('stops waiting to send failed entries again on Ctrl-C, and counts them failed', async () => {
      const client = fakeClient(async (command) => ({
        ...acceptAll(command),
        Successful: [],
        Failed: (command.input.Entries ?? []).map((e) => ({
          Id: e.Id,
          SenderFault: false,
          Code: 'InternalError',
        })),
      }));
      const controller = new AbortController();
      const sender = new SqsEventSender({
        client,
        queueUrl: 'q',
        clock: systemClock,
        signal: controller.signal,
        random: () => 1,
        retry: { baseDelayMs: 60_000 },
      });
      const sending = sender.send(events(3));
      setTimeout(() => controller.abort(), 20);
      const started = Date.now();
      const outcome = await sending;

      expect(Date.now() - started).to.be.below(5_000);
      expect(outcome).to.deep.equal({
        sent: 0,
        failed: 3,
        error: '3 of 3 events not sent: InternalError (interrupted before it was sent again)',
      });
      expect(client.calls).to.equal(1);
    });

    it('counts a batch failed, and does not send it again, when a whole request fails', async () => {
      const client = fakeClient(async () => {
        throw awsError('ThrottlingException', 400);
      });
      const { sleeps, clock } = recordSleeps();
      const outcome = await new SqsEventSender({ client, queueUrl: 'q', clock }).send(events(10));

      expect(outcome).to.deep.include({ sent: 0, failed: 10 });
      expect(outcome.error).to.include('ThrottlingException');
      expect(client.calls).to.equal(1);
      expect(sleeps).to.deep.equal([]);
    });

    it('counts a dropped connection or a timeout failed: the SDK has already retried them', async () => {
      const client = fakeClient(async (_command, call) => {
        if (call === 1) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        throw Object.assign(new Error('Connection timed out'), { name: 'TimeoutError' });
      });
      const sender = new SqsEventSender({ client, queueUrl: 'q' });
      expect(await sender.send(events(5))).to.deep.include({ sent: 0, failed: 5 });
      expect((await sender.send(events(5))).error).to.include('TimeoutError');
      expect(client.calls).to.equal(2);
    });

    const refusals: [string, number, string][] = [
      ['AccessDenied', 403, 'AWS_ACCESS_DENIED'],
      ['AccessDeniedException', 400, 'AWS_ACCESS_DENIED'],
      ['ExpiredToken', 403, 'AWS_EXPIRED_TOKEN'],
      ['ExpiredTokenException', 400, 'AWS_EXPIRED_TOKEN'],
      ['InvalidClientTokenId', 403, 'AWS_INVALID_CREDENTIALS'],
      ['InvalidSecurity', 403, 'AWS_INVALID_CREDENTIALS'],
    ];
    for (const [name, status, code] of refusals) {
      it(`rejects with a one-line EnvironmentError on ${name} (${code}), without the message body`, async () => {
        const client = fakeClient(async () => {
          throw awsError(name, status);
        });
        const sender = new SqsEventSender({ client, queueUrl: 'q' });
        const error = await sender.send(events(3, 'SECRET-COUNTY')).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(EnvironmentError);
        expect(error).to.include({ code, exitCode: ExitCode.environment });
        const message = (error as Error).message;
        expect(message).to.include(name);
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
      const sender = new SqsEventSender({ client, queueUrl: 'https://sqs.example/1/q' });
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
      const { sleeps, clock } = recordSleeps();
      const sender = new SqsEventSender({ client, queueUrl: 'q', clock });
      const outcome = await sender.send(events(4));
      expect(outcome.sent).to.equal(0);
      expect(outcome.failed).to.equal(4);
      expect(outcome.error).to.equal(
        '4 of 4 events not sent: SendMessageBatch failed: InvalidParameterValue (HTTP 400): InvalidParameterValue happened',
      );
      expect(client.calls).to.equal(1);
      expect(sleeps).to.deep.equal([]);
    });

    it('stops the stream on an error that is not AWS’s (a bug), rather than failing every batch', async () => {
      const client = fakeClient(async () => {
        throw new TypeError('client is broken');
      });
      const error = await new SqsEventSender({ client, queueUrl: 'q' }).send(events(1)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(TypeError);
    });

    it('counts what SQS throttled: the attempts its client saw, and entries failed as throttled', async () => {
      const client = fakeClient(async (command, call) => {
        const output = acceptAll(command);
        if (call > 1) return output;
        return {
          ...output,
          Successful: output.Successful?.slice(2),
          Failed: [
            { Id: '0', SenderFault: true, Code: 'RequestThrottled', Message: 'slow down' },
            { Id: '1', SenderFault: false, Code: 'InternalError', Message: 'try again' },
          ],
        };
      });
      let seenByClient = 3;
      const { clock } = recordSleeps();
      const sender = new SqsEventSender({ client, queueUrl: 'q', clock, throttles: () => seenByClient });
      expect(await sender.send(events(5))).to.deep.equal({ sent: 5, failed: 0 });
      expect(sender.throttles()).to.equal(3 + 1);
      seenByClient = 10;
      expect(sender.throttles()).to.equal(10 + 1);
      expect(new SqsEventSender({ client, queueUrl: 'q' }).throttles()).to.equal(0);
    });

    it('has the SendMessageBatch limits, and in flight 16 at least and the connection pool at most', () => {
      const sender = new SqsEventSender({ client: fakeClient(async (c) => acceptAll(c)), queueUrl: 'q' });
      expect(sender.maxBatchSize).to.equal(10);
      expect(sender.minInFlight).to.equal(16);
      expect(sender.maxInFlight).to.equal(SQS_MAX_IN_FLIGHT);
      expect(SQS_MAX_IN_FLIGHT).to.equal(256);
      const small = new SqsEventSender({
        client: fakeClient(async (c) => acceptAll(c)),
        queueUrl: 'q',
        maxInFlight: 4,
      });
      expect([small.minInFlight, small.maxInFlight]).to.deep.equal([4, 4]);
    });
  });
});
