import { expect } from 'chai';
import { EnvironmentError } from '../../src/core/errors.js';
import type { SensorEvent, StoredEvent } from '../../src/core/event.js';
import type { EventRepository } from '../../src/core/repositories.js';
import { type QueueRecord, storeRecords } from '../../src/core/storing.js';
import type { TimeWindow } from '../../src/core/window.js';

const T = Date.UTC(2024, 5, 1, 12, 0, 0, 750);

/** An in-memory event table, idempotent on the event id like the real ones. */
class FakeEventRepository implements EventRepository {
  readonly rows = new Map<string, StoredEvent>();
  readonly calls: StoredEvent[][] = [];
  /** Ids putEvents reports as not stored (and does not store). */
  failIds = new Set<string>();
  /** When set, putEvents throws it. */
  error: Error | undefined;

  async putEvents(events: StoredEvent[]): Promise<{ failedIds: string[] }> {
    this.calls.push(events);
    if (this.error) throw this.error;
    const failedIds: string[] = [];
    for (const event of events) {
      if (this.failIds.has(event.id)) failedIds.push(event.id);
      else if (!this.rows.has(event.id)) this.rows.set(event.id, event);
    }
    return { failedIds };
  }

  async countByCounty(_window: TimeWindow): Promise<Map<string, number>> {
    throw new Error('not used by the storing function');
  }
}

