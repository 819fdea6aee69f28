/**
 * Fault scenarios on the local target: each injects a fault, lets the pipeline recover, and counts
 * the events the queue accepted, stored, lost and counted twice. Run by `npm run faults` at larger
 * counts (a table) and by `npm test` at small ones (test/faults/scenarios.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventBody } from '../src/core/event.js';
import { uuidv7 } from '../src/core/id.js';
import { storeRecords } from '../src/core/storing.js';
import { databasePath, openExisting, WriteTransactions } from '../src/targets/local/database.js';
import { LocalTarget } from '../src/targets/local/local-target.js';
import { LocalQueue } from '../src/targets/local/queue.js';
import { SqliteEventRepository } from '../src/targets/local/repositories.js';
import { invokeFromQueue } from '../testkit/aws/event-source-mapping.js';
import { type Running, start } from '../testkit/cli.js';
import { fakeClock, instantClock } from '../testkit/clock.js';
import { auditLocalStack } from '../testkit/local.js';

export interface FaultRow {
  scenario: string;
  /** local: the SQLite target; lambda: the storing handler on dynalite and fauxqs; sqs: the producer on fauxqs. */
  target: 'local' | 'lambda' | 'sqs';
  accepted: number;
  stored: number;
  lost: number;
  countedTwice: number;
  deadLetters: number;
  /** Anything else that must hold (integrity check, no lock errors), '' when all did. */
  problems: string;
}

export const passed = (row: FaultRow) => row.lost === 0 && row.countedTwice === 0 && row.problems === '';

const COUNTIES = ['Albany', 'Erie', 'Kings', 'Tioga', 'St. Lawrence'];

function goodBodies(n: number, time: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const county = COUNTIES[i % COUNTIES.length] as string;
    return eventBody({
      id: uuidv7(time),
      time,
      county,
      dataJson: JSON.stringify({ County: county, n: String(i) }),
    });
  });
}

/**
 * What a local stack holds, through the target's own audit: events stored, how many more the counts
 * that aggregation reads hold (counted twice), dead letters, and SQLite's integrity check.
 */
async function tally(dir: string): Promise<{
  stored: number;
  countedTwice: number;
  deadLetters: number;
  queued: number;
  integrity: string;
}> {
  const audit = await auditLocalStack(dir, 'faults');
  return {
    stored: audit.eventsStored,
    countedTwice: Math.max(0, audit.eventsCounted - audit.eventsStored),
    deadLetters: audit.deadLetters,
    queued: audit.queued,
    integrity: audit.integrity,
  };
}

function withStackDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'sensorpipe-faults-'));
  return run(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/**
 * 1. Poison messages (not JSON, no county, wrong types, oversized) mixed into good ones: every good
 * event stored once, every poison message dead-lettered after MaxReceiveCount receives.
 */
export function poison(good: number, bad: number): Promise<FaultRow> {
  return withStackDir(async (dir) => {
    const clock = fakeClock(Date.UTC(2026, 10, 28, 12));
    const target = new LocalTarget({ dataDir: dir, stackName: 'faults', clock });
    const maxReceives = 3;
    await target.deploy({ MaxReceiveCount: maxReceives, ScheduleEnabled: false });
    const kinds = [
      '{"not json',
      JSON.stringify({ id: 'x', time: clock.now(), data: {} }),
      JSON.stringify({ id: 7, time: 'soon', county: 'Erie', data: {} }),
      JSON.stringify({ id: 'big', time: clock.now(), county: 'Erie', data: { blob: 'x'.repeat(1_100_000) } }),
    ];
    const poisonBodies = Array.from({ length: bad }, (_, i) => kinds[i % kinds.length] as string);
    const bodies = goodBodies(good, clock.now());
    // Poison spread among the good ones, so batches mix both.
    for (const [i, body] of poisonBodies.entries())
      bodies.splice(Math.floor((i * bodies.length) / bad), 0, body);
    const db = openExisting(target.location, 'faults');
    db.transaction(() => new LocalQueue(db).send(bodies, clock.now())).immediate();
    db.close();
    for (let round = 0; round <= maxReceives; round++) {
      await target.aggregate(); // drains: stores what it can, fails the poison
      clock.advance(180_000 + 1); // the visibility timeout, so failures come back
    }
    await target.aggregate();
    await target.close();
    const t = await tally(dir);
    return {
      scenario: `poison: ${bad} bad among ${good} good`,
      target: 'local',
      accepted: good + bad,
      stored: t.stored,
      lost: good - t.stored,
      countedTwice: t.countedTwice,
      deadLetters: t.deadLetters,
      problems: [
        t.deadLetters === bad ? '' : `${t.deadLetters} dead letters, expected ${bad}`,
        t.integrity === 'ok' ? '' : t.integrity,
      ]
        .filter(Boolean)
        .join('; '),
    };
  });
}

/** 2. Redelivery: every batch delivered three times (the storing function runs each time), then deleted. */
export function redelivery(n: number, batchSize = 100): Promise<FaultRow> {
  return withStackDir(async (dir) => {
    const clock = fakeClock(Date.UTC(2026, 10, 28, 12));
    const target = new LocalTarget({ dataDir: dir, stackName: 'faults', clock });
    await target.deploy({ ScheduleEnabled: false });
    await target.close();
    const db = openExisting(databasePath(dir, 'faults'), 'faults');
    try {
      const queue = new LocalQueue(db);
      const events = new SqliteEventRepository(db);
      // Each step its own transaction, as separate invocations would be.
      const step = new WriteTransactions(db);
      await step.run(() => queue.send(goodBodies(n, clock.now()), clock.now()));
      const options = {
        maxMessages: batchSize,
        visibilityTimeoutMs: 1000,
        maxReceiveCount: 10,
        batchingWindowMs: 0,
      };
      for (;;) {
        let last = await step.run(() => queue.receive({ ...options, now: clock.now() }));
        if (last.length === 0) break;
        for (let delivery = 1; delivery <= 3; delivery++) {
          const batch = last;
          await step.run(() => storeRecords(batch, { events, ttlMinutes: 60 }));
          if (delivery < 3) {
            clock.advance(1001); // the visibility timeout runs out: the batch comes back
            last = await step.run(() => queue.receive({ ...options, now: clock.now() }));
          }
        }
        const processed = last;
        await step.run(() => queue.delete(processed));
      }
    } finally {
      db.close();
    }
    const t = await tally(dir);
    return {
      scenario: `redelivery: every batch of ${batchSize} delivered 3 times`,
      target: 'local',
      accepted: n,
      stored: t.stored,
      lost: n - t.stored,
      countedTwice: t.countedTwice,
      deadLetters: t.deadLetters,
      problems: t.integrity === 'ok' ? '' : t.integrity,
    };
  });
}

/** The CLI on a local stack, through the test kit's runner and environment policy. */
function runCli(bin: string, args: string[]): Running {
  return start(args, { bin, env: { SENSORPIPE_TARGET: 'local' }, timeoutMs: 10 * 60_000 });
}

function csvFile(dir: string, rows: number): string {
  const file = join(dir, 'rows.csv');
  const lines = [
    'Name,County',
    ...Array.from({ length: rows }, (_, i) => `r${i},${COUNTIES[i % COUNTIES.length]}`),
  ];
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * 3. Crash: `stream` killed with SIGKILL at random points. What the queue accepted is what sits in
 * the queue or is stored (both are committed together); after a restart and a drain, all of it must
 * be stored exactly once, and the database must pass integrity_check.
 */
export function crash(bin: string, kills: number, random: () => number = Math.random): Promise<FaultRow> {
  return withStackDir(async (dir) => {
    const stack = ['--data-dir', dir, '--stack-name', 'faults'];
    await runCli(bin, ['deploy', ...stack]).done;
    const file = csvFile(dir, 500);
    let accepted = 0;
    const problems: string[] = [];
    for (let k = 0; k < kills; k++) {
      const run = runCli(bin, ['stream', ...stack, '--interval-ms', '0.2', '--file', file]);
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.floor(random() * 1200)));
      run.child.kill('SIGKILL');
      await run.done;
      // Accepted so far: committed to the queue, whether stored yet or not.
      const { queued: inQueue, stored } = await tally(dir);
      // A message leaves the queue only in the transaction that stores it: the sum never goes down.
      if (inQueue + stored < accepted)
        problems.push(`after kill ${k + 1}, ${accepted - inQueue - stored} accepted events vanished`);
      accepted = inQueue + stored;
    }
    await runCli(bin, ['aggregate', ...stack]).done; // restart: drains the queue
    const t = await tally(dir);
    return {
      scenario: `crash: stream killed with SIGKILL ${kills} times`,
      target: 'local',
      accepted,
      stored: t.stored,
      lost: accepted - t.stored,
      countedTwice: t.countedTwice,
      deadLetters: t.deadLetters,
      problems: [...problems, t.integrity === 'ok' ? '' : `integrity_check: ${t.integrity}`]
        .filter(Boolean)
        .join('; '),
    };
  });
}

