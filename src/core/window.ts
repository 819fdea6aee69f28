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

/** A time range (after, upTo], Unix ms: bounded like the window. */
export interface TimeRange {
  after: number;
  upTo: number;
}

export const SECOND_MS = 1000;

/**
 * The window cut on whole seconds, as both targets count it: the seconds wholly inside it, whose
 * events are counted per second, and the parts of the two seconds at its edges, counted event by
 * event.
 */
export interface WindowSeconds {
  /** The first whole second, Unix seconds. */
  firstSecond: number;
  /** One past the last whole second; equal to firstSecond when no second is whole. */
  endSecond: number;
  /** The partial seconds at the edges, in time order; the whole window when no second is whole. */
  edges: TimeRange[];
}

export function splitWindow(window: TimeWindow): WindowSeconds {
  const firstSecond = Math.floor(window.start / SECOND_MS) + 1;
  const lastPartial = Math.floor(window.end / SECOND_MS);
  if (firstSecond >= lastPartial) {
    return { firstSecond, endSecond: firstSecond, edges: [{ after: window.start, upTo: window.end }] };
  }
  return {
    firstSecond,
    endSecond: lastPartial,
    edges: [
      { after: window.start, upTo: firstSecond * SECOND_MS - 1 },
      { after: lastPartial * SECOND_MS - 1, upTo: window.end },
    ],
  };
}
