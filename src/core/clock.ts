/** Time as the pipeline sees it; injected so tests can drive it with fake timers. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early (without throwing) when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Uses the global timers (not timers/promises) so that sinon's fake timers control it. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
    });
  },
};

/**
 * How far a time written by another process (or by this one, before its clock was set right) may
 * lie ahead of now before it is taken for a clock error: one minute. It is also the aggregation
 * function's timeout, so an aggregation that finishes late is never more than this behind a newer one.
 */
export const CLOCK_SKEW_MS = 60_000;

/** Whether `time` is more than the allowed skew after `now`: written by a clock that ran ahead. */
export function isAheadOfNow(time: number, now: number): boolean {
  return time > now + CLOCK_SKEW_MS;
}

/** The latest time a Date can hold (±100,000,000 days from 1970): anything later has no ISO form. */
export const LATEST_DATE_MS = 8.64e15;

/** An ISO 8601 string for a time, or null for one a Date cannot hold (never, or past the year 275,760). */
export function isoTimeOrNull(ms: number): string | null {
  return Number.isFinite(ms) && Math.abs(ms) <= LATEST_DATE_MS ? new Date(ms).toISOString() : null;
}
