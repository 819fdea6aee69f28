import { expect } from 'chai';
import { MAX_MESSAGE_BYTES, type SensorEvent } from '../../src/core/event.js';
import { windowAt } from '../../src/core/window.js';
import { positiveIntegerEnv } from '../../src/functions/environment.js';
import { createStoringHandler, parseStoringConfig } from '../../src/functions/storing.js';
import { DynamoEventRepository } from '../../src/targets/aws/dynamo-repositories.js';
import { type LocalDynamo, sensorEvent, sqsEvent, startDynalite } from '../../testkit/aws/dynalite.js';
import { instantClock } from '../../testkit/clock.js';

const T = Date.UTC(2025, 0, 1, 12, 0, 30, 250);

describe('storing function (dynalite)', () => {
  let dynamo: LocalDynamo;
  let eventsTable: string;
  let lines: string[];

  before(async () => {
    dynamo = await startDynalite();
  });
  after(async () => {
    await dynamo.close();
  });
  beforeEach(async () => {
    ({ eventsTable } = await dynamo.createTables());
    lines = [];
  });

  // As the Lambda entry point logs them: one JSON line per entry.
  const handler = () =>
    createStoringHandler({
      events: new DynamoEventRepository(dynamo.documents, eventsTable, {
        clock: instantClock(),
      }),
      ttlMinutes: 60,
      log: (entry) => lines.push(JSON.stringify(entry)),
    });
  const count = async () =>
    Object.fromEntries(
      await new DynamoEventRepository(dynamo.documents, eventsTable).countByCounty(windowAt(T + 1000, 5)),
    );

  it('stores every good record of a batch and fails none', async () => {
    const events: SensorEvent[] = [
      sensorEvent(T, 'Tioga', { Make: 'TESLA' }),
      sensorEvent(T, 'Kings'),
      sensorEvent(T - 1000, 'Tioga'),
    ];
    const response = await handler()(sqsEvent(events.map((e) => JSON.stringify(e))));
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(await count()).to.deep.equal({ Kings: 1, Tioga: 2 });
    expect(lines).to.have.length(1);
    expect(JSON.parse(lines[0]!)).to.deep.include({ records: 3, stored: 3, failed: 0 });
  });

  it('is idempotent: a redelivered message (in the batch or later) is stored once', async () => {
    const e = sensorEvent(T, 'Tioga');
    const body = JSON.stringify(e);
    expect(await handler()(sqsEvent([body, body]))).to.deep.equal({ batchItemFailures: [] });
    expect(await handler()(sqsEvent([body]))).to.deep.equal({ batchItemFailures: [] });
    expect(await count()).to.deep.equal({ Tioga: 1 });
  });

  it('returns poison records as batch item failures, stores the good ones, logs no body', async () => {
    const good = [sensorEvent(T, 'Tioga'), sensorEvent(T, 'Kings')];
    const { county: _, ...noCounty } = sensorEvent(T, 'SECRET-NO-COUNTY');
    const event = sqsEvent([
      JSON.stringify(good[0]),
      'SECRET-not-json{',
      JSON.stringify(noCounty),
      JSON.stringify(sensorEvent(T, 'Queens', { Blob: 'SECRET'.repeat(MAX_MESSAGE_BYTES / 6 + 1) })),
      // Valid JSON under 1 MiB but over DynamoDB's 400 KB item limit: only it fails.
      JSON.stringify(sensorEvent(T, 'Bronx', { Blob: 'SECRET'.repeat(80_000) })),
      JSON.stringify(good[1]),
    ]);
    const response = await handler()(event);
    const ids = event.Records.map((r) => r.messageId);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).to.deep.equal(
      [ids[1], ids[2], ids[3], ids[4]].sort(),
    );
    expect(await count()).to.deep.equal({ Kings: 1, Tioga: 1 });
    expect(lines).to.have.length(1);
    expect(lines[0]).to.not.include('SECRET');
    const log = JSON.parse(lines[0]!);
    expect(log).to.deep.include({ records: 6, stored: 2, failed: 4 });
    expect(log.failures['message body is not JSON']).to.deep.equal([ids[1]]);
    expect(log.failures['event county is missing or empty']).to.deep.equal([ids[2]]);
    expect(Object.values(log.failures).flat()).to.have.length(4);
  });

  it('fails every record, rather than losing one, when the table cannot be written', async () => {
    const h = createStoringHandler({
      events: new DynamoEventRepository(dynamo.documents, 'no-such-table', {
        clock: instantClock(),
      }),
      ttlMinutes: 60,
      log: (entry) => lines.push(JSON.stringify(entry)),
    });
    const event = sqsEvent([
      JSON.stringify(sensorEvent(T, 'Tioga')),
      JSON.stringify(sensorEvent(T, 'Kings')),
    ]);
    const response = await h(event);
    expect(response.batchItemFailures).to.have.length(2);
    expect(JSON.parse(lines[0]!)).to.deep.include({ stored: 0, failed: 2 });
  });

  it('reads its settings from the environment', () => {
    expect(positiveIntegerEnv({ X: '15' }, 'X', 5)).to.equal(15);
    expect(positiveIntegerEnv({}, 'X', 5)).to.equal(5);
    expect(() => positiveIntegerEnv({ X: '0' }, 'X', 5)).to.throw('X must be a positive integer');
    expect(() => positiveIntegerEnv({ X: 'abc' }, 'X', 5)).to.throw('X must be a positive integer');
    expect(parseStoringConfig({ EVENTS_TABLE: 'events-1', EVENT_TTL_MINUTES: '90' })).to.deep.equal({
      eventsTable: 'events-1',
      ttlMinutes: 90,
    });
    expect(parseStoringConfig({ EVENTS_TABLE: 'events-1' }).ttlMinutes).to.equal(60);
    expect(() => parseStoringConfig({ EVENT_TTL_MINUTES: '90' })).to.throw('EVENTS_TABLE is not set');
    expect(() => parseStoringConfig({ EVENTS_TABLE: 'e', EVENT_TTL_MINUTES: '1.5' })).to.throw(
      'EVENT_TTL_MINUTES must be a positive integer',
    );
  });
});
