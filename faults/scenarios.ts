/**
 * Fault scenarios on the local target: each injects a fault, lets the pipeline recover, and counts
 * the events the queue accepted, stored, lost and counted twice. Run by `npm run faults` at larger
 * counts (a table) and by `npm test` at small ones (test/faults/scenarios.test.ts).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { aggregate } from '../src/core/aggregation.js';
import { eventBody, expiryOf, isExpired, type OutgoingEvent, type StoredEvent } from '../src/core/event.js';
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

/** The events and counts a stack's file holds, read through a connection of its own (kept open across a destroy). */
function stackReader(file: string): { held(): { accepted: number; countedTwice: number }; close(): void } {
  const db = new Database(file);
  const statement = db.prepare(
    `SELECT (SELECT COUNT(*) FROM queue) + (SELECT COUNT(*) FROM events) AS accepted,
            (SELECT COALESCE(SUM(n), 0) FROM county_seconds) - (SELECT COUNT(*) FROM events) AS countedTwice`,
  );
  const held = () => statement.get() as { accepted: number; countedTwice: number };
  held(); // maps the stack's WAL index now, while its files still have their names
  return { held, close: () => db.close() };
}

/**
 * 8. Destroy under a live stream: `stream` and `aggregate --watch` run on a stack, and `destroy --yes`
 * deletes it at a random moment. Both must stop with exit 3; the stream says how many it sent, and
 * every event it reported as sent must have been in the stack when it was destroyed (read through a
 * connection that keeps the deleted file open); nothing may be written into the deleted file after.
 */
export function destroyUnderStream(
  bin: string,
  rounds: number,
  random: () => number = Math.random,
): Promise<FaultRow> {
  return withStackDir(async (dir) => {
    const file = csvFile(dir, 500);
    const problems: string[] = [];
    let accepted = 0;
    let stored = 0;
    let countedTwice = 0;
    for (let round = 0; round < rounds; round++) {
      const stack = ['--data-dir', dir, '--stack-name', `faults-${round}`];
      await runCli(bin, ['deploy', ...stack]).done;
      const stream = runCli(bin, ['stream', ...stack, '--interval-ms', '0.5', '--file', file, '--json']);
      const watch = runCli(bin, ['aggregate', ...stack, '--watch', '1', '--json']);
      await watch.waitFor(/"total"/);
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.floor(random() * 1000)));
      const reader = stackReader(databasePath(dir, `faults-${round}`));
      try {
        const destroyed = await runCli(bin, ['destroy', ...stack, '--yes']).done;
        if (destroyed.code !== 0) problems.push(`destroy exited ${destroyed.code}`);
        const atDestroy = reader.held();
        const [streamed, watched] = await Promise.all([stream.done, watch.done]);
        const after = reader.held();
        if (after.accepted !== atDestroy.accepted)
          problems.push(`${after.accepted - atDestroy.accepted} events written into the deleted file`);
        if (streamed.code !== 3) problems.push(`stream exited ${streamed.code}`);
        if (watched.code !== 3) problems.push(`aggregate --watch exited ${watched.code}`);
        const [summary, error] = streamed.stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line));
        const sent = (summary as { sent?: number } | undefined)?.sent ?? 0;
        const message = String((error as { error?: { message?: string } } | undefined)?.error?.message);
        if (
          !message.includes(`was destroyed`) ||
          !message.includes(`stopped after sending ${sent.toLocaleString('en-US')} events`)
        )
          problems.push(`the stream did not say it was cut off: ${message}`);
        accepted += sent;
        stored += Math.min(sent, atDestroy.accepted);
        countedTwice += Math.max(0, atDestroy.countedTwice);
      } finally {
        reader.close();
      }
    }
    return {
      scenario: `destroy under a live stream and aggregate --watch, ${rounds} times`,
      target: 'local',
      accepted,
      stored,
      lost: accepted - stored,
      countedTwice,
      deadLetters: 0,
      problems: [...new Set(problems)].join('; '),
    };
  });
}