/** 4. Concurrency: four streams and an `aggregate --watch` on one stack: exact totals, no lock error. */
export function concurrency(bin: string, rowsPerStream: number): Promise<FaultRow> {
  return withStackDir(async (dir) => {
    const stack = ['--data-dir', dir, '--stack-name', 'faults'];
    await runCli(bin, ['deploy', ...stack]).done;
    const file = csvFile(dir, rowsPerStream);
    const watch = runCli(bin, ['aggregate', ...stack, '--watch', '1']);
    const streams = Array.from({ length: 4 }, () =>
      runCli(bin, ['stream', ...stack, '--once', '--interval-ms', '0', '--file', file]),
    );
    const results = await Promise.all(streams.map((s) => s.done));
    watch.child.kill('SIGINT');
    const watched = await watch.done;
    const t = await tally(dir);
    const stderr = [...results.map((r) => r.stderr), watched.stderr].join('\n');
    const failedRuns = results.filter((r) => r.code !== 0).length + (watched.code === 0 ? 0 : 1);
    const accepted = 4 * rowsPerStream;
    return {
      scenario: `concurrency: 4 streams of ${rowsPerStream} and aggregate --watch`,
      target: 'local',
      accepted,
      stored: t.stored,
      lost: accepted - t.stored,
      countedTwice: t.countedTwice,
      deadLetters: t.deadLetters,
      problems: [
        /database is locked/i.test(stderr) ? '"database is locked" shown' : '',
        failedRuns > 0 ? `${failedRuns} runs failed` : '',
        t.integrity === 'ok' ? '' : t.integrity,
      ]
        .filter(Boolean)
        .join('; '),
    };
  });
}

/**
 * 1, 2 and 5 on the Lambda path: the built storing bundle (what ships), over dynalite, fed from a
 * fauxqs queue with a redrive policy (MaxReceiveCount 3, visibility timeout 1 s) by an event source
 * mapping played here; poison mixed in, and `faultRate` of the BatchWriteItem calls faulted, evenly
 * spread: half their items handed back unprocessed (the repository writes them again), or their
 * request throttled or its answer lost on the way back, through a stand-in for DynamoDB's endpoint
 * (the SDK retries those, as it does against AWS). `faultRate` of the per-second counter updates too:
 * throttled or their answer lost (the SDK retries; a lost answer adds twice, which only makes a
 * second be read again), or failed outright once per second (those events' messages come back). The
 * aggregation counts every few invocations, caching per-second counts as on AWS; stored is looked
 * up by key, and the last count must equal it.
 */
