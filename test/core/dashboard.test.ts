import { expect } from 'chai';
import {
  DashboardHistory,
  type DashboardRow,
  nextSort,
  type PipelineHealth,
  sortRows,
} from '../../src/core/dashboard.js';
import { buildSnapshot } from '../../src/core/snapshot.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

function snapshotOf(counts: Record<string, number>, at = T0) {
  return buildSnapshot(new Map(Object.entries(counts)), { start: at - 300_000, end: at, minutes: 5 }, at);
}

function health(at: number, figures: Partial<PipelineHealth> = {}): PipelineHealth {
  return {
    at,
    sentCount: 0,
    storedCount: 0,
    queue: { visible: 0, inFlight: 0, deadLetters: 0, approximate: false },
    newestEventTime: null,
    lastScheduledRun: null,
    nextScheduledRun: null,
    ...figures,
  };
}

describe('core/dashboard', () => {
  it('gives no change and no rate on the first refresh, then both from the previous one', () => {
    const history = new DashboardHistory();
    const first = history.update(
      snapshotOf({ Erie: 10, Kings: 5 }),
      health(T0, { sentCount: 100, storedCount: 90 }),
    );
    expect(first.rows.map((r) => r.change)).to.deep.equal([null, null]);
    expect(first.total.change).to.equal(null);
    expect(first.health.sentPerSecond).to.equal(null);
    const second = history.update(
      snapshotOf({ Erie: 22, Kings: 2, Bronx: 1 }, T0 + 10_000),
      health(T0 + 10_000, { sentCount: 600, storedCount: 290, newestEventTime: T0 + 8_500 }),
    );
    expect(second.rows.map((r) => [r.county, r.change])).to.deep.equal([
      ['Erie', 12],
      ['Kings', -3],
      ['Bronx', 1],
    ]);
    expect(second.total.change).to.equal(10);
    expect(second.health.sentPerSecond).to.equal(50);
    expect(second.health.storedPerSecond).to.equal(20);
    expect(second.health.storingLagSeconds).to.equal(1.5);
  });

  it('marks dead letters that grew since the previous refresh, and only then', () => {
    const history = new DashboardHistory();
    const dead = (n: number) => ({ visible: 0, inFlight: 0, deadLetters: n, approximate: true });
    expect(history.update(snapshotOf({}), health(T0, { queue: dead(2) })).health.deadLettersGrew).to.equal(
      false,
    );
    expect(
      history.update(snapshotOf({}), health(T0 + 1, { queue: dead(3) })).health.deadLettersGrew,
    ).to.equal(true);
    expect(
      history.update(snapshotOf({}), health(T0 + 2, { queue: dead(3) })).health.deadLettersGrew,
    ).to.equal(false);
  });

  it('says n/a (null) for what the target cannot tell, and for a counter that went back', () => {
    const history = new DashboardHistory();
    history.update(snapshotOf({}), health(T0, { sentCount: null, storedCount: 50 }));
    const frame = history.update(snapshotOf({}), health(T0 + 1000, { sentCount: null, storedCount: 10 }));
    expect(frame.health.sentPerSecond).to.equal(null);
    expect(frame.health.storedPerSecond).to.equal(null);
    // A health read that failed: every figure n/a, and the next rate is taken from the last reading.
    const unread = history.update(snapshotOf({}), null);
    expect(unread.health).to.deep.include({ queue: null, sentPerSecond: null, storingLagSeconds: null });
  });

  it("keeps each county's history aligned in time (zeros while out of the window), at most the depth", () => {
    const history = new DashboardHistory(4);
    history.update(snapshotOf({ Erie: 1, Kings: 1 }), null);
    history.update(snapshotOf({ Erie: 2 }), null);
    history.update(snapshotOf({ Erie: 3 }), null);
    const frame = history.update(snapshotOf({ Erie: 4, Kings: 5 }), null);
    const of = (county: string) => frame.rows.find((r) => r.county === county)?.history;
    expect(of('Kings')).to.deep.equal([1, 0, 0, 5]);
    const later = history.update(snapshotOf({ Erie: 5 }), null);
    expect(later.rows[0]?.history).to.deep.equal([2, 3, 4, 5]);
    expect(later.total.history).to.deep.equal([2, 3, 9, 5]);
  });

  it('sorts by count, by name or by change, and s cycles them', () => {
    const rows: DashboardRow[] = [
      { county: 'Kings', count: 5, change: 4, history: [] },
      { county: 'Erie', count: 9, change: -1, history: [] },
      { county: 'Bronx', count: 5, change: null, history: [] },
    ];
    expect(sortRows(rows, 'count').map((r) => r.county)).to.deep.equal(['Erie', 'Bronx', 'Kings']);
    expect(sortRows(rows, 'name').map((r) => r.county)).to.deep.equal(['Bronx', 'Erie', 'Kings']);
    expect(sortRows(rows, 'change').map((r) => r.county)).to.deep.equal(['Kings', 'Erie', 'Bronx']);
    expect([nextSort('count'), nextSort('name'), nextSort('change')]).to.deep.equal([
      'name',
      'change',
      'count',
    ]);
  });
});