/** Deploys that each set a parameter of their own: run at once, every one of them must survive. */
const OWN_FLAGS: { args: string[]; parameter: string; value: unknown }[] = [
  { args: ['--batch-size', '7'], parameter: 'BatchSize', value: 7 },
  { args: ['--window-minutes', '9'], parameter: 'WindowMinutes', value: 9 },
  { args: ['--max-receive-count', '4'], parameter: 'MaxReceiveCount', value: 4 },
  { args: ['--queue-retention', '7200'], parameter: 'MessageRetentionSeconds', value: 7200 },
  { args: ['--event-ttl', '120'], parameter: 'EventTtlMinutes', value: 120 },
  { args: ['--storing-timeout', '20'], parameter: 'StoringTimeoutSeconds', value: 20 },
  { args: ['--no-schedule'], parameter: 'ScheduleEnabled', value: false },
  { args: ['--visibility-timeout', '300'], parameter: 'VisibilityTimeoutSeconds', value: 300 },
];

/**
 * 9. Concurrent deploys: rounds of deploys started at the same moment on one stack, each setting a
 * parameter of its own, on no stack (even rounds) or a deployed one. Every deploy that reports
 * success must find its flag in the final stack (a lost update is a deploy whose flag vanished);
 * exactly one of them reports "created" where there was no stack; the stack ends with the complete
 * result of the deploy that ran last.
 */
export function concurrentDeploys(
  bin: string,
  rounds: number,
  perRound = OWN_FLAGS.length,
): Promise<FaultRow> {
  return withStackDir(async (dir) => {
    const deploys = OWN_FLAGS.slice(0, perRound);
    const problems: string[] = [];
    let accepted = 0;
    let lost = 0;
    for (let round = 0; round < rounds; round++) {
      const stack = ['--data-dir', dir, '--stack-name', `round-${round}`];
      if (round % 2 === 1) await runCli(bin, ['deploy', ...stack]).done;
      const runs = deploys.map((d) => runCli(bin, ['deploy', ...stack, ...d.args, '--json']));
      const results = await Promise.all(runs.map((r) => r.done));
      const status = await runCli(bin, ['status', ...stack, '--json']).done;
      const final = (JSON.parse(status.stdout) as { parameters: Record<string, unknown> }).parameters;
      const done = results.flatMap((result, i) => {
        if (result.code === 0)
          return [
            { i, out: JSON.parse(result.stdout) as { action: string; parameters: Record<string, unknown> } },
          ];
        problems.push(`a deploy failed (${result.code}): ${(result.stderr || result.stdout).trim()}`);
        return [];
      });
      accepted += done.length;
      const created = done.filter((d) => d.out.action === 'created').length;
      if (created !== (round % 2 === 0 && done.length > 0 ? 1 : 0))
        problems.push(`round ${round}: ${created} deploys said "created"`);
      if (!done.some((d) => JSON.stringify(d.out.parameters) === JSON.stringify(final)))
        problems.push(`round ${round}: the stack holds no deploy's complete result`);
      for (const { i, out } of done) {
        const own = deploys[i] as (typeof OWN_FLAGS)[number];
        if (out.parameters[own.parameter] !== own.value) problems.push(`a result without its own flag`);
        if (final[own.parameter] !== own.value) lost++;
      }
    }
    return {
      scenario: `concurrent deploys: ${rounds} rounds of ${perRound} at the same moment (counted: deploys)`,
      target: 'local',
      accepted,
      stored: accepted - lost,
      lost,
      countedTwice: 0,
      deadLetters: 0,
      problems: [...new Set(problems)].join('; '),
    };
  });
}

/**
 * 10. Kill during deploy: `deploy --window-minutes 8 --batch-size 7` killed with SIGKILL at a
 * random moment, creating a stack (even rounds) or updating one (odd rounds). Each kill must leave
 * no stack (a create) or the stack as it was before (an update), or the complete result, in a file
 * of mode 0600 that passes integrity_check; the next deploy then works, leaving no temporary file.
 */
