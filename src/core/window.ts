/**
 * The sliding window. At time `now` it holds the events whose time is in (now - W, now]:
 * an event exactly W old has left it, an event stamped `now` is in.
 */
export interface TimeWindow {
  /** Exclusive lower bound, Unix ms. */
  start: number;
  /** Inclusive upper bound, Unix ms. */
  end: number;
  minutes: number;
}

export function windowAt(now: number, minutes: number): TimeWindow {
  return { start: now - minutes * 60_000, end: now, minutes };
}

export function inWindow(window: TimeWindow, time: number): boolean {
  return time > window.start && time <= window.end;
}
