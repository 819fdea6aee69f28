import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  DeleteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { expect } from 'chai';
import { isExpired, type StoredEvent } from '../../../src/core/event.js';
import { buildSnapshot, replacesSnapshot } from '../../../src/core/snapshot.js';
import { windowAt } from '../../../src/core/window.js';
import {
  countStored,
  DynamoEventRepository,
  type DynamoEventRepositoryOptions,
  DynamoSnapshotRepository,
  documentClientOf,
} from '../../../src/targets/aws/dynamo-repositories.js';
import {
  EVENT_SHARDS,
  type EventItem,
  eventKey,
  SECONDS_PARTITION_SUFFIX as SECONDS_SUFFIX,
} from '../../../src/targets/aws/keys.js';
import { type LocalDynamo, startDynalite, storedEvent } from '../../../testkit/aws/dynalite.js';
import { quickRetries, STAND_IN_CLIENT, startAwsStandIn } from '../../../testkit/aws/stand-in.js';
import { instantClock } from '../../../testkit/clock.js';

const T = Date.UTC(2025, 0, 1, 12, 0, 30, 250);

const noWait = { clock: instantClock(), random: () => 0.5 };

type Send = (command: unknown) => Promise<unknown>;
type PutRequest = { PutRequest: { Item: EventItem } };

/** Replaces the client's `send` on this instance only; `wrap` gets the real one. */
function interceptSend(client: DynamoDBDocumentClient, wrap: (real: Send) => Send): () => void {
  const real = client.send.bind(client) as Send;
  const mutable = client as unknown as { send: Send };
  mutable.send = wrap(real);
  return () => {
    mutable.send = real;
  };
}

const asMap = (counts: Map<string, number>) => Object.fromEntries([...counts].sort());