export function killDuringDeploy(
  bin: string,
  kills: number,
  random: () => number = Math.random,
): Promise<FaultRow> {
  return withStackDir(async (dir) => {
    const problems: string[] = [];
    let broken = 0;
    let killed = 0;
    const wanted = { WindowMinutes: 8, BatchSize: 7 };
    for (let round = 0; round < kills; round++) {
      const name = `kill-${round}`;
      const stack = ['--data-dir', dir, '--stack-name', name];
      const update = round % 2 === 1;
      if (update) await runCli(bin, ['deploy', ...stack, '--window-minutes', '3']).done;
      const run = runCli(bin, ['deploy', ...stack, '--window-minutes', '8', '--batch-size', '7']);
      // A create is killed just after its first file appears (where a half-made stack would be),
      // an update at any moment of its run.
      if (update) await new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(random() * 700)));
      else await firstFileOf(dir, name, run.done);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 10)));
      run.child.kill('SIGKILL');
      if ((await run.done).signal === 'SIGKILL') killed++;
      const file = databasePath(dir, name);
      const before = update ? { WindowMinutes: 3, BatchSize: 100 } : undefined;
      const problem = await checkAfterKill(bin, stack, file, before, wanted);
      if (problem) {
        broken++;
        problems.push(`round ${round}: ${problem}`);
      }
      const redeploy = await runCli(bin, ['deploy', ...stack]).done;
      if (redeploy.code !== 0)
        problems.push(`round ${round}: the next deploy failed: ${redeploy.stderr.trim()}`);
    }
    const left = readdirSync(dir).filter((f) => f.endsWith('.creating'));
    if (left.length > 0) problems.push(`temporary files left after the next deploys: ${left.join(', ')}`);
    return {
      scenario: `kill during deploy: ${kills} deploys killed at random moments (${killed} before they finished)`,
      target: 'local',
      accepted: kills,
      stored: kills - broken,
      lost: broken,
      countedTwice: 0,
      deadLetters: 0,
      problems: problems.join('; '),
    };
  });
}

/**
 * Resolves as soon as a file of the stack is in `dir` (the stack's, or a deploy's temporary one;
 * or exactly `<stack>.sqlite-wal` when asked for it), or the deploy exited.
 */
async function firstFileOf(dir: string, file: string, exited: Promise<unknown>): Promise<void> {
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const mine = file.endsWith('-wal')
    ? (name: string) => name === file
    : (name: string) => name.startsWith(`${file}.sqlite`) || name.startsWith(`.${file}.sqlite.`);
  while (!done && !readdirSync(dir).some(mine)) await new Promise((resolve) => setImmediate(resolve));
}

/** What a killed deploy left, or '' when it is no stack, the stack before, or the complete result. */
async function checkAfterKill(
  bin: string,
  stack: string[],
  file: string,
  before: Record<string, number> | undefined,
  wanted: Record<string, number>,
): Promise<string> {
  if (!existsSync(file)) return before ? 'the stack it updated is gone' : '';
  const mode = statSync(file).mode & 0o777;
  if (mode !== 0o600) return `mode ${mode.toString(8)}`;
  const status = await runCli(bin, ['status', ...stack, '--json']).done;
  if (status.code !== 0) return `status exited ${status.code}: ${status.stdout.trim()}`;
  const parameters = (JSON.parse(status.stdout) as { parameters: Record<string, number> }).parameters;
  const is = (expected: Record<string, number>) =>
    Object.entries(expected).every(([k, v]) => parameters[k] === v);
  if (!is(wanted) && !(before && is(before)))
    return `parameters neither before nor asked: ${JSON.stringify(parameters)}`;
  const audit = await auditLocalStack(stack[1] as string, stack[3] as string);
  return audit.integrity === 'ok' ? '' : `integrity_check: ${audit.integrity}`;
}
/** Events of `n` rows stamped `time`, as a producer hands them to a sender. */
function outgoingAt(n: number, time: number, first = 0): OutgoingEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const county = COUNTIES[(first + i) % COUNTIES.length] as string;
    return {
      id: uuidv7(time),
      time,
      county,
      dataJson: JSON.stringify({ County: county, n: String(first + i) }),
    };
  });
}

/**
 * 8. TTL at the window's edge, locally: W = TTL = 1 minute, events at every kind of millisecond, and
 * the expiry sweep run right before each of many aggregations. Every snapshot must hold exactly the
 * events accepted in its window: expiry may only take events that no window can count any more.
 */
