import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { DynamoSnapshotRepository } from '../../src/targets/aws/dynamo-repositories.js';
import {
  DUMMY_AWS_ENV,
  type LocalDynamo,
  sensorEvent,
  sqsEvent,
  startDynalite,
} from '../../testkit/aws/dynalite.js';
import { buildRoot, ensureBuilt } from '../../testkit/build.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const MAX_BYTES = 50 * 1024;

/** Requires a bundle as Lambda does (CommonJS index.js), invokes its handler with the event in a file. */
const DRIVER = `
const { readFileSync } = require('node:fs');
const [bundle, eventFile] = process.argv.slice(2);
const { handler } = require(bundle);
handler(JSON.parse(readFileSync(eventFile, 'utf8'))).then(
  (result) => process.stdout.write('\\nRESULT ' + JSON.stringify(result) + '\\n'),
  (error) => { console.error(error); process.exit(1); },
);
`;

describe('Lambda bundles (fresh Node process, dynalite)', function () {
  this.timeout(60_000);
  let dir: string;
  let dynamo: LocalDynamo;
  let tables: { eventsTable: string; aggregatesTable: string };

  before(async function () {
    await ensureBuilt.call(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sensorpipe-bundles-'));
    fs.writeFileSync(path.join(dir, 'driver.cjs'), DRIVER);
    dynamo = await startDynalite();
    tables = await dynamo.createTables();
    // The bundles as the build ships them.
    fs.cpSync(path.join(await buildRoot(), 'dist', 'lambdas'), path.join(dir, 'lambdas'), {
      recursive: true,
    });
  });
  after(async () => {
    await dynamo?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function invoke(name: string, event: unknown): Promise<{ result: unknown; logs: string }> {
    const eventFile = path.join(dir, `${name}-event.json`);
    fs.writeFileSync(eventFile, JSON.stringify(event));
    const { stdout } = await run(
      process.execPath,
      [path.join(dir, 'driver.cjs'), path.join(dir, 'lambdas', `${name}.js`), eventFile],
      {
        env: {
          PATH: process.env.PATH,
          ...DUMMY_AWS_ENV,
          AWS_ENDPOINT_URL: dynamo.endpoint,
          EVENTS_TABLE: tables.eventsTable,
          AGGREGATES_TABLE: tables.aggregatesTable,
          WINDOW_MINUTES: '5',
          EVENT_TTL_MINUTES: '60',
          // The Lambda runtime provides the SDK on its module path; here the project's copy does.
          NODE_PATH: path.join(root, 'node_modules'),
        },
      },
    );
    const at = stdout.lastIndexOf('\nRESULT ');
    expect(at, stdout).to.be.greaterThan(-1);
    return { result: JSON.parse(stdout.slice(at + 8)), logs: stdout.slice(0, at) };
  }

  it('builds two CommonJS bundles under 50 KB that leave the AWS SDK (lib-dynamodb too) to the runtime', () => {
    for (const name of ['storing', 'aggregation']) {
      const file = path.join(dir, 'lambdas', `${name}.js`);
      const code = fs.readFileSync(file, 'utf8');
      expect(fs.statSync(file).size, name).to.be.below(MAX_BYTES);
      expect(code).to.include('require("@aws-sdk/client-dynamodb")');
      expect(code).to.include('require("@aws-sdk/lib-dynamodb")');
      expect(code).to.not.include('sourceMappingURL');
      // The functions read two defaults, not the parameter table: both bundles are inlined in a
      // template that CloudFormation caps at 51,200 bytes, and the table took 3.8 KB of each.
      expect(code, name).to.not.include('batching-window');
      expect(code, name).to.not.include('storing-timeout');
    }
  });

  it('stores an SQS batch, aggregates it, and the snapshot is what show reads', async () => {
    const now = Date.now();
    const events = [
      sensorEvent(now - 2_000, 'Tioga'),
      sensorEvent(now - 2_000, 'Tioga'),
      sensorEvent(now - 61_000, 'Kings'),
      sensorEvent(now - 10 * 60_000, 'Old'),
    ];
    const good = events.map((e) => JSON.stringify(e));
    const batch = sqsEvent([...good, good[0]!, 'not json', JSON.stringify({ ...events[1], county: '' })]);
    const stored = await invoke('storing', batch);
    expect(stored.result).to.deep.equal({
      batchItemFailures: [
        { itemIdentifier: batch.Records[5]!.messageId },
        { itemIdentifier: batch.Records[6]!.messageId },
      ],
    });
    expect(stored.logs).to.include('"stored":5').and.to.include('"failed":2');
    expect(stored.logs).to.not.include('not json').and.not.include(events[0]!.id);

    const aggregated = await invoke('aggregation', {
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
    });
    const { storing, ...snapshot } = aggregated.result as {
      total: number;
      counties: unknown[];
      windowMinutes: number;
      storing: { newestSecond: number | null; from: number; marked: number[] };
    };
    // With the snapshot, what the per-second counters said of the storing side (the dashboard's lag
    // and stored rate): the Tioga second marked twice (the batch's copy of one of them is written
    // once), the Kings second once; the Old event is older than the 10 minutes they cover.
    expect(storing.newestSecond).to.equal(Math.floor((now - 2_000) / 1000));
    expect(storing.marked).to.have.length(600);
    expect(storing.marked[Math.floor((now - 2_000) / 1000) - storing.from]).to.equal(2);
    expect(storing.marked.reduce((a, b) => a + b, 0)).to.equal(3);
    expect(snapshot).to.deep.include({
      windowMinutes: 5,
      total: 3,
      counties: [
        { county: 'Tioga', count: 2 },
        { county: 'Kings', count: 1 },
      ],
    });
    expect(
      await new DynamoSnapshotRepository(dynamo.documents, tables.aggregatesTable).latestSnapshot(),
    ).to.deep.equal(snapshot);
    // Its log line says what the count read: the second of the Tioga events was read raw and cached.
    const entry = JSON.parse(aggregated.logs.trim().split('\n').at(-1)!) as { read: Record<string, number> };
    expect(entry).to.deep.include({ function: 'aggregation', total: 3 });
    expect(entry.read).to.include({ events: 3 });
    expect(entry.read.countsWritten).to.be.at.least(1);
    expect(entry.read.readUnits).to.be.greaterThan(0);
  });
});
