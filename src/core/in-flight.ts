/**
 * How many sends a stream keeps in flight: enough to hold the rate asked for over the measured round
 * trip, by Little's law (sends in flight = sends per second x seconds per send), with headroom for
 * the round trip's spread, and never outside the sender's bounds: the floor absorbs a slow answer at
 * any rate, the ceiling is the connection pool (and bounds the memory held by a stalled endpoint).
 */
export interface InFlightBounds {
  /** Never fewer: what the stream starts with, before it has measured a round trip. */
  min: number;
  /** Never more. */
  max: number;
  /** The most events a send takes: what the sends are assumed to carry until measured. */
  batchSize: number;
}

/**
 * 1.5x the mean: Little's law gives the mean number in flight, and the number at any moment spreads
 * around it with the round trip's own spread (SQS's p99 is a few times its median); the limit is a
 * ceiling that should rarely be reached while the rate is held.
 */
const HEADROOM = 1.5;
/** Weight of each new sample in the moving averages: about the last 20 sends count. */
const SMOOTHING = 0.05;

export class InFlightLimit {
  private readonly min: number;
  private readonly max: number;
  private meanRoundTripMs: number | undefined;
  private meanEvents: number;
  private roundTrips = 0;
  private roundTripTotalMs = 0;
  /** The sends the stream may have in flight now. */
  limit: number;

  /** `askedPerSecond`: the events per second asked for; null when unthrottled (then the ceiling). */
  constructor(
    bounds: InFlightBounds,
    private readonly askedPerSecond: number | null,
  ) {
    this.max = Math.max(1, bounds.max);
    this.min = Math.min(this.max, Math.max(1, bounds.min));
    this.limit = askedPerSecond === null ? this.max : this.min;
    // A stream that cannot keep up sends full batches, so until measured, assume full ones: an
    // assumption of small ones would open many more slots than needed at the first answer.
    this.meanEvents = Math.max(1, bounds.batchSize);
  }

  /** A send of `events` events settled after `roundTripMs`. */
  record(roundTripMs: number, events: number): void {
    this.roundTrips++;
    this.roundTripTotalMs += roundTripMs;
    this.meanRoundTripMs = average(this.meanRoundTripMs, roundTripMs);
    this.meanEvents = average(this.meanEvents, events);
    if (this.askedPerSecond === null) return;
    const sendsPerSecond = this.askedPerSecond / this.meanEvents;
    const needed = Math.ceil((HEADROOM * sendsPerSecond * this.meanRoundTripMs) / 1000) + 1;
    this.limit = Math.min(this.max, Math.max(this.min, needed));
  }

  /** The mean round trip of every send so far, ms; null before the first. */
  get roundTripMs(): number | null {
    return this.roundTrips === 0 ? null : this.roundTripTotalMs / this.roundTrips;
  }
}

function average(mean: number | undefined, sample: number): number {
  return mean === undefined ? sample : mean + SMOOTHING * (sample - mean);
}