export async function lambdaPath(options: {
  /** dist/lambdas/storing.js of a build: the bundle that ships. */
  bundle: string;
  good: number;
  bad: number;
  faultRate: number;
  /** Times each batch is delivered (the handler runs each time) before it is deleted. */
  deliveries?: number;
  random?: () => number;
}): Promise<FaultRow> {
  const { good, bad, faultRate, deliveries = 1, random = Math.random } = options;
  const [
    { startFauxqs },
    { startDynalite, dynamoClient },
    { startAwsStandIn, quickRetries },
    sqsApi,
    docs,
    repos,
  ] = await Promise.all([
    import('../testkit/aws/fauxqs.js'),
    import('../testkit/aws/dynalite.js'),
    import('../testkit/aws/stand-in.js'),
    import('@aws-sdk/client-sqs'),
    import('@aws-sdk/lib-dynamodb'),
    import('../src/targets/aws/dynamo-repositories.js'),
  ]);
  const { createStoringHandler } = createRequire(import.meta.url)(
    options.bundle,
  ) as typeof import('../lambdas/storing.js');
  const [sqs, dynamo] = await Promise.all([startFauxqs(), startDynalite()]);
  let faults = 0;
  // Faults the next BatchWriteItem or UpdateItem requests get on their first attempt; the SDK's retry
  // goes through.
  const requestFaults: ('throttle' | 'lose-answer')[] = [];
  const standIn = await startAwsStandIn({
    upstream: dynamo.endpoint,
    answer: (request) => {
      const faulted = request.operation === 'BatchWriteItem' || request.operation === 'UpdateItem';
      if (!faulted || request.attempt > 1) return { kind: 'forward' };
      const fault = requestFaults.shift();
      if (fault === 'throttle') return { kind: 'error', code: 'ProvisionedThroughputExceededException' };
      return fault === 'lose-answer' ? { kind: 'lose-answer' } : { kind: 'forward' };
    },
  });
  const client = dynamoClient(standIn.url, { retryStrategy: quickRetries() });
  try {
    const { eventsTable } = await dynamo.createTables();
    const dlqUrl = await sqs.createQueue();
    const { Attributes } = await sqs.client.send(
      new sqsApi.GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
    );
    const queueUrl = (
      await sqs.client.send(
        new sqsApi.CreateQueueCommand({
          QueueName: `faults-${Date.now()}`,
          Attributes: {
            VisibilityTimeout: '1',
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: Attributes?.QueueArn,
              maxReceiveCount: '3',
            }),
          },
        }),
      )
    ).QueueUrl as string;

    // `faultRate` of the BatchWriteItem calls, evenly spread (exactly that share, at any count).
    const documents = repos.documentClientOf(client);
    const send = documents.send.bind(documents) as (command: unknown) => Promise<unknown>;
    let due = 0;
    let dueMark = 0;
    const failedMarks = new Set<unknown>();
    const partly = {
      send: async (command: unknown) => {
        if (command instanceof docs.UpdateCommand) {
          dueMark += faultRate;
          if (dueMark < 1) return send(command);
          dueMark -= 1;
          faults++;
          const kind = Math.floor(random() * 3);
          // Once per second at most, so that no good message uses up its receives on it.
          const second = command.input.Key?.sk;
          if (kind === 0 && !failedMarks.has(second)) {
            failedMarks.add(second);
            throw Object.assign(new Error('Rate exceeded'), {
              name: 'ProvisionedThroughputExceededException',
            });
          }
          requestFaults.push(kind === 1 ? 'throttle' : 'lose-answer');
          return send(command);
        }
        if (!(command instanceof docs.BatchWriteCommand)) return send(command);
        due += faultRate;
        if (due < 1) return send(command);
        due -= 1;
        faults++;
        const kind = Math.floor(random() * 3);
        if (kind > 0) {
          requestFaults.push(kind === 1 ? 'throttle' : 'lose-answer');
          return send(command);
        }
        // DynamoDB hands back half the items, unprocessed.
        const items = command.input.RequestItems?.[eventsTable] ?? [];
        const half = items.slice(0, Math.ceil(items.length / 2));
        await send(new docs.BatchWriteCommand({ RequestItems: { [eventsTable]: half } }));
        return { UnprocessedItems: { [eventsTable]: items.slice(half.length) }, $metadata: {} };
      },
    };
    const events = new repos.DynamoEventRepository(partly as typeof documents, eventsTable, {
      clock: instantClock(),
    });
    const storing = createStoringHandler({ events, ttlMinutes: 60, log: () => {} });

    const time = Date.now();
    const goodEvents = Array.from({ length: good }, (_, i) => ({
      id: uuidv7(time),
      // 7 ms apart: a batch of 100 spans 0.7 s, so batches share seconds, as they do at ~140 events/s.
      time: time + i * 7,
      county: COUNTIES[i % COUNTIES.length] as string,
    }));
    const bodies = goodEvents.map((e) => eventBody({ ...e, dataJson: JSON.stringify({ County: e.county }) }));
    for (let i = 0; i < bad; i++)
      bodies.splice(Math.floor((i * bodies.length) / bad), 0, i % 2 ? '{"not json' : '{"id":"x"}');
    for (let i = 0; i < bodies.length; i += 10) {
      await sqs.client.send(
        new sqsApi.SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body })),
        }),
      );
    }

    // The event source mapping: batches of up to 100, failures left to come back, until all is gone;
    // the aggregation counts every 5 invocations, as the schedule would while the queue drains.
    const window = { start: time - 1, end: time + good * 7 + 1, minutes: 1 };
    const aggregation = new repos.DynamoEventRepository(dynamo.documents, eventsTable);
    let invocations = 0;
    for (let idle = 0; idle < 3; ) {
      const invocation = await invokeFromQueue(sqs.client, queueUrl, 100, async (event) => {
        // Redelivery: the function runs on the same batch again before it is deleted.
        for (let extra = 1; extra < deliveries; extra++) await storing(event);
        return storing(event);
      });
      if (invocation.received > 0) {
        idle = 0;
        if (++invocations % 5 === 0) await aggregation.countByCounty(window);
      } else {
        idle++;
        await new Promise((resolve) => setTimeout(resolve, 1100)); // failures become visible again
      }
    }
    const stored = await repos.countStored(dynamo.documents, eventsTable, goodEvents);
    const counted = [...(await aggregation.countByCounty(window)).values()].reduce((a, b) => a + b, 0);
    const deadLetters = (await sqs.receiveAll(dlqUrl)).length;
    return {
      scenario: `Lambda bundle: ${bad} poison among ${good}, each batch run ${deliveries}x, ${faults} DynamoDB faults`,
      target: 'lambda',
      accepted: good + bad,
      stored,
      lost: good - stored,
      countedTwice: Math.max(0, counted - stored),
      deadLetters,
      problems: [
        deadLetters === bad ? '' : `${deadLetters} dead letters, expected ${bad}`,
        counted < stored ? `${stored - counted} stored but not counted` : '',
      ]
        .filter(Boolean)
        .join('; '),
    };
  } finally {
    client.destroy();
    await standIn.close();
    await Promise.all([sqs.close(), dynamo.close()]);
  }
}

