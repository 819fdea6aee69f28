/**
 * How many sends a stream keeps in flight: enough to hold its rate over the measured round trip, by
 * Little's law (sends in flight = sends per second x seconds per send), with headroom for the round
 * trip's spread, and never outside the sender's bounds: the floor absorbs a slow answer at any rate,
 * the ceiling is the connection pool (and bounds the memory held by a stalled endpoint).
 *
 * The rate is the one asked for, or, when the sending thread's load is measured, no more than the
 * thread can send (what it sent over the last second / the share of that second it was busy): an
 * unthrottled stream, or one asked for more than the CPU sends, gets the slots the CPU can fill, and
 * no more. More would only queue requests behind the busy thread (memory, garbage collection) and
 * make their round trips look longer: so while the thread is busy, the round trip counted is the
 * shortest of the last second, the endpoint's own, not the mean, which is then mostly the queue.
 */
export interface InFlightBounds {
  /** Never fewer: what the stream starts with, before it has measured a round trip. */
  min: number;
  /** Never more. */
  max: number;
  /** The most events a send takes: what the sends are assumed to carry until measured. */
  batchSize: number;
}

/** What the thread did over the last second (RateWatch's window). */
export interface SendingLoad {
  /** Events accepted per second. */
  perSecond: number;
  /** Share of the window the sending thread was busy (0-1); null when not measured. */
  busyShare: number | null;
}

/**
 * 1.5x the mean: Little's law gives the mean number in flight, and the number at any moment spreads
 * around it with the round trip's own spread (SQS's p99 is a few times its median); the limit is a
 * ceiling that should rarely be reached while the rate is held.
 */
const HEADROOM = 1.5;
/** Weight of each new sample in the moving averages: about the last 20 sends count. */
const SMOOTHING = 0.05;
/** A thread busy this share of a window is saturated (as RateWatch names the CPU). */
const BUSY = 0.9;

export class InFlightLimit {
  private readonly min: number;
  private readonly max: number;
  private meanRoundTripMs: number | undefined;
  private meanEvents: number;
  private roundTrips = 0;
  private roundTripTotalMs = 0;
  /** The shortest round trip of the current window, and of the last one that had answers. */
  private shortest = { current: Number.POSITIVE_INFINITY, last: Number.POSITIVE_INFINITY };
  /** What the thread can send, events per second; infinite until measured. */
  private capacity = Number.POSITIVE_INFINITY;
  private saturated = false;
  /** The sends the stream may have in flight now. */
  limit: number;

  /** `askedPerSecond`: the events per second asked for; null when unthrottled. */
  constructor(
    bounds: InFlightBounds,
    private readonly askedPerSecond: number | null,
  ) {
    this.max = Math.max(1, bounds.max);
    this.min = Math.min(this.max, Math.max(1, bounds.min));
    this.limit = this.min;
    // A stream that cannot keep up sends full batches, so until measured, assume full ones: an
    // assumption of small ones would open many more slots than needed at the first answer.
    this.meanEvents = Math.max(1, bounds.batchSize);
    this.resize();
  }

  /** A send of `events` events settled after `roundTripMs`. */
  record(roundTripMs: number, events: number): void {
    this.roundTrips++;
    this.roundTripTotalMs += roundTripMs;
    this.meanRoundTripMs = average(this.meanRoundTripMs, roundTripMs);
    this.meanEvents = average(this.meanEvents, events);
    this.shortest.current = Math.min(this.shortest.current, roundTripMs);
    this.resize();
  }

  /** A window (a second) is over: what the thread sent, and how busy it was. */
  window(load: SendingLoad): void {
    if (load.busyShare !== null) {
      this.capacity = load.perSecond / Math.max(load.busyShare, 0.01);
      this.saturated = load.busyShare >= BUSY;
    }
    const { current, last } = this.shortest;
    this.shortest = { current: Number.POSITIVE_INFINITY, last: Number.isFinite(current) ? current : last };
    this.resize();
  }

  /** The mean round trip of every send so far, ms; null before the first. */
  get roundTripMs(): number | null {
    return this.roundTrips === 0 ? null : this.roundTripTotalMs / this.roundTrips;
  }

  private resize(): void {
    const rate = Math.min(this.askedPerSecond ?? Number.POSITIVE_INFINITY, this.capacity);
    if (rate === Number.POSITIVE_INFINITY) {
      this.limit = this.max;
      return;
    }
    if (this.meanRoundTripMs === undefined) return;
    const shortest = Math.min(this.shortest.current, this.shortest.last);
    const roundTripMs = this.saturated && Number.isFinite(shortest) ? shortest : this.meanRoundTripMs;
    const needed = Math.ceil((HEADROOM * (rate / this.meanEvents) * roundTripMs) / 1000) + 1;
    this.limit = Math.min(this.max, Math.max(this.min, needed));
  }
}

function average(mean: number | undefined, sample: number): number {
  return mean === undefined ? sample : mean + SMOOTHING * (sample - mean);
}