describe('DynamoDB repositories (dynalite)', () => {
  let dynamo: LocalDynamo;
  let eventsTable: string;
  let aggregatesTable: string;
  let restore: (() => void) | undefined;

  before(async () => {
    dynamo = await startDynalite();
  });
  after(async () => {
    await dynamo.close();
  });
  beforeEach(async () => {
    ({ eventsTable, aggregatesTable } = await dynamo.createTables());
  });
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  const events = (options: DynamoEventRepositoryOptions = {}) =>
    new DynamoEventRepository(dynamo.documents, eventsTable, { ...noWait, ...options });

  const scanTable = async () =>
    (await dynamo.client.send(new ScanCommand({ TableName: eventsTable }))).Items ?? [];
  /** The raw events the table holds, without the per-second records beside them. */
  const scanAll = async () => (await scanTable()).filter((item) => !item.pk?.S?.endsWith(SECONDS_SUFFIX));

  describe('DynamoEventRepository', () => {
    it('stores the documented item and reads only the window', async () => {
      const repo = events();
      const e = storedEvent(T, 'Tioga', { Make: 'TESLA' });
      expect(await repo.putEvents([e])).to.deep.equal({ failedIds: [] });
      const [item] = await scanAll();
      expect(item).to.deep.include({
        id: { S: e.id },
        time: { N: String(T) },
        county: { S: 'Tioga' },
        data: { S: JSON.stringify(e.data) },
        expiresAt: { N: String(e.expiresAt) },
      });
      expect(item?.sk?.S).to.equal(`${String(T).padStart(13, '0')}#${e.id}`);
      expect(asMap(await repo.countByCounty(windowAt(T, 5)))).to.deep.equal({ Tioga: 1 });
    });

    it('stores a duplicate once and counts it once, within a batch and across batches', async () => {
      const repo = events();
      const e = storedEvent(T, 'Tioga');
      const other = storedEvent(T, 'Kings');
      expect(await repo.putEvents([e, e, other, { ...e }])).to.deep.equal({ failedIds: [] });
      expect(await repo.putEvents([e])).to.deep.equal({ failedIds: [] });
      expect(await scanAll()).to.have.length(2);
      expect(asMap(await repo.countByCounty(windowAt(T, 5)))).to.deep.equal({ Kings: 1, Tioga: 1 });
    });

    it('sends each id once: 25 distinct events among 30 go in one BatchWriteItem of 25', async () => {
      const distinct = Array.from({ length: 25 }, () => storedEvent(T, 'Tioga'));
      const batch = [...distinct, ...distinct.slice(0, 5).map((e) => ({ ...e }))];
      const writes: number[] = [];
      restore = interceptSend(dynamo.documents, (real) => async (command) => {
        if (command instanceof BatchWriteCommand)
          writes.push(command.input.RequestItems?.[eventsTable]?.length ?? 0);
        return real(command);
      });
      expect(await events().putEvents(batch)).to.deep.equal({ failedIds: [] });
      expect(writes).to.deep.equal([25]);
      expect(await scanAll()).to.have.length(25);
    });

    it('keeps events of the same millisecond apart, over many chunks', async () => {
      const repo = events();
      const batch = Array.from({ length: 130 }, (_, i) => storedEvent(T, i % 3 === 0 ? 'Kings' : 'Queens'));
      expect(await repo.putEvents(batch)).to.deep.equal({ failedIds: [] });
      expect(await scanAll()).to.have.length(130);
      expect(asMap(await repo.countByCounty(windowAt(T, 1)))).to.deep.equal({ Kings: 44, Queens: 86 });
    });

    it('counts exactly (start, end]: an event at start is out, one at end is in', async () => {
      const repo = events();
      const window = windowAt(T, 5);
      await repo.putEvents([
        storedEvent(window.start - 1, 'Before'),
        storedEvent(window.start, 'AtStart'),
        storedEvent(window.start + 1, 'Inside'),
        storedEvent(window.start + 90_000, 'Inside'),
        storedEvent(window.end, 'AtEnd'),
        storedEvent(window.end + 1, 'After'),
      ]);
      expect(asMap(await repo.countByCounty(window))).to.deep.equal({ AtEnd: 1, Inside: 2 });
      // One ms later: the event at start + 1 is now exactly at the start, and out.
      expect(asMap(await repo.countByCounty(windowAt(T + 1, 5)))).to.deep.equal({
        After: 1,
        AtEnd: 1,
        Inside: 1,
      });
    });

    it('follows Query pagination to the last page', async () => {
      const queries: QueryCommand['input'][] = [];
      const repo = events({ pageSize: 2 });
      const batch = Array.from({ length: 200 }, (_, i) => storedEvent(T - i * 7, `C${i % 5}`));
      await repo.putEvents(batch);
      restore = interceptSend(dynamo.documents, (real) => async (command) => {
        if (command instanceof QueryCommand) queries.push(command.input);
        return real(command);
      });
      expect(asMap(await repo.countByCounty(windowAt(T, 5)))).to.deep.equal({
        C0: 40,
        C1: 40,
        C2: 40,
        C3: 40,
        C4: 40,
      });
      // A fresh table has no cached counts: one first page per partition (each minute of the window,
      // each shard), then the further pages.
      const raw = queries.filter(
        (q) => !String(q.ExpressionAttributeValues?.[':pk']).endsWith(SECONDS_SUFFIX),
      );
      expect(raw.filter((q) => q.ExclusiveStartKey === undefined)).to.have.length(6 * EVENT_SHARDS);
      expect(raw.filter((q) => q.ExclusiveStartKey !== undefined).length).to.be.greaterThan(50);
      expect(raw[0]).to.include({ Limit: 2, ProjectionExpression: '#county, #time', ConsistentRead: true });
    });

    it('retries UnprocessedItems with backoff until they are stored', async () => {
      const clock = instantClock();
      const repo = events({ clock, random: () => 0.5, retry: { baseDelayMs: 100 } });
      let calls = 0;
      restore = interceptSend(dynamo.documents, (real) => async (command) => {
        if (!(command instanceof BatchWriteCommand)) return real(command);
        calls++;
        // The first two calls store only the first request of the batch and hand back the rest.
        if (calls > 2) return real(command);
        const requests = command.input.RequestItems?.[eventsTable] ?? [];
        await real(new BatchWriteCommand({ RequestItems: { [eventsTable]: requests.slice(0, 1) } }));
        return {
          UnprocessedItems: { [eventsTable]: requests.slice(1) },
          $metadata: {},
        } satisfies BatchWriteCommandOutput;
      });
      const batch = Array.from({ length: 10 }, () => storedEvent(T, 'Tioga'));
      expect(await repo.putEvents(batch)).to.deep.equal({ failedIds: [] });
      expect(calls).to.equal(3);
      expect(clock.sleeps).to.deep.equal([50, 100]); // full jitter: random 0.5 of 100, then of 200
      expect(await scanAll()).to.have.length(10);
      expect(asMap(await repo.countByCounty(windowAt(T, 5)))).to.deep.equal({ Tioga: 10 });
    });

    it('reports the ids still unprocessed after the last attempt as failed, and stores the rest', async () => {
      const batch = Array.from({ length: 40 }, () => storedEvent(T, 'Tioga'));
      const stuck = new Set([batch[3]!.id, batch[30]!.id]);
      let calls = 0;
      restore = interceptSend(dynamo.documents, (real) => async (command) => {
        if (!(command instanceof BatchWriteCommand)) return real(command);
        calls++;
        const requests = (command.input.RequestItems?.[eventsTable] ?? []) as PutRequest[];
        const isStuck = (r: PutRequest) => stuck.has(r.PutRequest.Item.id);
        const stored = requests.filter((r) => !isStuck(r));
        if (stored.length > 0) await real(new BatchWriteCommand({ RequestItems: { [eventsTable]: stored } }));
        const left = requests.filter(isStuck);
        return { UnprocessedItems: left.length ? { [eventsTable]: left } : {}, $metadata: {} };
      });
      const { failedIds } = await events({ retry: { maxAttempts: 4 } }).putEvents(batch);
      expect(failedIds.sort()).to.deep.equal([...stuck].sort());
      expect(calls).to.equal(2 * 4); // two chunks, each tried four times
      expect(await scanAll()).to.have.length(38);
    });

    it('fails every id of a chunk whose request failed as a whole, without retrying or splitting it', async () => {
      const batch = Array.from({ length: 30 }, () => storedEvent(T, 'Tioga'));
      let calls = 0;
      restore = interceptSend(dynamo.documents, (real) => async (command) => {
        if (!(command instanceof BatchWriteCommand)) return real(command);
        calls++;
        const requests = command.input.RequestItems?.[eventsTable] ?? [];
        if (requests.length === 5) {
          // What reaches the repository once the SDK has used up its attempts.
          const error = new Error('Rate exceeded');
          error.name = 'ProvisionedThroughputExceededException';
          throw Object.assign(error, { $fault: 'client', $metadata: { httpStatusCode: 400 } });
        }
        return real(command);
      });
      const { failedIds } = await events().putEvents(batch);
      expect(failedIds.sort()).to.deep.equal(
        batch
          .slice(25)
          .map((e) => e.id)
          .sort(),
      );
      expect(calls).to.equal(2);
      expect(await scanAll()).to.have.length(25);
    });

    it('rides out throttling and a lost answer through the SDK (stand-in in front of dynalite)', async () => {
      const faults = ['throttle', 'lose-answer', 'throttle'];
      const proxy = await startAwsStandIn({
        upstream: dynamo.endpoint,
        answer: (request) => {
          if (request.operation !== 'BatchWriteItem') return { kind: 'forward' };
          const fault = faults.shift();
          if (fault === 'throttle') return { kind: 'error', code: 'ProvisionedThroughputExceededException' };
          return fault === 'lose-answer' ? { kind: 'lose-answer' } : { kind: 'forward' };
        },
      });
      const client = new DynamoDBClient({
        ...STAND_IN_CLIENT,
        endpoint: proxy.url,
        retryStrategy: quickRetries(),
      });
      try {
        const batch = Array.from({ length: 50 }, () => storedEvent(T, 'Tioga'));
        const repo = new DynamoEventRepository(documentClientOf(client), eventsTable, {
          ...noWait,
          writeConcurrency: 1,
        });
        expect(await repo.putEvents(batch)).to.deep.equal({ failedIds: [] });
        expect(proxy.requests.filter((r) => r.operation === 'BatchWriteItem')).to.have.length(2 + 3);
        expect(await scanAll()).to.have.length(50);
      } finally {
        client.destroy();
        await proxy.close();
      }
    });

    it('fails only the item DynamoDB rejects (over 400 KB), not its whole chunk', async () => {
      const batch = Array.from({ length: 5 }, () => storedEvent(T, 'Tioga'));
      const huge: StoredEvent = { ...storedEvent(T, 'Kings'), data: { Blob: 'x'.repeat(450_000) } };
      const { failedIds } = await events().putEvents([...batch, huge]);
      expect(failedIds).to.deep.equal([huge.id]);
      expect(asMap(await events().countByCounty(windowAt(T, 5)))).to.deep.equal({ Tioga: 5 });
    });

    describe("TTL at the window's edge (W = TTL = 1 minute): reads never depend on DynamoDB's deletion", () => {
      const MINUTE = 60_000;
      const base = Math.floor(T / 1000) * 1000 + 250;
      const sum = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

      it('counts an item past its TTL but not yet deleted only while it is in the window', async () => {
        // GIVEN an event in the first, partial second of a later window, and DynamoDB not deleting
        const e = storedEvent(base, 'Tioga', {}, 1);
        await events().putEvents([e]);
        const lastIn = e.time + MINUTE - 1; // the last moment a 1-minute window holds it
        // THEN it counts in every window that holds it, none of which is past its expiry
        for (const now of [e.time, e.time + 30_000, lastIn]) {
          expect(isExpired(e.expiresAt, now)).to.equal(false);
          expect(asMap(await events().countByCounty(windowAt(now, 1)))).to.deep.equal({ Tioga: 1 });
        }
        // AND once past its TTL, still in the table, it is counted in no window
        for (const now of [lastIn + 1, e.expiresAt * 1000, e.expiresAt * 1000 + 5 * MINUTE]) {
          expect((await events().countByCounty(windowAt(now, 1))).size, `at ${now - e.time}`).to.equal(0);
        }
        expect(await scanAll()).to.have.length(1);
      });

      it('never undercounts when DynamoDB deletes each item as soon as it expires', async () => {
        // GIVEN events at arbitrary milliseconds of a few seconds, many at the edge of later windows
        const all = Array.from({ length: 60 }, (_, i) =>
          storedEvent(base + Math.floor((i * 4999) / 60) + (i % 7), `C${i % 3}`, {}, 1),
        );
        await events().putEvents(all);
        const alive = new Set(all);
        // WHEN, at each moment, DynamoDB has deleted everything expired, and then the window is read
        for (let now = base + MINUTE - 300; now < base + MINUTE + 5600; now += 241) {
          for (const e of [...alive].filter((x) => isExpired(x.expiresAt, now))) {
            await dynamo.documents.send(new DeleteCommand({ TableName: eventsTable, Key: eventKey(e) }));
            alive.delete(e);
          }
          const window = windowAt(now, 1);
          // THEN the count is every event of the window: none of them had been deleted
          const expected = all.filter((e) => e.time > window.start && e.time <= window.end).length;
          expect(sum(await events().countByCounty(window)), `at ${now - base}`).to.equal(expected);
        }
        expect(alive.size).to.be.below(all.length);
      });
    });

    it('counts nothing in an empty table or window', async () => {
      expect((await events().countByCounty(windowAt(T, 5))).size).to.equal(0);
      expect((await events().countByCounty({ start: T, end: T, minutes: 0 })).size).to.equal(0);
    });
  });

  describe('countStored', () => {
    it('counts the events the table holds by their keys, whatever else it holds', async () => {
      const mine = Array.from({ length: 150 }, (_, i) => storedEvent(T - i, 'Tioga'));
      const others = Array.from({ length: 20 }, () => storedEvent(T, 'Kings'));
      await events().putEvents([...mine.slice(0, 120), ...others]);
      expect(await countStored(dynamo.documents, eventsTable, mine)).to.equal(120);
    });

    it('looks up UnprocessedKeys again, with backoff', async () => {
      const mine = Array.from({ length: 10 }, () => storedEvent(T, 'Tioga'));
      await events().putEvents(mine);
      let calls = 0;
      restore = interceptSend(dynamo.documents, (real) => async (command) => {
        if (!(command instanceof BatchGetCommand)) return real(command);
        calls++;
        const request = command.input.RequestItems?.[eventsTable];
        const keys = request?.Keys ?? [];
        if (calls > 1) return real(command);
        const out = (await real(
          new BatchGetCommand({ RequestItems: { [eventsTable]: { ...request, Keys: keys.slice(0, 4) } } }),
        )) as object;
        return { ...out, UnprocessedKeys: { [eventsTable]: { ...request, Keys: keys.slice(4) } } };
      });
      const clock = instantClock();
      expect(await countStored(dynamo.documents, eventsTable, mine, { clock, random: () => 1 })).to.equal(10);
      expect(calls).to.equal(2);
      expect(clock.sleeps).to.deep.equal([50]);
    });
  });

  describe('DynamoSnapshotRepository', () => {
    const snapshotAt = (updatedAt: number, counts: Record<string, number>) =>
      buildSnapshot(new Map(Object.entries(counts)), windowAt(updatedAt, 5), updatedAt);

    it('has no snapshot before the first aggregation', async () => {
      expect(await new DynamoSnapshotRepository(dynamo.documents, aggregatesTable).latestSnapshot()).to.equal(
        undefined,
      );
    });

    it('replaces the snapshot whole with a newer one (or one of the same time)', async () => {
      const repo = new DynamoSnapshotRepository(dynamo.documents, aggregatesTable);
      await repo.putSnapshot(snapshotAt(T, { Tioga: 3, Kings: 1 }));
      const newer = snapshotAt(T + 60_000, { Queens: 2 });
      await repo.putSnapshot(newer);
      expect(await repo.latestSnapshot()).to.deep.equal(newer);
      const same = snapshotAt(T + 60_000, { Queens: 5 });
      await repo.putSnapshot(same);
      expect(await repo.latestSnapshot()).to.deep.equal(same);
    });

    it('never replaces a newer snapshot with an older one, and does not throw for it', async () => {
      const repo = new DynamoSnapshotRepository(dynamo.documents, aggregatesTable);
      const newer = snapshotAt(T + 60_000, { Queens: 2 });
      await repo.putSnapshot(newer);
      await repo.putSnapshot(snapshotAt(T, { Tioga: 3 }));
      expect(await repo.latestSnapshot()).to.deep.equal(newer);
    });

    it("replaces a snapshot dated more than the clock skew after its own time, by core's rule", async () => {
      // GIVEN a stored snapshot, and a later aggregation at each of these offsets from it
      for (const offset of [-86_400_000, -60_001, -60_000, -1, 0, 1]) {
        const { aggregatesTable: table } = await dynamo.createTables();
        const repo = new DynamoSnapshotRepository(dynamo.documents, table);
        const stored = snapshotAt(T, { Stored: 1 });
        await repo.putSnapshot(stored);
        const next = snapshotAt(T + offset, { Next: 1 });
        await repo.putSnapshot(next);
        // THEN the condition in DynamoDB decides as replacesSnapshot does
        const expected = replacesSnapshot(T + offset, T) ? next : stored;
        expect(await repo.latestSnapshot(), `offset ${offset}`).to.deep.equal(expected);
      }
    });

    it('passes on other errors', async () => {
      const repo = new DynamoSnapshotRepository(dynamo.documents, 'no-such-table');
      let error: unknown;
      await repo.putSnapshot(snapshotAt(T, { Tioga: 3 })).catch((e) => {
        error = e;
      });
      expect((error as Error).name).to.equal('ResourceNotFoundException');
    });
  });
});
