import { expect } from 'chai';
import { isCurrent, type PlanOptions, planCount, type SecondRecord } from '../../src/core/count-plan.js';
import { windowAt } from '../../src/core/window.js';

const MINUTE = 60_000;
/** 12:00:30.250 on 2025-01-01: the default window spans parts of 6 minutes. */
const T = Date.UTC(2025, 0, 1, 12, 0, 30, 250);
const S = Math.floor(T / 1000);
const OPTIONS: PlanOptions = { joinBelow: 0, chunkEvents: Number.POSITIVE_INFINITY };

const current = (counts: Record<string, number>, version = 3): SecondRecord => ({
  changes: version,
  cached: { version, counts },
});

describe('core/count-plan', () => {
  it('uses cached counts only when made at the counter as it stands', () => {
    expect(isCurrent(current({ A: 1 }))).to.equal(true);
    expect(isCurrent({ changes: 4, cached: { version: 3, counts: { A: 1 } } })).to.equal(false);
    expect(isCurrent({ changes: 3 })).to.equal(false);
    expect(isCurrent({ cached: { version: 3, counts: { A: 1 } } })).to.equal(false);
    expect(isCurrent(undefined)).to.equal(false);
  });

  it('with no records reads the whole window raw, one range per minute, and caches nothing', () => {
    const window = windowAt(T, 5);
    const plan = planCount(window, new Map(), OPTIONS);
    expect(plan.cached.size).to.equal(0);
    expect(plan.cachedSeconds).to.equal(0);
    expect(plan.recount.size).to.equal(0);
    expect(plan.raw.map(({ after, upTo }) => ({ after, upTo }))).to.deep.equal([
      { after: window.start, upTo: Math.ceil(window.start / MINUTE) * MINUTE - 1 },
      ...[1, 2, 3, 4].map((i) => {
        const minuteStart = (Math.floor(window.start / MINUTE) + i) * MINUTE;
        return { after: minuteStart - 1, upTo: minuteStart + MINUTE - 1 };
      }),
      { after: Math.floor(T / MINUTE) * MINUTE - 1, upTo: T },
    ]);
  });

  it('takes current seconds from their cache, and reads the rest raw, recounting those with a counter', () => {
    const window = windowAt(T, 5);
    const records = new Map<number, SecondRecord>([
      [S - 100, current({ Albany: 2, Bronx: 1 })],
      [S - 99, current({ Albany: 5 })],
      [S - 98, { changes: 7, cached: { version: 6, counts: { Albany: 100 } } }], // changed since
      [S - 97, { changes: 2 }], // never counted
      [S - 96, current({ Bronx: 4 }, 9)],
    ]);
    const plan = planCount(window, records, OPTIONS);
    expect(Object.fromEntries(plan.cached)).to.deep.equal({ Albany: 7, Bronx: 5 });
    expect(plan.cachedSeconds).to.equal(3);
    expect([...plan.recount]).to.deep.equal([
      [S - 98, 7],
      [S - 97, 2],
    ]);
    // The two seconds between the cached ones are one raw range; the cached seconds split the rest.
    const ms = (second: number) => second * 1000;
    expect(plan.raw).to.deep.include({ after: ms(S - 98) - 1, upTo: ms(S - 96) - 1, estimate: 9 });
    expect(plan.raw.some((r) => r.upTo === ms(S - 100) - 1)).to.equal(true);
    expect(plan.raw.some((r) => r.after === ms(S - 95) - 1)).to.equal(true);
  });

  it('reads the partial edge seconds raw, never from a cache, and never recounts them', () => {
    const window = windowAt(T, 5);
    const first = Math.floor(window.start / 1000);
    const records = new Map<number, SecondRecord>([
      [first, current({ Edge: 50 })],
      [S, current({ Edge: 60 })],
    ]);
    const plan = planCount(window, records, OPTIONS);
    expect(plan.cached.size).to.equal(0);
    expect(plan.recount.size).to.equal(0);
    expect(plan.raw[0]!.after).to.equal(window.start);
    expect(plan.raw.at(-1)!.upTo).to.equal(window.end);
  });

  it('joins raw ranges across current seconds that hold few events, within a minute only', () => {
    const window = windowAt(T, 5);
    const records = new Map<number, SecondRecord>([
      [S - 100, { changes: 1 }],
      [S - 99, current({ Few: 3 })],
      [S - 98, { changes: 1 }],
      [S - 97, current({ Many: 50 })],
      [S - 96, { changes: 1 }],
    ]);
    const plan = planCount(window, records, { ...OPTIONS, joinBelow: 10 });
    expect(Object.fromEntries(plan.cached)).to.deep.equal({ Many: 50 });
    // The joined second is read raw, and keeps its counts: it is not recounted.
    expect([...plan.recount.keys()]).to.deep.equal([S - 100, S - 98, S - 96]);
    expect(plan.raw.some((r) => r.after < (S - 99) * 1000 && r.upTo >= (S - 98) * 1000)).to.equal(true);

    // Across a minute boundary nothing is joined: the raw partitions are per minute.
    const minuteStart = Math.floor(T / MINUTE) * 60; // a second
    const across = new Map<number, SecondRecord>([
      [minuteStart - 2, { changes: 1 }],
      [minuteStart - 1, current({ Few: 1 })],
      [minuteStart, current({ Few: 1 })],
      [minuteStart + 1, { changes: 1 }],
    ]);
    const split = planCount(window, across, { ...OPTIONS, joinBelow: 10 });
    expect(Object.fromEntries(split.cached)).to.deep.equal({ Few: 2 });
  });

  it('cuts raw ranges to about chunkEvents by the counters, and never across a minute', () => {
    const window = windowAt(T, 5);
    const records = new Map<number, SecondRecord>();
    for (let second = S - 299; second < S; second++) records.set(second, { changes: 100 });
    const plan = planCount(window, records, { ...OPTIONS, chunkEvents: 1_000 });
    for (const range of plan.raw) {
      expect(range.estimate).to.be.at.most(1_000);
      expect(Math.floor((range.after + 1) / MINUTE)).to.equal(Math.floor(range.upTo / MINUTE));
    }
    expect(plan.raw.length).to.be.within(30, 36);
  });

  it('cuts an edge that crosses a minute (a window under two seconds) at the minute', () => {
    const boundary = Math.floor(T / MINUTE) * MINUTE;
    const plan = planCount({ start: boundary - 300, end: boundary + 400, minutes: 0 }, new Map(), OPTIONS);
    expect(plan.raw.map(({ after, upTo }) => [after, upTo])).to.deep.equal([
      [boundary - 300, boundary - 1],
      [boundary - 1, boundary + 400],
    ]);
  });

  it('counts every window exactly, whatever the records hold (randomised)', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let round = 0; round < 40; round++) {
      const now = T + Math.floor(random() * 120_000);
      const window = windowAt(now, 1 + Math.floor(random() * 3));
      const events = Array.from({ length: 400 }, () => ({
        time: window.start - 2_000 + Math.floor(random() * (window.end - window.start + 4_000)),
        county: `C${Math.floor(random() * 5)}`,
      }));
      const truthOf = (keep: (time: number) => boolean) => {
        const counts: Record<string, number> = {};
        for (const e of events) if (keep(e.time)) counts[e.county] = (counts[e.county] ?? 0) + 1;
        return counts;
      };
      // Each second is current (true counts), stale (wrong counts, a newer counter), or without records.
      const records = new Map<number, SecondRecord>();
      for (let second = Math.floor(window.start / 1000); second <= Math.floor(window.end / 1000); second++) {
        const roll = random();
        const truth = truthOf((t) => Math.floor(t / 1000) === second);
        if (roll < 0.5) records.set(second, current(truth, 1 + Math.floor(random() * 9)));
        else if (roll < 0.8)
          records.set(second, { changes: 9, cached: { version: 8, counts: { Wrong: 1000 } } });
      }
      const plan = planCount(window, records, {
        joinBelow: Math.floor(random() * 20),
        chunkEvents: 1 + Math.floor(random() * 50),
      });
      const counted: Record<string, number> = Object.fromEntries(plan.cached);
      for (const e of events) {
        if (plan.raw.some((r) => e.time > r.after && e.time <= r.upTo))
          counted[e.county] = (counted[e.county] ?? 0) + 1;
      }
      const truth = truthOf((t) => t > window.start && t <= window.end);
      expect(counted, `round ${round}`).to.deep.equal(truth);
      for (let i = 1; i < plan.raw.length; i++)
        expect(plan.raw[i]!.after, `round ${round}: ranges in order, apart`).to.be.at.least(
          plan.raw[i - 1]!.upTo,
        );
    }
  });
});