let seq = 0;
const sensorEvent = (overrides: Partial<SensorEvent> = {}): SensorEvent => ({
  id: `event-${++seq}`,
  time: T,
  county: 'Tioga',
  data: { County: 'Tioga' },
  ...overrides,
});
const record = (messageId: string, body: string | SensorEvent): QueueRecord => ({
  messageId,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const failureIds = (result: { batchItemFailures: { itemIdentifier: string }[] }) =>
  result.batchItemFailures.map((f) => f.itemIdentifier);

describe('core/storing', () => {
  let events: FakeEventRepository;
  beforeEach(() => {
    events = new FakeEventRepository();
  });
  const deps = (ttlMinutes = 60) => ({ events, ttlMinutes });

  it('stores every good record with its expiry and reports no failures', async () => {
    const a = sensorEvent({ county: 'Tioga' });
    const b = sensorEvent({ county: 'Erie', time: T + 1 });
    const result = await storeRecords([record('m1', a), record('m2', b)], deps());
    expect(result).to.deep.equal({ stored: 2, errors: [], batchItemFailures: [] });
    expect(events.rows.get(a.id)).to.deep.equal({ ...a, expiresAt: Math.ceil(T / 1000) + 3600 });
    expect(events.rows.get(b.id)?.county).to.equal('Erie');
  });

  it('sets expiresAt to the first whole second at or after time + TTL (core expiryOf)', async () => {
    const e = sensorEvent({ time: 1_700_000_000_001 });
    const whole = sensorEvent({ time: 1_700_000_000_000 });
    await storeRecords([record('m1', e), record('m2', whole)], deps(90));
    expect(events.rows.get(e.id)?.expiresAt).to.equal(1_700_000_001 + 90 * 60);
    expect(events.rows.get(whole.id)?.expiresAt).to.equal(1_700_000_000 + 90 * 60);
  });

  it('stores the parsed event (county trimmed), not the raw body', async () => {
    const e = sensorEvent({ county: '  Erie ' });
    await storeRecords([record('m1', e)], deps());
    expect(events.rows.get(e.id)?.county).to.equal('Erie');
  });

  describe('idempotency on the event id', () => {
    it('a redelivered message is stored once', async () => {
      const e = sensorEvent();
      const first = await storeRecords([record('m1', e)], deps());
      const again = await storeRecords([record('m1', e)], deps());
      expect(failureIds(first)).to.deep.equal([]);
      expect(failureIds(again)).to.deep.equal([]);
      expect(events.rows.size).to.equal(1);
    });

    it('the same event twice in one batch goes to the repository once, and neither message fails', async () => {
      const e = sensorEvent();
      const result = await storeRecords([record('m1', e), record('m2', e)], deps());
      expect(events.calls).to.have.length(1);
      expect(events.calls[0]?.map((s) => s.id)).to.deep.equal([e.id]);
      expect(failureIds(result)).to.deep.equal([]);
    });
  });

  describe('poison records', () => {
    const poison: Array<[string, string]> = [
      ['not JSON', 'County=Tioga'],
      ['a JSON array', JSON.stringify([sensorEvent()])],
      ['missing county', JSON.stringify({ ...sensorEvent(), county: undefined })],
      ['empty county', JSON.stringify({ ...sensorEvent(), county: '' })],
      ['non-integer time', JSON.stringify({ ...sensorEvent(), time: T + 0.5 })],
      ['oversized (> 1 MiB)', JSON.stringify({ ...sensorEvent(), data: { pad: 'x'.repeat(1024 * 1024) } })],
      ['data not an object', JSON.stringify({ ...sensorEvent(), data: 'Tioga' })],
    ];
    for (const [what, body] of poison) {
      it(`${what}: fails alone, with its messageId, and the good records are stored`, async () => {
        // GIVEN a poison record between two good ones
        const good1 = sensorEvent();
        const good2 = sensorEvent();
        // WHEN the batch is stored
        const result = await storeRecords(
          [record('good-1', good1), record('poison', body), record('good-2', good2)],
          deps(),
        );
        // THEN only the poison record comes back, and the good ones are in the table
        expect(failureIds(result)).to.deep.equal(['poison']);
        expect(result.errors).to.have.length(1);
        expect(result.errors[0]?.messageId).to.equal('poison');
        expect(result.errors[0]?.error).to.be.a('string').and.not.equal('');
        expect(result.stored).to.equal(2);
        expect([...events.rows.keys()]).to.have.members([good1.id, good2.id]);
      });
    }

    it('a batch of only poison records never calls the repository', async () => {
      const result = await storeRecords([record('a', 'nope'), record('b', '[]')], deps());
      expect(failureIds(result)).to.deep.equal(['a', 'b']);
      expect(result.stored).to.equal(0);
      expect(events.calls).to.have.length(0);
    });
  });

  it('an empty batch stores nothing and fails nothing', async () => {
    expect(await storeRecords([], deps())).to.deep.equal({ stored: 0, errors: [], batchItemFailures: [] });
    expect(events.calls).to.have.length(0);
  });

  describe('repository failures', () => {
    it('failedIds come back as failures: every message carrying that event id', async () => {
      const ok = sensorEvent();
      const bad = sensorEvent();
      events.failIds.add(bad.id);
      const result = await storeRecords(
        [record('m-bad-1', bad), record('m-ok', ok), record('m-bad-2', bad)],
        deps(),
      );
      expect(failureIds(result)).to.have.members(['m-bad-1', 'm-bad-2']);
      expect(failureIds(result)).to.have.length(2);
      expect(result.stored).to.equal(1);
      expect(result.errors.map((e) => e.error)).to.deep.equal([
        'not stored after retries',
        'not stored after retries',
      ]);
    });

    it('a repository that throws fails every record of the batch instead of throwing', async () => {
      events.error = new Error('database is locked');
      const a = sensorEvent();
      const b = sensorEvent();
      const result = await storeRecords(
        [record('m1', a), record('m2', b), record('m3', a), record('m4', 'poison')],
        deps(),
      );
      expect(failureIds(result)).to.have.members(['m1', 'm2', 'm3', 'm4']);
      expect(failureIds(result)).to.have.length(4);
      expect(result.stored).to.equal(0);
      const storageError = result.errors.find((e) => e.messageId === 'm1');
      expect(storageError?.error).to.include('database is locked');
    });

    it('a store that cannot be used here at all (an EnvironmentError: a full disk) fails the invocation', async () => {
      // Failing each record would spend their receives toward the dead letters for the disk's fault.
      const full = new EnvironmentError('The disk is full', 'DISK_FULL');
      events.error = full;
      const error = await storeRecords([record('m1', sensorEvent())], deps()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.equal(full);
    });
  });
});
