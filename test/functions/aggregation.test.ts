import type { ScheduledEvent } from 'aws-lambda';
import { expect } from 'chai';
import { createAggregationHandler, parseAggregationConfig } from '../../src/functions/aggregation.js';
import { createStoringHandler } from '../../src/functions/storing.js';
import {
  DynamoEventRepository,
  DynamoSnapshotRepository,
} from '../../src/targets/aws/dynamo-repositories.js';
import { type LocalDynamo, sensorEvent, sqsEvent, startDynalite } from '../../testkit/aws/dynalite.js';

const T = Date.UTC(2025, 0, 1, 12, 0, 30, 250);
const MINUTE = 60_000;

/** What EventBridge sends on the schedule. */
const SCHEDULED: ScheduledEvent = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2025-01-01T12:00:30Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/sensorpipe-AggregationSchedule'],
  detail: {},
};

describe('aggregation function (dynalite)', () => {
  let dynamo: LocalDynamo;
  let tables: { eventsTable: string; aggregatesTable: string };
  let now: number;
  let lines: string[];

  before(async () => {
    dynamo = await startDynalite();
  });
  after(async () => {
    await dynamo.close();
  });
  beforeEach(async () => {
    tables = await dynamo.createTables();
    now = T;
    lines = [];
  });

  const storing = () =>
    createStoringHandler({
      events: new DynamoEventRepository(dynamo.documents, tables.eventsTable),
      ttlMinutes: 60,
      log: () => {},
    });
  const snapshots = () => new DynamoSnapshotRepository(dynamo.documents, tables.aggregatesTable);
  const aggregation = () =>
    createAggregationHandler({
      events: new DynamoEventRepository(dynamo.documents, tables.eventsTable),
      snapshots: snapshots(),
      windowMinutes: 5,
      now: () => now,
      log: (entry) => lines.push(JSON.stringify(entry)),
    });

  it('counts what the storing function stored, per county, and returns the snapshot it wrote', async () => {
    const events = [
      sensorEvent(T - 5 * MINUTE, 'Old'), // exactly 5 minutes old: out of the window
      sensorEvent(T - 5 * MINUTE + 1, 'Tioga'),
      ...Array.from({ length: 40 }, (_, i) => sensorEvent(T - i * 7_000, i % 4 === 0 ? 'Kings' : 'Tioga')),
      sensorEvent(T, 'Queens'),
      sensorEvent(T + 1, 'Future'),
    ];
    const bodies = events.map((e) => JSON.stringify(e));
    // Redeliveries of a few messages must not be counted twice.
    expect(await storing()(sqsEvent([...bodies, bodies[3]!, bodies[4]!]))).to.deep.equal({
      batchItemFailures: [],
    });

    const snapshot = await aggregation()(SCHEDULED);
    expect(snapshot).to.deep.equal({
      updated: new Date(T).toISOString(),
      windowStart: new Date(T - 5 * MINUTE).toISOString(),
      windowEnd: new Date(T).toISOString(),
      windowMinutes: 5,
      total: 42,
      counties: [
        { county: 'Tioga', count: 31 },
        { county: 'Kings', count: 10 },
        { county: 'Queens', count: 1 },
      ],
    });
    // What `show` reads.
    expect(await snapshots().latestSnapshot()).to.deep.equal(snapshot);
    expect(JSON.parse(lines[0]!)).to.deep.include({ function: 'aggregation', total: 42, counties: 3 });
  });

  it('slides: a later run drops what left the window and replaces the snapshot', async () => {
    await storing()(
      sqsEvent([sensorEvent(T - MINUTE, 'Tioga'), sensorEvent(T, 'Kings')].map((e) => JSON.stringify(e))),
    );
    expect((await aggregation()()).total).to.equal(2);
    now = T + 4 * MINUTE;
    const later = await aggregation()();
    expect(later.counties).to.deep.equal([{ county: 'Kings', count: 1 }]);
    expect(await snapshots().latestSnapshot()).to.deep.equal(later);
  });

  it('reads its settings from the environment', () => {
    const env = { EVENTS_TABLE: 'events-1', AGGREGATES_TABLE: 'aggregates-1', WINDOW_MINUTES: '15' };
    expect(parseAggregationConfig(env)).to.deep.equal({
      eventsTable: 'events-1',
      aggregatesTable: 'aggregates-1',
      windowMinutes: 15,
    });
    expect(parseAggregationConfig({ ...env, WINDOW_MINUTES: '' }).windowMinutes).to.equal(5);
    expect(() => parseAggregationConfig({ ...env, AGGREGATES_TABLE: '' })).to.throw(
      'AGGREGATES_TABLE is not set',
    );
    expect(() => parseAggregationConfig({ ...env, WINDOW_MINUTES: '-5' })).to.throw(
      'WINDOW_MINUTES must be a positive integer',
    );
  });

  it('writes an empty snapshot for an empty window', async () => {
    const snapshot = await aggregation()();
    expect(snapshot).to.deep.include({ total: 0, counties: [] });
    expect(await snapshots().latestSnapshot()).to.deep.equal(snapshot);
  });
});