export function ttlEdge(aggregations: number, random: () => number = Math.random): Promise<FaultRow> {
  return withStackDir(async (dir) => {
    const clock = fakeClock(Date.UTC(2026, 10, 28, 12, 0, 0, 250));
    const target = new LocalTarget({ dataDir: dir, stackName: 'faults', clock });
    await target.deploy({ WindowMinutes: 1, EventTtlMinutes: 1, ScheduleEnabled: false });
    const accepted: { time: number }[] = [];
    let lost = 0;
    let countedTwice = 0;
    let low = 0;
    const session = await target.openStream();
    for (let round = 0; round < aggregations; round++) {
      clock.advance(1 + Math.floor(random() * 1500));
      const events = outgoingAt(1 + Math.floor(random() * 20), clock.now(), accepted.length);
      const outcome = await session.sender.send(events);
      accepted.push(...events.slice(0, outcome.sent));
      await target.runtime().expireNow();
      const snapshot = await target.aggregate();
      const start = clock.now() - 60_000;
      const expected = accepted.filter((e) => e.time > start && e.time <= clock.now()).length;
      if (snapshot.total < expected) low++;
      lost += Math.max(0, expected - snapshot.total);
      countedTwice += Math.max(0, snapshot.total - expected);
    }
    const drained = await session.finish();
    const t = await target.audit();
    await target.close();
    return {
      scenario: `TTL at the window's edge: W = TTL = 1 min, expiry before each of ${aggregations} aggregations, ${low} snapshots low`,
      target: 'local',
      accepted: accepted.length,
      // Stored, by then expired or not: what the storing function took from the queue.
      stored: drained.stored ?? 0,
      lost: lost + Math.max(0, accepted.length - (drained.stored ?? 0)),
      countedTwice: countedTwice + Math.max(0, t.eventsCounted - t.eventsStored),
      deadLetters: t.deadLetters,
      problems: [
        low === 0 ? '' : `${low} of ${aggregations} snapshots low`,
        t.integrity === 'ok' ? '' : t.integrity,
        t.eventsStored < accepted.length ? '' : 'the sweep deleted nothing',
      ]
        .filter(Boolean)
        .join('; '),
    };
  });
}

/**
 * 8 on the Lambda path: the storing function's items in DynamoDB (dynalite), and DynamoDB's TTL
 * deleting every item the moment it expires, which is the earliest it ever does; the aggregation
 * queries each window. No snapshot may be low.
 */
export async function ttlEdgeDynamo(
  aggregations: number,
  random: () => number = Math.random,
): Promise<FaultRow> {
  const [{ startDynalite }, repos, keys, docs] = await Promise.all([
    import('../testkit/aws/dynalite.js'),
    import('../src/targets/aws/dynamo-repositories.js'),
    import('../src/targets/aws/keys.js'),
    import('@aws-sdk/lib-dynamodb'),
  ]);
  const dynamo = await startDynalite();
  try {
    const { eventsTable, aggregatesTable } = await dynamo.createTables();
    const events = new repos.DynamoEventRepository(dynamo.documents, eventsTable);
    const snapshots = new repos.DynamoSnapshotRepository(dynamo.documents, aggregatesTable);
    let now = Date.UTC(2026, 10, 28, 12, 0, 0, 250);
    const alive: StoredEvent[] = [];
    const accepted: StoredEvent[] = [];
    let stored = 0;
    let lost = 0;
    let countedTwice = 0;
    let low = 0;
    let deleted = 0;
    for (let round = 0; round < aggregations; round++) {
      now += 1 + Math.floor(random() * 3000);
      const bodies = outgoingAt(1 + Math.floor(random() * 5), now, accepted.length).map(eventBody);
      const records = bodies.map((body, i) => ({ messageId: `${round}-${i}`, body }));
      const result = await storeRecords(records, { events, ttlMinutes: 1 });
      stored += result.stored;
      for (const body of bodies) {
        const { id, time, county, data } = JSON.parse(body) as StoredEvent;
        const event = { id, time, county, data, expiresAt: expiryOf(time, 1) };
        accepted.push(event);
        alive.push(event);
      }
      // DynamoDB's TTL, at its earliest: every item whose expiry has come is gone.
      for (let i = alive.length - 1; i >= 0; i--) {
        const event = alive[i] as StoredEvent;
        if (!isExpired(event.expiresAt, now)) continue;
        await dynamo.documents.send(
          new docs.DeleteCommand({ TableName: eventsTable, Key: keys.eventKey(event) }),
        );
        alive.splice(i, 1);
        deleted++;
      }
      const snapshot = await aggregate(now, { events, snapshots, windowMinutes: 1 });
      const expected = accepted.filter((e) => e.time > now - 60_000 && e.time <= now).length;
      if (snapshot.total < expected) low++;
      lost += Math.max(0, expected - snapshot.total);
      countedTwice += Math.max(0, snapshot.total - expected);
    }
    return {
      scenario: `TTL at the window's edge on DynamoDB: items deleted as they expire, ${aggregations} aggregations, ${low} snapshots low`,
      target: 'lambda',
      accepted: accepted.length,
      stored,
      lost: lost + (accepted.length - stored),
      countedTwice,
      deadLetters: 0,
      problems: [
        low === 0 ? '' : `${low} of ${aggregations} snapshots low`,
        deleted > 0 ? '' : 'TTL deleted nothing',
      ]
        .filter(Boolean)
        .join('; '),
    };
  } finally {
    await dynamo.close();
  }
}

