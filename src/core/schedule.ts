import { CLOCK_SKEW_MS, LATEST_DATE_MS } from './clock.js';
import { UsageError } from './errors.js';

/**
 * EventBridge schedule expressions, all in UTC: `rate(1 minute)`, `rate(5 minutes)`, `rate(2 hours)`,
 * `rate(1 day)`, and `cron(Minutes Hours Day-of-month Month Day-of-week Year)` with EventBridge's
 * wildcards: `, - * /` everywhere, `?` in either day field, `L` and `W` in day-of-month, `L` and `#` in
 * day-of-week. Both targets accept exactly this; the local target also evaluates it.
 */
export interface Schedule {
  expression: string;
  /**
   * The first firing time strictly after `afterMs`; +Infinity when there is none within ~5 years,
   * or none a Date can hold (`rate(99999999999 days)`), so that every finite answer has an ISO form.
   */
  next(afterMs: number): number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const UNIT_MS: Record<string, number> = { minute: MINUTE, hour: 60 * MINUTE, day: DAY };
/** How far `next` looks for a cron firing: a date that does not come by then never does. */
const SEARCH_MS = 5 * 366 * DAY;

/** Refuses anything EventBridge would refuse, with one line that shows the valid forms. */
export function checkScheduleExpression(expression: string): void {
  parseSchedule(expression);
}

export function parseSchedule(expression: string): Schedule {
  const text = expression.trim();
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(text);
  if (rate) return rateSchedule(text, Number(rate[1]), rate[2] ?? '');
  const cron = /^cron\((.+)\)$/.exec(text);
  if (cron) return cronSchedule(text, cron[1] ?? '');
  throw new UsageError(
    `Invalid schedule expression "${expression}": use rate(N minute[s]|hour[s]|day[s]) or cron(min hour dom month dow year), e.g. "rate(1 minute)".`,
  );
}

function rateSchedule(expression: string, value: number, unit: string): Schedule {
  const singular = unit.replace(/s$/, '');
  if (value < 1)
    throw new UsageError(`Invalid schedule expression "${expression}": the rate must be at least 1.`);
  if ((value === 1) !== (unit === singular)) {
    const fixed = value === 1 ? `rate(1 ${singular})` : `rate(${value} ${singular}s)`;
    throw new UsageError(`Invalid schedule expression "${expression}": EventBridge wants "${fixed}".`);
  }
  const period = value * (UNIT_MS[singular] ?? MINUTE);
  return {
    expression,
    next(afterMs) {
      const next = (Math.floor(afterMs / period) + 1) * period;
      return next <= LATEST_DATE_MS ? next : Number.POSITIVE_INFINITY;
    },
  };
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface Range {
  min: number;
  max: number;
  names?: string[];
  /** The number of names[0]: 1 for both months (JAN) and days of week (SUN). */
  nameBase?: number;
}

/** A value of a field: a number in range, or a name. */
function value(token: string, range: Range): number {
  const named = range.names?.indexOf(token.toUpperCase()) ?? -1;
  const n = named >= 0 ? named + (range.nameBase ?? 0) : /^\d+$/.test(token) ? Number(token) : Number.NaN;
  if (!Number.isInteger(n) || n < range.min || n > range.max) throw new Error(`"${token}" is out of range`);
  return n;
}

/** The values of one comma-separated part: `*`, `N`, `A-B`, with an optional `/STEP`. */
function plainValues(part: string, range: Range): number[] {
  const [base = '', stepText] = part.split('/');
  const step = stepText === undefined ? 1 : /^\d+$/.test(stepText) ? Number(stepText) : Number.NaN;
  if (!Number.isInteger(step) || step < 1) throw new Error(`bad step in "${part}"`);
  let from: number;
  let to: number;
  if (base === '*') [from, to] = [range.min, range.max];
  else if (base.includes('-')) {
    const [a = '', b = ''] = base.split('-');
    [from, to] = [value(a, range), value(b, range)];
  } else {
    from = value(base, range);
    to = stepText === undefined ? from : range.max;
  }
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
}

/** A field of plain values (minutes, hours, month, year): the set it allows. */
function plainField(text: string, range: Range): (v: number) => boolean {
  if (text === '*') return () => true;
  const allowed = new Set(text.split(',').flatMap((part) => plainValues(part, range)));
  return (v) => allowed.has(v);
}

/** A day of a month, UTC. */
interface Day {
  year: number;
  /** 0-11 */
  month: number;
  /** 1-31 */
  date: number;
}

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
/** 1 (Sunday) to 7 (Saturday), as EventBridge numbers them. */
const weekday = (d: Day) => new Date(Date.UTC(d.year, d.month, d.date)).getUTCDay() + 1;

/** The weekday (Monday to Friday) nearest to `date` within its month, as `W` means it. */
function nearestWeekday(year: number, month: number, date: number): number {
  const last = daysIn(year, month);
  const target = Math.min(date, last);
  const dow = weekday({ year, month, date: target });
  if (dow === 7) return target === 1 ? 3 : target - 1; // Saturday: Friday before, or Monday after the 1st
  if (dow === 1) return target === last ? target - 2 : target + 1; // Sunday: Monday after, or Friday before the last
  return target;
}

type DayRule = (d: Day) => boolean;

function anyOf(rules: DayRule[]): DayRule {
  return (d) => rules.some((rule) => rule(d));
}

const DOM: Range = { min: 1, max: 31 };
const DOW: Range = { min: 1, max: 7, names: DAYS, nameBase: 1 };

/** Day-of-month: plain values, `L` (last day), `LW` (last weekday), `NW` (weekday nearest day N). */
function dayOfMonthField(text: string): DayRule {
  if (text === '*' || text === '?') return () => true;
  return anyOf(
    text.split(',').map((part): DayRule => {
      if (part === 'L') return (d) => d.date === daysIn(d.year, d.month);
      if (part === 'LW') return (d) => d.date === nearestWeekday(d.year, d.month, daysIn(d.year, d.month));
      const w = /^(\d+)W$/.exec(part);
      if (w) {
        const n = value(w[1] ?? '', DOM);
        return (d) => d.date === nearestWeekday(d.year, d.month, n);
      }
      const allowed = new Set(plainValues(part, DOM));
      return (d) => allowed.has(d.date);
    }),
  );
}

/** Day-of-week: plain values, `L` (Saturday), `NL` (the month's last day N), `N#K` (its K-th day N). */
function dayOfWeekField(text: string): DayRule {
  if (text === '*' || text === '?') return () => true;
  return anyOf(
    text.split(',').map((part): DayRule => {
      if (part === 'L') return (d) => weekday(d) === 7;
      const last = /^(\w+)L$/.exec(part);
      if (last) {
        const n = value(last[1] ?? '', DOW);
        return (d) => weekday(d) === n && d.date + 7 > daysIn(d.year, d.month);
      }
      const nth = /^(\w+)#(\d+)$/.exec(part);
      if (nth) {
        const n = value(nth[1] ?? '', DOW);
        const k = Number(nth[2]);
        if (k < 1 || k > 5) throw new Error(`"${part}": # takes 1 to 5`);
        return (d) => weekday(d) === n && Math.ceil(d.date / 7) === k;
      }
      const allowed = new Set(plainValues(part, DOW));
      return (d) => allowed.has(weekday(d));
    }),
  );
}

function cronSchedule(expression: string, body: string): Schedule {
  const fields = body.trim().split(/\s+/);
  const invalid = (why: string) =>
    new UsageError(
      `Invalid schedule expression "${expression}": ${why}. Cron takes six fields, e.g. "cron(0/5 * * * ? *)".`,
    );
  if (fields.length !== 6) throw invalid(`it has ${fields.length} fields`);
  const [minF = '', hourF = '', domF = '', monthF = '', dowF = '', yearF = ''] = fields;
  if ((domF === '?') === (dowF === '?'))
    throw invalid('exactly one of day-of-month and day-of-week must be "?"');
  let minute: (v: number) => boolean;
  let hour: (v: number) => boolean;
  let month: (v: number) => boolean;
  let year: (v: number) => boolean;
  let dayOfMonth: DayRule;
  let dayOfWeek: DayRule;
  try {
    minute = plainField(minF, { min: 0, max: 59 });
    hour = plainField(hourF, { min: 0, max: 23 });
    dayOfMonth = dayOfMonthField(domF);
    month = plainField(monthF, { min: 1, max: 12, names: MONTHS, nameBase: 1 });
    dayOfWeek = dayOfWeekField(dowF);
    year = plainField(yearF, { min: 1970, max: 2199 });
  } catch (error) {
    throw invalid((error as Error).message);
  }
  return {
    expression,
    next(afterMs) {
      // Walk minute by minute, skipping whole hours and days that cannot match; bounded to ~5 years.
      let t = (Math.floor(afterMs / MINUTE) + 1) * MINUTE;
      const limit = afterMs + SEARCH_MS;
      while (t <= limit) {
        const d = new Date(t);
        const day = { year: d.getUTCFullYear(), month: d.getUTCMonth(), date: d.getUTCDate() };
        if (!year(day.year) || !month(day.month + 1) || !dayOfMonth(day) || !dayOfWeek(day)) {
          t = Date.UTC(day.year, day.month, day.date + 1);
          continue;
        }
        if (!hour(d.getUTCHours())) {
          t = Date.UTC(day.year, day.month, day.date, d.getUTCHours() + 1);
          continue;
        }
        if (minute(d.getUTCMinutes())) return t;
        t += MINUTE;
      }
      return Number.POSITIVE_INFINITY;
    },
  };
}

/**
 * Whether a stored next slot was written by a clock that ran ahead: it is later than the first slot
 * after now plus the clock skew, so more than a skew and one period ahead. Obeying it would stop the
 * schedule until the real time caught up.
 */
export function isSlotAheadOfNow(schedule: Schedule, slot: number, now: number): boolean {
  return slot > schedule.next(now + CLOCK_SKEW_MS);
}

/** What a stored next slot stands for at `now` (slotAt). */
export interface DueSlot {
  /** When the schedule fires next; +Infinity when it never does. */
  due: number;
  /** The stored slot was ahead of now by more than a skew and one period; `due` is from now. */
  clockError: boolean;
}

/**
 * The schedule's next slot at `now`, from the one stored (`stored`, Unix ms, undefined when none is):
 * the stored one, or one computed from now when none is stored, the stored one is not a time, or a
 * clock that ran ahead stored it. The local runtime claims by it, and `status` shows it.
 */
export function slotAt(schedule: Schedule, stored: number | undefined, now: number): DueSlot {
  const valid = stored !== undefined && Number.isFinite(stored) && Math.abs(stored) <= LATEST_DATE_MS;
  if (valid && !isSlotAheadOfNow(schedule, stored, now)) return { due: stored, clockError: false };
  return { due: schedule.next(now), clockError: valid };
}
