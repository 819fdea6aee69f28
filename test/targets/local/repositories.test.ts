import { expect } from 'chai';
import type { StoredEvent } from '../../../src/core/event.js';
import { buildSnapshot, replacesSnapshot, type Snapshot } from '../../../src/core/snapshot.js';
import { type TimeWindow, windowAt } from '../../../src/core/window.js';
import type {
  SqliteEventRepository,
  SqliteSnapshotRepository,
} from '../../../src/targets/local/repositories.js';
import {
  type LocalStack,
  makeEvent,
  makeTempDir,
  openStack,
  removeTempDir,
  stored,
  T0,
} from '../../../testkit/local.js';

const MINUTE = 60_000;

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bruteForce(events: StoredEvent[], window: TimeWindow): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) {
    if (e.time > window.start && e.time <= window.end) counts.set(e.county, (counts.get(e.county) ?? 0) + 1);
  }
  return counts;
}

function sorted(map: Map<string, number>): [string, number][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

describe('local repositories', () => {
  let dir: string;
  let stack: LocalStack;
  let events: SqliteEventRepository;
  let snapshots: SqliteSnapshotRepository;

  beforeEach(() => {
    dir = makeTempDir();
    stack = openStack(dir);
    events = stack.events;
    snapshots = stack.snapshots;
  });

  afterEach(() => {
    stack.db.close();
    removeTempDir(dir);
  });

  describe('SqliteEventRepository', () => {
    it('stores an event once however often it is put (idempotent on the id)', async () => {
      const e = stored(makeEvent(T0, 'Albany'));
      expect(await stack.write(() => events.putEvents([e]))).to.deep.equal({ failedIds: [] });
      expect(await stack.write(() => events.putEvents([e]))).to.deep.equal({ failedIds: [] });
      await stack.write(() => events.putEvents([e, e, { ...e, county: 'Changed on redelivery' }]));
      expect(events.countAll()).to.equal(1);
      const counts = await events.countByCounty(windowAt(T0 + MINUTE, 5));
      expect(sorted(counts)).to.deep.equal([['Albany', 1]]);
    });

    it("stores inside the caller's transaction, and refuses to without one", async () => {
      const e = stored(makeEvent(T0, 'Albany'));
      const error = await events.putEvents([e]).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(String(error)).to.match(/putEvents runs inside the caller's transaction; none is open/);
      expect(() => events.expire(0)).to.throw(/none is open/);
      expect(events.countAll()).to.equal(0);
    });

    it("puts a batch all or nothing, without failing the caller's transaction", async () => {
      // GIVEN counts that cannot be written for one county
      stack.db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON county_seconds WHEN NEW.county = 'Refused'
        BEGIN SELECT RAISE(ABORT, 'refused'); END`);
      const good = stored(makeEvent(T0, 'Albany'));
      // WHEN one put fails half-way and the caller goes on, as the storing function does
      await stack.write(async () => {
        const failed = await events.putEvents([good, stored(makeEvent(T0, 'Refused'))]).catch(String);
        expect(failed).to.match(/refused/);
        await events.putEvents([stored(makeEvent(T0, 'Bronx'))]);
      });
      // THEN none of the failed put stays, not even its first event, and the rest commits
      expect(events.countAll()).to.equal(1);
      const counts = await events.countByCounty(windowAt(T0 + MINUTE, 5));
      expect(sorted(counts)).to.deep.equal([['Bronx', 1]]);
    });

    it('keeps the event data', async () => {
      const e = stored(makeEvent(T0, 'Albany', { River: 'Hudson', Fish: 'Bass' }));
      await stack.write(() => events.putEvents([e]));
      const row = stack.db.prepare('SELECT data FROM events WHERE id = ?').pluck().get(e.id) as string;
      expect(JSON.parse(row)).to.deep.equal({ County: 'Albany', River: 'Hudson', Fish: 'Bass' });
    });

    it('counts per county only the events in (start, end]', async () => {
      const window = windowAt(T0 + 10 * MINUTE, 5);
      const at = (time: number, county: string) => stored(makeEvent(time, county));
      await stack.write(() =>
        events.putEvents([
          at(window.start, 'Albany'), // exactly W old: out
          at(window.start - 1, 'Albany'),
          at(window.start + 1, 'Albany'), // in
          at(window.start + 1, 'Bronx'), // in
          at(window.start + 2 * MINUTE, 'Bronx'), // in
          at(window.end, 'Bronx'), // stamped now: in
          at(window.end + 1, 'Bronx'), // in the future: out
          at(window.end - 1, 'Cayuga'), // in
          at(window.start - MINUTE, 'Delaware'), // out, county absent from the result
        ]),
      );
      const counts = await events.countByCounty(window);
      expect(sorted(counts)).to.deep.equal([
        ['Albany', 1],
        ['Bronx', 3],
        ['Cayuga', 1],
      ]);
    });

    it('returns an empty map when no event is in the window', async () => {
      await stack.write(() => events.putEvents([stored(makeEvent(T0, 'Albany'))]));
      expect((await events.countByCounty(windowAt(T0 + 10 * MINUTE, 5))).size).to.equal(0);
      expect((await events.countByCounty(windowAt(T0 - 1, 5))).size).to.equal(0);
      expect((await events.countByCounty(windowAt(T0, 5))).get('Albany')).to.equal(1);
    });

    it('counts exactly for any window, whatever second boundaries its edges fall on', async () => {
      const random = prng(20250101);
      const base = Math.floor(T0 / 1000) * 1000; // a whole second
      const all: StoredEvent[] = [];
      const counties = ['Albany', 'Bronx', 'Cayuga', 'Delaware'];
      for (let i = 0; i < 400; i++) {
        // Mostly arbitrary milliseconds, some exactly on a second boundary or one ms either side.
        const second = base + Math.floor(random() * 20) * 1000;
        const kind = random();
        const time =
          kind < 0.2
            ? second
            : kind < 0.3
              ? second - 1
              : kind < 0.4
                ? second + 999
                : second + Math.floor(random() * 1000);
        all.push(stored(makeEvent(time, counties[Math.floor(random() * counties.length)] ?? 'Albany')));
      }
      // Stored in several batches, with redeliveries.
      for (let i = 0; i < all.length; i += 37)
        await stack.write(() => events.putEvents(all.slice(i, i + 50)));
      expect(events.countAll()).to.equal(new Set(all.map((e) => e.id)).size);

      const times = all.map((e) => e.time);
      const pick = () => {
        const r = random();
        if (r < 0.3) return times[Math.floor(random() * times.length)] ?? base;
        const second = base + Math.floor(random() * 22 - 1) * 1000;
        if (r < 0.5) return second;
        if (r < 0.6) return second - 1;
        if (r < 0.7) return second + 1;
        return second + Math.floor(random() * 1000);
      };
      for (let i = 0; i < 300; i++) {
        const a = pick();
        const b = random() < 0.2 ? a + Math.floor(random() * 2000) : pick();
        const window = { start: Math.min(a, b), end: Math.max(a, b), minutes: 5 };
        const counts = await events.countByCounty(window);
        expect(sorted(counts), `window (${window.start - base}, ${window.end - base}]`).to.deep.equal(
          sorted(bruteForce(all, window)),
        );
      }
    });

    it('expires only the events whose expiry has passed', async () => {
      const old = [0, 1, 2].map((i) => stored(makeEvent(T0 + i * 1000, 'Albany'), 10));
      const young = [3, 4].map((i) => stored(makeEvent(T0 + i * 1000, 'Bronx'), 10));
      const later = stored(makeEvent(T0 + 1500, 'Cayuga'), 60); // older than some expired ones, longer TTL
      await stack.write(() => events.putEvents([...old, ...young, later]));
      const now = (old[2]?.expiresAt ?? 0) * 1000; // exactly the last old one's expiry: it goes too
      expect(stack.tx(() => events.expire(now - 1))).to.equal(2);
      expect(events.countAll()).to.equal(4);
      expect(stack.tx(() => events.expire(now))).to.equal(1);
      expect(events.countAll()).to.equal(3);
      expect(stack.tx(() => events.expire(now))).to.equal(0);
      const ids = stack.db.prepare('SELECT id FROM events').pluck().all() as string[];
      expect(ids.sort()).to.deep.equal([...young, later].map((e) => e.id).sort());
      // The remaining events are still counted. (Whether an expired event is still counted is left
      // open, as with DynamoDB's lazy TTL: it is never in a window shorter than its TTL.)
      const counts = await events.countByCounty({ start: T0 + 1000, end: T0 + 10_000, minutes: 5 });
      expect(counts.get('Bronx')).to.equal(2);
      expect(counts.get('Cayuga')).to.equal(1);
    });

    it('counts an event redelivered after it expired once', async () => {
      const e = stored(makeEvent(T0, 'Albany'), 10);
      await stack.write(() => events.putEvents([e]));
      expect(stack.tx(() => events.expire(e.expiresAt * 1000))).to.equal(1);
      expect(events.countAll()).to.equal(0);
      await stack.write(() => events.putEvents([e]));
      expect(events.countAll()).to.equal(1);
      const counts = await events.countByCounty(windowAt(T0 + MINUTE, 5));
      expect(counts.get('Albany')).to.equal(1);
    });

    it('W = TTL = 1 minute: expiry running before every aggregation never takes an event of the window', async () => {
      // GIVEN events at arbitrary milliseconds, many in the first, partial second of later windows
      const random = prng(29);
      const base = Math.floor(T0 / 1000) * 1000 + 250;
      const all = Array.from({ length: 600 }, (_, i) =>
        stored(makeEvent(base + Math.floor(random() * 90_000), `C${i % 3}`), 1),
      );
      await stack.write(() => events.putEvents(all));
      // WHEN aggregations run every ~137 ms over two minutes, each right after the expiry sweep
      let low = 0;
      for (let now = base + MINUTE; now < base + 2.5 * MINUTE; now += 137) {
        stack.tx(() => events.expire(now));
        const window = windowAt(now, 1);
        const counts = await events.countByCounty(window);
        const total = [...counts.values()].reduce((a, b) => a + b, 0);
        const expected = [...bruteForce(all, window).values()].reduce((a, b) => a + b, 0);
        if (total < expected) low++;
        expect(total, `window ending ${now - base} ms after the first event`).to.equal(expected);
      }
      // THEN no snapshot was low, and the sweep did delete what had left the window
      expect(low).to.equal(0);
      expect(events.countAll()).to.be.below(all.length);
    });

    it('keeps the per-second counts equal to the events stored while expiry takes part of a second', async () => {
      // GIVEN events in the same seconds whose expiries differ (one at a whole second, one after it)
      const second = Math.floor(T0 / 1000) * 1000;
      const all = [0, 1, 500, 999, 1000, 1700].flatMap((offset) =>
        ['Albany', 'Bronx'].map((county) => stored(makeEvent(second + offset, county), 1)),
      );
      await stack.write(() => events.putEvents(all));
      // WHEN the sweep runs at each expiry in turn
      for (const now of [...new Set(all.map((e) => e.expiresAt * 1000))].sort()) {
        stack.tx(() => events.expire(now));
        // THEN what aggregations count over all time is exactly what is stored
        expect(events.countedAll(), `at ${now - second}`).to.equal(events.countAll());
        const remaining = all.filter((e) => e.expiresAt * 1000 > now);
        expect(events.countAll()).to.equal(remaining.length);
        const window = { start: second - 1, end: second + 2000, minutes: 1 };
        expect(sorted(await events.countByCounty(window))).to.deep.equal(
          sorted(bruteForce(remaining, window)),
        );
      }
      expect(events.countAll()).to.equal(0);
      expect(stack.db.prepare('SELECT COUNT(*) FROM county_seconds').pluck().get()).to.equal(0);
    });
  });

  describe('SqliteSnapshotRepository', () => {
    function snapshotAt(now: number, counts: Record<string, number>): Snapshot {
      return buildSnapshot(new Map(Object.entries(counts)), windowAt(now, 5), now);
    }

    it('has no snapshot before the first aggregation', async () => {
      expect(await snapshots.latestSnapshot()).to.equal(undefined);
    });

    it('replaces the whole latest snapshot: a county absent from the new one is gone', async () => {
      const first = snapshotAt(T0, { Albany: 3, Bronx: 1 });
      await stack.write(() => snapshots.putSnapshot(first));
      expect(await snapshots.latestSnapshot()).to.deep.equal(first);

      const second = snapshotAt(T0 + MINUTE, { Bronx: 2, Cayuga: 5 });
      await stack.write(() => snapshots.putSnapshot(second));
      const latest = await snapshots.latestSnapshot();
      expect(latest).to.deep.equal(second);
      expect(latest?.counties.map((c) => c.county)).to.deep.equal(['Cayuga', 'Bronx']);
      expect(latest?.total).to.equal(7);

      const empty = snapshotAt(T0 + 2 * MINUTE, {});
      await stack.write(() => snapshots.putSnapshot(empty));
      expect(await snapshots.latestSnapshot()).to.deep.equal(empty);
    });

    it("replaces a snapshot dated more than the clock skew after its own time, by core's rule", async () => {
      // GIVEN a stored snapshot, and a later aggregation at each of these offsets from it
      for (const offset of [-86_400_000, -60_001, -60_000, -1, 0, 1]) {
        stack.db.exec('DELETE FROM aggregates');
        const stored = snapshotAt(T0, { Stored: 1 });
        await stack.write(() => snapshots.putSnapshot(stored));
        const next = snapshotAt(T0 + offset, { Next: 1 });
        await stack.write(() => snapshots.putSnapshot(next));
        // THEN the conditional write decides as replacesSnapshot does
        const expected = replacesSnapshot(T0 + offset, T0) ? next : stored;
        expect(await snapshots.latestSnapshot(), `offset ${offset}`).to.deep.equal(expected);
      }
    });

    it('never lets an older snapshot (earlier updated) replace a newer one', async () => {
      const newer = snapshotAt(T0 + MINUTE, { Albany: 9 });
      const older = snapshotAt(T0, { Bronx: 4 });
      await stack.write(() => snapshots.putSnapshot(newer));
      await stack.write(() => snapshots.putSnapshot(older));
      expect(await snapshots.latestSnapshot()).to.deep.equal(newer);
      const newest = snapshotAt(T0 + MINUTE + 1, { Cayuga: 1 });
      await stack.write(() => snapshots.putSnapshot(newest));
      expect(await snapshots.latestSnapshot()).to.deep.equal(newest);
    });
  });
});