/**
 * 9. A clock jump forward and back, locally: a process a day ahead aggregates and runs the schedule
 * (so it stores a snapshot and a next slot a day ahead); then the right time resumes. The next
 * aggregation must replace the future snapshot with the events of its window, the schedule must
 * fire again at its next slots, status must say what was ahead and then nothing, and no event may
 * be lost or counted twice.
 */
export function clockJump(events: number): Promise<FaultRow> {
  return withStackDir(async (dir) => {
    const DAY = 24 * 60 * 60_000;
    const clock = fakeClock(Date.UTC(2026, 10, 28, 12, 0, 30));
    const target = new LocalTarget({ dataDir: dir, stackName: 'faults', clock });
    await target.deploy({});
    const session = await target.openStream();
    let accepted = 0;
    for (let sent = 0; sent < events; sent += 500) {
      accepted += (await session.sender.send(outgoingAt(Math.min(500, events - sent), clock.now(), sent)))
        .sent;
    }
    await session.finish();
    const problems: string[] = [];

    // The process a day ahead: it aggregates, and claims the schedule twice (stores a slot, runs it).
    const aheadClock = fakeClock(clock.now() + DAY);
    const ahead = new LocalTarget({ dataDir: dir, stackName: 'faults', clock: aheadClock });
    await ahead.aggregate();
    await ahead.runtime().runScheduleIfDue();
    aheadClock.advance(60_000);
    if (!(await ahead.runtime().runScheduleIfDue()))
      problems.push('the process ahead never ran the schedule');
    await ahead.close();

    // The right time again.
    clock.advance(5_000);
    const seen = (await target.status()).clockErrors.map((e) => e.subject).join(',');
    if (seen !== 'lastAggregation,scheduleSlot') problems.push(`status saw clock errors [${seen}]`);
    const snapshot = await target.aggregate();
    const shown = await target.latestSnapshot();
    if (shown?.updated !== snapshot.updated) problems.push('the future snapshot was not replaced');
    let fired = 0;
    for (let step = 0; step < 6; step++) {
      if (await target.runtime().runScheduleIfDue()) fired++;
      clock.advance(30_000);
    }
    if (fired < 2) problems.push(`the schedule fired ${fired} times in 3 minutes`);
    const after = await target.status();
    if (after.clockErrors.length > 0) problems.push('status still sees a clock error');
    const counted = (await target.latestSnapshot())?.total ?? 0;
    const t = await target.audit();
    await target.close();
    return {
      scenario: `clock jump: a process a day ahead aggregates and runs the schedule, then time is right; ${fired} scheduled runs after`,
      target: 'local',
      accepted,
      stored: t.eventsStored,
      lost: accepted - Math.min(t.eventsStored, counted),
      countedTwice: Math.max(0, t.eventsCounted - t.eventsStored) + Math.max(0, counted - accepted),
      deadLetters: t.deadLetters,
      problems: [...problems, t.integrity === 'ok' ? '' : t.integrity].filter(Boolean).join('; '),
    };
  });
}
