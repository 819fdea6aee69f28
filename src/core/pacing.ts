/**
 * The pacing schedule of a stream: event k is due at start + k * interval. Due times come from the
 * start, never from the previous send, so a slow send never shifts the schedule (no drift).
 */
export class PacingSchedule {
  constructor(
    readonly startMs: number,
    readonly intervalMs: number,
  ) {}

  dueAt(k: number): number {
    return this.startMs + k * this.intervalMs;
  }

  /** How many events (counting from event 0) are due at `now`; unthrottled streams have everything due. */
  dueBy(now: number): number {
    if (this.intervalMs === 0) return Number.POSITIVE_INFINITY;
    if (now < this.startMs) return 0;
    // A tiny epsilon keeps k * 0.1 from landing just past `now` through floating-point error.
    return Math.floor((now - this.startMs) / this.intervalMs + 1e-9) + 1;
  }
}
