import { expect } from 'chai';
import type { Clock } from '../../src/core/clock.js';
import {
  FOLLOW_POLICY,
  followDelay,
  followPolls,
  type LogLine,
  matchesQuery,
  parseSince,
} from '../../src/core/logs.js';

const NOW = Date.UTC(2026, 11, 1, 13, 0, 0);

function line(time: number, message = 'x'): LogLine {
  return { function: 'storing', time, level: 'INFO', message, id: String(time) };
}

describe('core/logs', () => {
  describe('parseSince', () => {
    it('takes a duration back from now: seconds, minutes, hours, days, weeks, and combinations', () => {
      expect(parseSince('30s', NOW)).to.equal(NOW - 30_000);
      expect(parseSince('10m', NOW)).to.equal(NOW - 600_000);
      expect(parseSince('2h', NOW)).to.equal(NOW - 7_200_000);
      expect(parseSince('1d', NOW)).to.equal(NOW - 86_400_000);
      expect(parseSince('1w', NOW)).to.equal(NOW - 7 * 86_400_000);
      expect(parseSince('1h30m', NOW)).to.equal(NOW - 5_400_000);
      expect(parseSince(' 5M ', NOW)).to.equal(NOW - 300_000);
    });

    it('takes an ISO 8601 time, in UTC unless it names a zone, and a date alone', () => {
      expect(parseSince('2026-12-01T12:00:00Z', NOW)).to.equal(Date.UTC(2026, 11, 1, 12));
      expect(parseSince('2026-12-01T12:00:00', NOW)).to.equal(Date.UTC(2026, 11, 1, 12));
      expect(parseSince('2026-12-01 12:00', NOW)).to.equal(Date.UTC(2026, 11, 1, 12));
      expect(parseSince('2026-12-01T14:00:00+02:00', NOW)).to.equal(Date.UTC(2026, 11, 1, 12));
      expect(parseSince('2026-12-01T12:00:00.250Z', NOW)).to.equal(Date.UTC(2026, 11, 1, 12) + 250);
      expect(parseSince('2026-12-01', NOW)).to.equal(Date.UTC(2026, 11, 1));
    });

    for (const bad of [
      '',
      '10',
      'm',
      '10 minutes',
      '0m',
      '-5m',
      'yesterday',
      '2026-13-45',
      '2026-12-01T25:00',
      '10m ago',
    ])
      it(`refuses ${JSON.stringify(bad)}`, () => {
        expect(parseSince(bad, NOW)).to.equal(undefined);
      });
  });

  it('matchesQuery: the function, the time from `since` on, and the filter text exactly', () => {
    const query = { functions: ['storing'] as const, since: 100, filter: 'Not JSON' };
    expect(matchesQuery(line(100, 'a Not JSON b'), query)).to.equal(true);
    expect(matchesQuery(line(99, 'a Not JSON b'), query)).to.equal(false);
    expect(matchesQuery(line(100, 'a not json b'), query)).to.equal(false);
    expect(matchesQuery({ ...line(100, 'Not JSON'), function: 'aggregation' }, query)).to.equal(false);
    expect(matchesQuery(line(100, 'anything'), { ...query, filter: undefined })).to.equal(true);
  });

  it('followDelay: once a second, doubling for each throttled poll in a row, at most 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((n) => followDelay(n))).to.deep.equal([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
    expect(FOLLOW_POLICY).to.deep.equal({ intervalMs: 1000, maxIntervalMs: 30000 });
  });

  describe('followPolls', () => {
    /** A clock whose waits return at once, each recorded, running `onSleep` (the test's next step). */
    function scriptedClock(onSleep: (n: number) => void): Clock & { sleeps: number[] } {
      const sleeps: number[] = [];
      return {
        sleeps,
        now: () => NOW,
        async sleep(ms) {
          sleeps.push(ms);
          onSleep(sleeps.length);
        },
      };
    }

    it('waits before each poll, hands on only what is new, backs off while throttled, and stops on the signal', async () => {
      const controller = new AbortController();
      const answers = [
        { lines: [line(1)], throttled: false },
        { lines: [], throttled: false },
        { lines: [], throttled: true },
        { lines: [], throttled: true },
        { lines: [line(2), line(3)], throttled: false },
      ];
      const polls = answers.length;
      const clock = scriptedClock((n) => {
        if (n > polls) controller.abort();
      });
      const batches: LogLine[][] = [];
      for await (const batch of followPolls(async () => answers.shift()!, {
        clock,
        signal: controller.signal,
      }))
        batches.push(batch);
      expect(batches.map((b) => b.map((l) => l.time))).to.deep.equal([[1], [2, 3]]);
      expect(clock.sleeps).to.deep.equal([1000, 1000, 1000, 2000, 4000, 1000]);
    });

    it('an abort during a wait ends it without another poll', async () => {
      const controller = new AbortController();
      let polls = 0;
      const clock = scriptedClock(() => controller.abort());
      for await (const _ of followPolls(
        async () => {
          polls++;
          return { lines: [], throttled: false };
        },
        { clock, signal: controller.signal },
      ))
        expect.fail('nothing to hand on');
      expect(polls).to.equal(0);
    });
  });
});
