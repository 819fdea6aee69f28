import type { Clock } from '../src/core/clock.js';

/** 2025-01-01T12:00:30Z: half-way through a minute, so rate(1 minute) slots are 30 s away. */
export const T0 = Date.UTC(2025, 0, 1, 12, 0, 30);

/** A clock whose waits return at once, each recorded in `sleeps`. */
export interface RecordingClock extends Clock {
  readonly sleeps: number[];
}

/** Time that moves only when the test (or a wait) moves it. */
export interface FakeClock extends RecordingClock {
  /** Moves time on by `ms` and returns the new time. */
  advance(ms: number): number;
  set(ms: number): void;
}

/**
 * The kit's one fake clock: time starts at `start` and moves when the test moves it; a wait returns
 * at once (nothing in a test waits for real), is recorded, and moves time on by what it waited, as
 * a real wait would.
 */
export function fakeClock(start = T0): FakeClock {
  let t = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    async sleep(ms) {
      const wait = Math.max(0, ms);
      sleeps.push(wait);
      t += wait;
    },
    advance(ms) {
      t += ms;
      return t;
    },
    set(ms) {
      t = ms;
    },
  };
}

/**
 * Real time, with waits that return at once, recorded: for code that backs off or polls (retries,
 * a deploy followed to its end) where the test is about what is waited, not when.
 */
export function instantClock(): RecordingClock {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => Date.now(),
    async sleep(ms) {
      sleeps.push(ms);
    },
  };
}
