import { expect } from 'chai';
import { UsageError } from '../../src/core/errors.js';
import { isSlotAheadOfNow, parseSchedule, slotAt } from '../../src/core/schedule.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const at = (text: string) => Date.parse(text);

/** The next `n` firing times after `from`, as ISO strings. */
function firings(expression: string, from: number, n: number): string[] {
  const schedule = parseSchedule(expression);
  const out: string[] = [];
  let t = from;
  for (let i = 0; i < n; i++) {
    t = schedule.next(t);
    out.push(iso(t));
  }
  return out;
}

function usageError(expression: string): UsageError {
  try {
    parseSchedule(expression);
  } catch (error) {
    expect(error, expression).to.be.instanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error(`expected "${expression}" to be rejected`);
}

describe('core/schedule', () => {
  describe('rate expressions', () => {
    it('rate(1 minute) fires on every minute boundary, strictly after the given time', () => {
      const schedule = parseSchedule('rate(1 minute)');
      expect(schedule.expression).to.equal('rate(1 minute)');
      // GIVEN a time in the middle of a minute WHEN asking for the next firing THEN it is the next boundary
      expect(iso(schedule.next(at('2024-03-10T10:15:42.500Z')))).to.equal('2024-03-10T10:16:00.000Z');
      // GIVEN a time exactly on a boundary THEN the next firing is the one after, never the same instant
      expect(iso(schedule.next(at('2024-03-10T10:16:00.000Z')))).to.equal('2024-03-10T10:17:00.000Z');
      expect(iso(schedule.next(at('2024-03-10T10:16:59.999Z')))).to.equal('2024-03-10T10:17:00.000Z');
    });

    it('rate(5 minutes) fires every 5 minutes on 5-minute boundaries', () => {
      expect(firings('rate(5 minutes)', at('2024-03-10T10:02:00Z'), 3)).to.deep.equal([
        '2024-03-10T10:05:00.000Z',
        '2024-03-10T10:10:00.000Z',
        '2024-03-10T10:15:00.000Z',
      ]);
    });

    it('supports hours and days', () => {
      expect(firings('rate(1 hour)', at('2024-03-10T10:30:00Z'), 2)).to.deep.equal([
        '2024-03-10T11:00:00.000Z',
        '2024-03-10T12:00:00.000Z',
      ]);
      const twoHours = parseSchedule('rate(2 hours)');
      expect(twoHours.next(at('2024-03-10T10:30:00Z')) - at('2024-03-10T10:30:00Z')).to.be.at.most(2 * HOUR);
      expect(twoHours.next(twoHours.next(0)) - twoHours.next(0)).to.equal(2 * HOUR);
      expect(firings('rate(1 day)', at('2024-03-10T10:30:00Z'), 2)).to.deep.equal([
        '2024-03-11T00:00:00.000Z',
        '2024-03-12T00:00:00.000Z',
      ]);
      const threeDays = parseSchedule('rate(3 days)');
      expect(threeDays.next(threeDays.next(0)) - threeDays.next(0)).to.equal(3 * DAY);
    });

    it('tolerates surrounding whitespace', () => {
      expect(parseSchedule('  rate(1 minute) ').next(0)).to.equal(MINUTE);
    });

    it('rejects "rate(1 minutes)" and names the corrected form', () => {
      expect(usageError('rate(1 minutes)').message).to.include('"rate(1 minute)"');
      expect(usageError('rate(1 hours)').message).to.include('"rate(1 hour)"');
    });

    it('rejects "rate(5 minute)" and names the corrected form', () => {
      expect(usageError('rate(5 minute)').message).to.include('"rate(5 minutes)"');
      expect(usageError('rate(2 day)').message).to.include('"rate(2 days)"');
    });

    it('rejects a rate of 0', () => {
      expect(usageError('rate(0 minutes)').message).to.include('at least 1');
      expect(usageError('rate(0 minute)').message).to.include('at least 1');
    });

    it('rejects negative, fractional and unknown-unit rates', () => {
      usageError('rate(-1 minutes)');
      usageError('rate(1.5 minutes)');
      usageError('rate(5 seconds)');
      usageError('rate(5 weeks)');
      usageError('rate(minute)');
    });
  });

  describe('cron expressions', () => {
    it('cron(0/5 * * * ? *) fires every 5 minutes on the 5-minute marks', () => {
      expect(firings('cron(0/5 * * * ? *)', at('2024-03-10T10:02:30Z'), 4)).to.deep.equal([
        '2024-03-10T10:05:00.000Z',
        '2024-03-10T10:10:00.000Z',
        '2024-03-10T10:15:00.000Z',
        '2024-03-10T10:20:00.000Z',
      ]);
      // Strictly after: from a firing time the next one is 5 minutes later.
      expect(iso(parseSchedule('cron(0/5 * * * ? *)').next(at('2024-03-10T10:55:00Z')))).to.equal(
        '2024-03-10T11:00:00.000Z',
      );
    });

    it('cron(0 12 ? * MON-FRI *) fires at noon UTC on weekdays only', () => {
      // 2024-03-08 is a Friday.
      expect(firings('cron(0 12 ? * MON-FRI *)', at('2024-03-08T09:00:00Z'), 4)).to.deep.equal([
        '2024-03-08T12:00:00.000Z',
        '2024-03-11T12:00:00.000Z',
        '2024-03-12T12:00:00.000Z',
        '2024-03-13T12:00:00.000Z',
      ]);
      // From Friday noon the next firing skips the weekend.
      expect(firings('cron(0 12 ? * MON-FRI *)', at('2024-03-08T12:00:00Z'), 1)).to.deep.equal([
        '2024-03-11T12:00:00.000Z',
      ]);
    });

    it('numbers days of week 1-7 from Sunday, like EventBridge', () => {
      // 1 = SUN; 2024-03-10 is a Sunday.
      expect(firings('cron(30 6 ? * 1 *)', at('2024-03-05T00:00:00Z'), 2)).to.deep.equal([
        '2024-03-10T06:30:00.000Z',
        '2024-03-17T06:30:00.000Z',
      ]);
      expect(firings('cron(30 6 ? * SUN *)', at('2024-03-05T00:00:00Z'), 1)).to.deep.equal([
        '2024-03-10T06:30:00.000Z',
      ]);
    });

    it('supports day of month, month names, lists and years', () => {
      expect(firings('cron(15 10 1 JAN,JUL ? *)', at('2024-03-10T00:00:00Z'), 3)).to.deep.equal([
        '2024-07-01T10:15:00.000Z',
        '2025-01-01T10:15:00.000Z',
        '2025-07-01T10:15:00.000Z',
      ]);
      expect(firings('cron(0 0 29 2 ? *)', at('2024-03-01T00:00:00Z'), 1)).to.deep.equal([
        '2028-02-29T00:00:00.000Z',
      ]);
      expect(firings('cron(0 0 1 1 ? 2028)', at('2024-03-01T00:00:00Z'), 1)).to.deep.equal([
        '2028-01-01T00:00:00.000Z',
      ]);
    });

    it('never fires for a date that does not come within the bound', () => {
      expect(parseSchedule('cron(0 0 1 1 ? 2020)').next(at('2024-03-01T00:00:00Z'))).to.equal(
        Number.POSITIVE_INFINITY,
      );
    });

    it('rejects a cron with 5 fields (Unix style) and shows the six-field form', () => {
      const error = usageError('cron(*/5 * * * *)');
      expect(error.message).to.include('5 fields');
      expect(error.message).to.include('cron(0/5 * * * ? *)');
      usageError('cron(0 12 * * ? * *)');
    });

    it('rejects day-of-month and day-of-week both "?" or both set', () => {
      expect(usageError('cron(0 12 ? * ? *)').message).to.include(
        'exactly one of day-of-month and day-of-week',
      );
      expect(usageError('cron(0 12 * * * *)').message).to.include(
        'exactly one of day-of-month and day-of-week',
      );
      expect(usageError('cron(0 12 1 * MON *)').message).to.include(
        'exactly one of day-of-month and day-of-week',
      );
    });

    it('evaluates L, W and # as EventBridge does, so every expression AWS accepts runs locally too', () => {
      // L: the last day of the month (February 2024 has 29 days).
      expect(firings('cron(0 12 L * ? *)', at('2024-02-10T00:00Z'), 2)).to.deep.equal([
        '2024-02-29T12:00:00.000Z',
        '2024-03-31T12:00:00.000Z',
      ]);
      // 15W: the weekday nearest the 15th. 2024-06-15 is a Saturday: Friday the 14th.
      // 1W on a Saturday (2024-06-01) moves forward to Monday the 3rd, never into May.
      expect(firings('cron(0 12 15W * ? *)', at('2024-06-01T13:00Z'), 1)).to.deep.equal([
        '2024-06-14T12:00:00.000Z',
      ]);
      expect(firings('cron(0 12 1W * ? *)', at('2024-05-31T13:00Z'), 1)).to.deep.equal([
        '2024-06-03T12:00:00.000Z',
      ]);
      // LW: the last weekday. 2024-08-31 is a Saturday: Friday the 30th.
      expect(firings('cron(0 12 LW * ? *)', at('2024-08-01T00:00Z'), 1)).to.deep.equal([
        '2024-08-30T12:00:00.000Z',
      ]);
      // 6#3: the third Friday; 6L and FRIL: the last Friday.
      expect(firings('cron(0 12 ? * 6#3 *)', at('2024-06-01T00:00Z'), 2)).to.deep.equal([
        '2024-06-21T12:00:00.000Z',
        '2024-07-19T12:00:00.000Z',
      ]);
      expect(firings('cron(0 12 ? * 6L *)', at('2024-06-01T00:00Z'), 1)).to.deep.equal([
        '2024-06-28T12:00:00.000Z',
      ]);
      expect(firings('cron(0 12 ? * FRIL *)', at('2024-06-01T00:00Z'), 1)).to.deep.equal([
        '2024-06-28T12:00:00.000Z',
      ]);
    });

    it('rejects L, W and # where EventBridge does', () => {
      usageError('cron(0 12 ? * 6#6 *)');
      usageError('cron(0 12 32W * ? *)');
      usageError('cron(0 12 L#2 * ? *)');
      usageError('cron(L 12 * * ? *)');
      usageError('cron(0 12 * L ? *)');
    });

    it('rejects out-of-range values and bad steps', () => {
      usageError('cron(60 * * * ? *)');
      usageError('cron(0 24 * * ? *)');
      usageError('cron(0 0 0 * ? *)');
      usageError('cron(0 0 32 * ? *)');
      usageError('cron(0 0 1 13 ? *)');
      usageError('cron(0 0 ? * 8 *)');
      usageError('cron(0 0 ? * FUN *)');
      usageError('cron(0/0 * * * ? *)');
      usageError('cron(*/ * * * ? *)');
    });

    it('rejects empty and non-decimal tokens instead of reading them as numbers', () => {
      // "5-" once parsed as the empty range 5..0: accepted, and then it never fired.
      usageError('cron(5- * * * ? *)');
      usageError('cron(, * * * ? *)');
      usageError('cron(0x10 * * * ? *)');
      usageError('cron(1e1 * * * ? *)');
      usageError('cron(0/1e1 * * * ? *)');
    });
  });

  describe('schedules with no next run', () => {
    const NOW = at('2026-12-01T16:00:30Z');
    for (const expression of ['cron(0 0 31 2 ? *)', 'cron(0/1 * * * ? 2020)', 'rate(99999999999 days)']) {
      it(`${expression} has none: next is +Infinity, never a time a Date cannot hold`, () => {
        const schedule = parseSchedule(expression); // EventBridge takes it, so the AWS target does too
        expect(schedule.next(NOW)).to.equal(Number.POSITIVE_INFINITY);
        expect(slotAt(schedule, undefined, NOW)).to.deep.equal({
          due: Number.POSITIVE_INFINITY,
          clockError: false,
        });
      });
    }

    it('a schedule that fired once has no next run after it', () => {
      const once = parseSchedule('cron(0 12 1 1 ? 2026)');
      expect(iso(once.next(at('2025-06-01T00:00:00Z')))).to.equal('2026-01-01T12:00:00.000Z');
      expect(once.next(at('2026-01-01T12:00:00Z'))).to.equal(Number.POSITIVE_INFINITY);
    });

    it('the largest rate whose next run a Date holds still has one', () => {
      const days = Math.floor(8.64e15 / DAY);
      expect(parseSchedule(`rate(${days} days)`).next(0)).to.equal(days * DAY);
      expect(parseSchedule(`rate(${days + 1} days)`).next(0)).to.equal(Number.POSITIVE_INFINITY);
    });
  });

  describe('slotAt: the stored next slot, or one from now', () => {
    const everyMinute = parseSchedule('rate(1 minute)');
    const NOW = at('2026-12-01T16:00:30Z');

    it('keeps a stored slot up to a skew and a period ahead (another process whose clock is a little ahead)', () => {
      for (const stored of ['2026-12-01T16:01:00Z', '2026-12-01T16:02:00Z', '2026-12-01T15:00:00Z']) {
        expect(slotAt(everyMinute, at(stored), NOW), stored).to.deep.equal({
          due: at(stored),
          clockError: false,
        });
      }
      expect(isSlotAheadOfNow(everyMinute, at('2026-12-01T16:02:00Z'), NOW)).to.equal(false);
    });

    it('recomputes from now a slot further ahead: a clock that ran ahead stored it', () => {
      for (const stored of ['2026-12-01T16:02:00.001Z', '2026-12-02T16:01:00Z']) {
        expect(isSlotAheadOfNow(everyMinute, at(stored), NOW)).to.equal(true);
        expect(slotAt(everyMinute, at(stored), NOW), stored).to.deep.equal({
          due: at('2026-12-01T16:01:00Z'),
          clockError: true,
        });
      }
      // A daily schedule allows a day's period: one slot ahead is fine, two are not.
      const daily = parseSchedule('rate(1 day)');
      expect(slotAt(daily, at('2026-12-02T00:00:00Z'), NOW).clockError).to.equal(false);
      expect(slotAt(daily, at('2026-12-03T00:00:00Z'), NOW).clockError).to.equal(true);
    });

    it('recomputes from now when nothing, or nothing that is a time, is stored', () => {
      for (const stored of [undefined, Number.NaN, Number.POSITIVE_INFINITY, 8.64e18]) {
        expect(slotAt(everyMinute, stored, NOW), String(stored)).to.deep.equal({
          due: at('2026-12-01T16:01:00Z'),
          clockError: false,
        });
      }
    });
  });

  it('rejects garbage with a UsageError that shows valid forms', () => {
    for (const garbage of ['', 'every minute', 'rate 1 minute', 'cron()', 'rate(1 minute', '* * * * *']) {
      const error = usageError(garbage);
      expect(error.exitCode).to.equal(2);
    }
    expect(usageError('every minute').message).to.include('rate(1 minute)');
  });
});