/**
 * 6. SQS faults in `stream`: the real producer sends to fauxqs through a stand-in for SQS's endpoint
 * that throttles requests and loses the answers of requests that went through (so a retry sends a
 * message twice, as SQS's at-least-once allows): the SDK retries those, as it does against AWS. A
 * fault hits a request's first or second attempt only (faults are transient), and the SDK makes
 * five. Besides, SQS fails half the entries of some answers, which the producer sends again. Every
 * event counted as sent must be in the queue, and none may fail.
 */
export async function producer(events: number, faultRate = 0.2, random = Math.random): Promise<FaultRow> {
  const [
    { startFauxqs },
    { startAwsStandIn, quickRetries, STAND_IN_CLIENT },
    sqsApi,
    { SqsEventSender },
    { streamEvents },
  ] = await Promise.all([
    import('../testkit/aws/fauxqs.js'),
    import('../testkit/aws/stand-in.js'),
    import('@aws-sdk/client-sqs'),
    import('../src/targets/aws/sqs-sender.js'),
    import('../src/core/streamer.js'),
  ]);
  const sqs = await startFauxqs();
  const standIn = await startAwsStandIn({
    upstream: sqs.endpoint,
    answer: (request) => {
      const roll = random();
      if (request.attempt > 2 || roll >= (2 * faultRate) / 3) return { kind: 'forward' };
      return roll < faultRate / 3 ? { kind: 'error', code: 'ThrottlingException' } : { kind: 'lose-answer' };
    },
  });
  const client = new sqsApi.SQSClient({
    ...STAND_IN_CLIENT,
    endpoint: standIn.url,
    retryStrategy: quickRetries(),
  });
  try {
    const queueUrl = await sqs.createQueue();
    let refusals = 0;
    const partly = {
      send: async (command: InstanceType<typeof sqsApi.SendMessageBatchCommand>) => {
        if (random() >= faultRate / 3) return client.send(command);
        // SQS takes some entries and fails the others on its side: the producer sends those again.
        refusals++;
        const entries = command.input.Entries ?? [];
        const refused = entries.filter((_, i) => i % 2 === 0);
        const kept = entries.filter((_, i) => i % 2 === 1);
        const out = kept.length
          ? await client.send(new sqsApi.SendMessageBatchCommand({ ...command.input, Entries: kept }))
          : { Successful: [], Failed: [], $metadata: {} };
        return {
          ...out,
          Failed: [
            ...(out.Failed ?? []),
            ...refused.map((e) => ({
              Id: e.Id,
              SenderFault: false,
              Code: 'InternalError',
              Message: 'try again',
            })),
          ],
        };
      },
    };
    const clock = instantClock();
    const sender = new SqsEventSender({ client: partly, queueUrl, clock });
    const rows = Array.from({ length: events }, (_, i) => ({
      kind: 'row' as const,
      line: i + 2,
      county: COUNTIES[i % COUNTIES.length] as string,
      dataJson: JSON.stringify({ n: String(i) }),
    }));
    async function* chunks() {
      for (let i = 0; i < rows.length; i += 100) yield rows.slice(i, i + 100);
    }
    const stats = await streamEvents(chunks(), sender, { intervalMs: 0, clock });
    const bodies = await sqs.receiveAll(queueUrl);
    const ids = new Set(bodies.map((b) => (JSON.parse(b) as { id: string }).id));
    return {
      scenario: `producer: ${events} events, ${standIn.faults + refusals} SQS faults injected`,
      target: 'sqs',
      accepted: stats.sent,
      stored: ids.size,
      lost: stats.sent - ids.size,
      countedTwice: 0, // duplicates in the queue are SQS's at-least-once; storing is idempotent on the id
      deadLetters: 0,
      problems: stats.failed > 0 ? `${stats.failed} events failed to send` : '',
    };
  } finally {
    client.destroy();
    await standIn.close();
    await sqs.close();
  }
}

