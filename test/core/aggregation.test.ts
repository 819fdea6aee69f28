import { expect } from 'chai';
import { aggregate } from '../../src/core/aggregation.js';
import { expiryOf, type StoredEvent } from '../../src/core/event.js';
import type { EventRepository, SnapshotRepository } from '../../src/core/repositories.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { inWindow, type TimeWindow } from '../../src/core/window.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 5, 1, 12, 0, 0);

/** An in-memory event table that counts the window the way the spec says: (start, end]. */
class FakeEventRepository implements EventRepository {
  readonly rows: StoredEvent[] = [];
  readonly windows: TimeWindow[] = [];

  async putEvents(events: StoredEvent[]): Promise<{ failedIds: string[] }> {
    this.rows.push(...events);
    return { failedIds: [] };
  }

  async countByCounty(window: TimeWindow): Promise<Map<string, number>> {
    this.windows.push({ ...window });
    const counts = new Map<string, number>();
    for (const row of this.rows) {
      if (inWindow(window, row.time)) counts.set(row.county, (counts.get(row.county) ?? 0) + 1);
    }
    return counts;
  }
}

class FakeSnapshotRepository implements SnapshotRepository {
  readonly written: Snapshot[] = [];

  async putSnapshot(snapshot: Snapshot): Promise<void> {
    this.written.push(structuredClone(snapshot));
  }

  async latestSnapshot(): Promise<Snapshot | undefined> {
    return this.written.at(-1);
  }
}

let seq = 0;
const stored = (county: string, time: number): StoredEvent => ({
  id: `e${++seq}`,
  time,
  county,
  data: { County: county },
  expiresAt: expiryOf(time, 60),
});

describe('core/aggregation', () => {
  let events: FakeEventRepository;
  let snapshots: FakeSnapshotRepository;
  beforeEach(() => {
    events = new FakeEventRepository();
    snapshots = new FakeSnapshotRepository();
  });
  const deps = (windowMinutes = 5) => ({ events, snapshots, windowMinutes });

  it('counts the window (now - W, now] per county', async () => {
    await events.putEvents([
      stored('Tioga', T0 - 5 * MINUTE), // exactly W old: out
      stored('Tioga', T0 - 5 * MINUTE + 1),
      stored('Erie', T0 - MINUTE),
      stored('Erie', T0),
      stored('Essex', T0 + 1), // in the future: out
    ]);
    const snapshot = await aggregate(T0, deps());
    expect(events.windows).to.deep.equal([{ start: T0 - 5 * MINUTE, end: T0, minutes: 5 }]);
    expect(snapshot.counties).to.deep.equal([
      { county: 'Erie', count: 2 },
      { county: 'Tioga', count: 1 },
    ]);
    expect(snapshot.total).to.equal(3);
    expect(snapshot.windowMinutes).to.equal(5);
    expect(snapshot.windowStart).to.equal('2024-06-01T11:55:00.000Z');
    expect(snapshot.windowEnd).to.equal('2024-06-01T12:00:00.000Z');
    expect(snapshot.updated).to.equal('2024-06-01T12:00:00.000Z');
  });

  it('uses the configured window length', async () => {
    await aggregate(T0, deps(15));
    expect(events.windows[0]).to.deep.equal({ start: T0 - 15 * MINUTE, end: T0, minutes: 15 });
  });

  it('writes exactly the snapshot it returns, once', async () => {
    await events.putEvents([stored('Erie', T0 - 1000)]);
    const snapshot = await aggregate(T0, deps());
    expect(snapshots.written).to.have.length(1);
    expect(snapshots.written[0]).to.deep.equal(snapshot);
  });

  it('a county that left the window is absent from the next snapshot, never a stale count', async () => {
    // GIVEN Tioga has events only early, Erie throughout
    await events.putEvents([
      stored('Tioga', T0 - 4 * MINUTE),
      stored('Tioga', T0 - 3 * MINUTE),
      stored('Erie', T0 - 2 * MINUTE),
      stored('Erie', T0 + 3 * MINUTE),
    ]);
    const first = await aggregate(T0, deps());
    expect(first.counties.map((c) => c.county)).to.deep.equal(['Tioga', 'Erie']);

    // WHEN the window has moved past Tioga's last event
    const second = await aggregate(T0 + 2 * MINUTE + 1, deps());

    // THEN the latest snapshot has no Tioga at all, and its total counts only what is in the window
    expect(second.counties).to.deep.equal([{ county: 'Erie', count: 1 }]);
    expect(second.total).to.equal(1);
    expect(await snapshots.latestSnapshot()).to.deep.equal(second);
  });

  it('writes an empty snapshot when the window is empty', async () => {
    const snapshot = await aggregate(T0, deps());
    expect(snapshot.total).to.equal(0);
    expect(snapshot.counties).to.deep.equal([]);
    expect(snapshots.written).to.deep.equal([snapshot]);
  });

  it('fails without writing when counting fails', async () => {
    events.countByCounty = async () => {
      throw new Error('table is gone');
    };
    let error: unknown;
    try {
      await aggregate(T0, deps());
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).to.equal('table is gone');
    expect(snapshots.written).to.have.length(0);
  });
});
