import type { WaitContext } from './retry.js';

/**
 * What `sensorpipe logs` reads, on either target: the lines the two functions logged, each with its
 * function and time. Pure: the reading is the targets' (CloudWatch Logs, or the local stack's table).
 */

export const FUNCTION_NAMES = ['storing', 'aggregation'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** One line a function (or the runtime that ran it) logged. */
export interface LogLine {
  function: FunctionName;
  /** Unix ms. */
  time: number;
  /** INFO for what the handlers log, ERROR for a failed invocation; null where the line has none (START, REPORT). */
  level: string | null;
  /** The text as logged, without the runtime's time, request id and level, nor the final newline. */
  message: string;
  /** Unique within its function's log, so that a line read twice (a poll's overlap) is shown once. */
  id: string;
}

export interface LogQuery {
  functions: readonly FunctionName[];
  /** Unix ms: the lines logged at or after it. */
  since: number;
  /** Only the lines that contain this text, exactly (case-sensitive). */
  filter?: string;
}

/** Whether a line belongs to a query (the targets narrow first; this is the one rule of what matches). */
export function matchesQuery(line: Pick<LogLine, 'function' | 'time' | 'message'>, query: LogQuery): boolean {
  return (
    query.functions.includes(line.function) &&
    line.time >= query.since &&
    (query.filter === undefined || line.message.includes(query.filter))
  );
}

/** Oldest first; lines of the same millisecond keep their order (a stable sort). */
export function byTime(a: Pick<LogLine, 'time'>, b: Pick<LogLine, 'time'>): number {
  return a.time - b.time;
}

/**
 * How --follow polls. CloudWatch Logs' FilterLogEvents has a low per-account quota (a few requests
 * a second, shared by every caller in the account and region), so a follow asks about once a second
 * per log group, and waits longer each time it is throttled (doubling, up to maxIntervalMs), back
 * to once a second after an answer.
 */
export interface FollowPolicy {
  intervalMs: number;
  maxIntervalMs: number;
}

export const FOLLOW_POLICY: FollowPolicy = { intervalMs: 1_000, maxIntervalMs: 30_000 };

/** The wait before the next poll: the interval, doubled for each throttled poll in a row. */
export function followDelay(throttledInARow: number, policy: FollowPolicy = FOLLOW_POLICY): number {
  return Math.min(policy.maxIntervalMs, policy.intervalMs * 2 ** Math.max(0, throttledInARow));
}

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/**
 * --since: a duration back from `now` (`90s`, `10m`, `2h`, `1d`, `1h30m`, `1w`) or an ISO 8601
 * time (`2026-12-01T13:00:00Z`; without a zone it is UTC, as everywhere in sensorpipe). Undefined
 * when it is neither.
 */
export function parseSince(text: string, now: number): number | undefined {
  const input = text.trim();
  if (/^(\d+[smhdw])+$/i.test(input)) {
    let ms = 0;
    for (const [, n, unit] of input.toLowerCase().matchAll(/(\d+)([smhdw])/g))
      ms += Number(n) * (UNIT_MS[unit ?? ''] ?? 0);
    return ms > 0 ? now - ms : undefined;
  }
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(input))
    return undefined;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(input) || !/[T ]/.test(input) ? input : `${input}Z`;
  const time = Date.parse(zoned.replace(' ', 'T'));
  return Number.isNaN(time) ? undefined : time;
}

/**
 * A follow's polls: waits (through the clock, so tests drive time), polls, hands on what is new,
 * and again until the signal aborts, which ends a wait at once. A poll that was throttled makes the
 * next wait longer (followDelay).
 */
export async function* followPolls(
  poll: () => Promise<{ lines: LogLine[]; throttled: boolean }>,
  context: WaitContext & { policy?: FollowPolicy },
): AsyncGenerator<LogLine[]> {
  let throttledInARow = 0;
  for (;;) {
    await context.clock.sleep(followDelay(throttledInARow, context.policy), context.signal);
    if (context.signal?.aborted) return;
    const { lines, throttled } = await poll();
    throttledInARow = throttled ? throttledInARow + 1 : 0;
    if (lines.length > 0) yield lines;
  }
}