/**
 * 7. Signals: SIGINT and SIGTERM in turn during `stream` (and SIGTERM during `aggregate --watch`):
 * a clean exit 0 and a true summary; what each summary counts as sent is stored, no more, no less.
 */
export function signals(bin: string, rounds: number, random: () => number = Math.random): Promise<FaultRow> {
  return withStackDir(async (dir) => {
    const stack = ['--data-dir', dir, '--stack-name', 'faults'];
    await runCli(bin, ['deploy', ...stack]).done;
    const file = csvFile(dir, 500);
    const problems: string[] = [];
    let accepted = 0;
    for (let round = 0; round < rounds; round++) {
      const signal = round % 2 === 0 ? 'SIGINT' : 'SIGTERM';
      const run = runCli(bin, ['stream', ...stack, '--interval-ms', '0.5', '--file', file, '--json']);
      await new Promise((resolve) => setTimeout(resolve, 400 + Math.floor(random() * 800)));
      run.child.kill(signal);
      const result = await run.done;
      if (result.code !== 0) problems.push(`stream exited ${result.code} on ${signal}`);
      try {
        accepted += (JSON.parse(result.stdout) as { sent: number }).sent;
      } catch {
        problems.push(`no summary after ${signal}`);
      }
    }
    const watch = runCli(bin, ['aggregate', ...stack, '--watch', '1', '--json']);
    await new Promise((resolve) => setTimeout(resolve, 700));
    watch.child.kill('SIGTERM');
    const watched = await watch.done;
    if (watched.code !== 0) problems.push(`aggregate --watch exited ${watched.code} on SIGTERM`);
    const t = await tally(dir);
    return {
      scenario: `signals: SIGINT / SIGTERM during ${rounds} streams and aggregate --watch`,
      target: 'local',
      accepted,
      stored: t.stored,
      lost: accepted - t.stored,
      countedTwice: t.countedTwice + Math.max(0, t.stored - accepted),
      deadLetters: t.deadLetters,
      problems: [...problems, t.integrity === 'ok' ? '' : t.integrity].filter(Boolean).join('; '),
    };
  });
}
