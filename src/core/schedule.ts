import { UsageError } from './errors.js';

/**
 * EventBridge schedule expressions: `rate(1 minute)`, `rate(5 minutes)`, `rate(2 hours)`,
 * `rate(1 day)` and `cron(Minutes Hours Day-of-month Month Day-of-week Year)`, all in UTC.
 */
export interface Schedule {
  expression: string;
  /** The first firing time strictly after `afterMs`. */
  next(afterMs: number): number;
}

const MINUTE = 60_000;
const UNIT_MS: Record<string, number> = { minute: MINUTE, hour: 60 * MINUTE, day: 24 * 60 * MINUTE };

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
    next: (afterMs) => (Math.floor(afterMs / period) + 1) * period,
  };
}

interface CronField {
  matches(value: number): boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function cronField(text: string, min: number, max: number, names: string[] = [], nameBase = 0): CronField {
  if (text === '*' || text === '?') return { matches: () => true };
  const allowed = new Set<number>();
  const toNumber = (token: string): number => {
    const named = names.indexOf(token.toUpperCase());
    const value = named >= 0 ? named + nameBase : /^\d+$/.test(token) ? Number(token) : Number.NaN;
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`"${token}" is out of range`);
    return value;
  };
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : /^\d+$/.test(stepText) ? Number(stepText) : Number.NaN;
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step in "${part}"`);
    let from: number;
    let to: number;
    if (range === '*') {
      from = min;
      to = max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      from = toNumber(a);
      to = toNumber(b);
    } else {
      from = toNumber(range);
      to = stepText === undefined ? from : max;
    }
    for (let v = from; v <= to; v += step) allowed.add(v);
  }
  return { matches: (value) => allowed.has(value) };
}

function cronSchedule(expression: string, body: string): Schedule {
  const fields = body.trim().split(/\s+/);
  const invalid = (why: string) =>
    new UsageError(
      `Invalid schedule expression "${expression}": ${why}. Cron takes six fields, e.g. "cron(0/5 * * * ? *)".`,
    );
  if (fields.length !== 6) throw invalid(`it has ${fields.length} fields`);
  const [minF = '', hourF = '', domF = '', monthF = '', dowF = '', yearF = ''] = fields;
  if (/[LW#]/.test(domF + dowF)) throw invalid('the L, W and # cron features are not supported');
  if ((domF === '?') === (dowF === '?'))
    throw invalid('exactly one of day-of-month and day-of-week must be "?"');
  let parsed: CronField[];
  try {
    parsed = [
      cronField(minF, 0, 59),
      cronField(hourF, 0, 23),
      cronField(domF, 1, 31),
      cronField(monthF, 1, 12, MONTHS, 1),
      cronField(dowF, 1, 7, DAYS, 1),
      cronField(yearF, 1970, 2199),
    ];
  } catch (error) {
    throw invalid((error as Error).message);
  }
  const [minute, hour, dom, month, dow, year] = parsed as [
    CronField,
    CronField,
    CronField,
    CronField,
    CronField,
    CronField,
  ];
  return {
    expression,
    next(afterMs) {
      // Walk minute by minute, skipping whole hours and days that cannot match; bounded to ~5 years.
      let t = (Math.floor(afterMs / MINUTE) + 1) * MINUTE;
      const limit = afterMs + 5 * 366 * 24 * 60 * MINUTE;
      while (t <= limit) {
        const d = new Date(t);
        if (
          !year.matches(d.getUTCFullYear()) ||
          !month.matches(d.getUTCMonth() + 1) ||
          !dom.matches(d.getUTCDate()) ||
          !dow.matches(d.getUTCDay() + 1)
        ) {
          t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
          continue;
        }
        if (!hour.matches(d.getUTCHours())) {
          t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
          continue;
        }
        if (minute.matches(d.getUTCMinutes())) return t;
        t += MINUTE;
      }
      return Number.POSITIVE_INFINITY;
    },
  };
}
