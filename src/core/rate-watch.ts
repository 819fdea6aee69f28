/**
 * Whether a paced stream holds the rate asked for, and if not, what holds it back. A stream that
 * falls behind its schedule catches up by sending what fell due in full batches, so a short delay
 * costs nothing; a stream more than `toleranceMs` behind is not holding the rate, and says why.
 */

/**
 * What holds a stream back: the sends' round trip (every send slot is taken and the thread waits for
 * answers), throttling (the queue throttled requests), the CPU (the sending thread is busy all the
 * time), or the source (the thread waits for rows).
 */
export type RateLimit = 'round-trip' | 'throttling' | 'cpu' | 'source';

export interface RateWatchOptions {
  startMs: number;
  /** Events per second asked for; null when unthrottled (nothing to hold, never behind). */
  askedPerSecond: number | null;
  /** Over how long the rate held and its causes are measured (default 1 s). */
  windowMs?: number;
  /** How far behind its schedule a stream may be and still hold its rate (default 1 s). */
  toleranceMs?: number;
  /** The sending thread's busy time at the start, ms (see RateSample.busyMs). */
  busyMs?: number;
}

/** What the streamer knows at a moment; the counters are totals since the start. */
export interface RateSample {
  now: number;
  /** Events the queue accepted. */
  sent: number;
  /** How long the oldest event due but not yet sent has been due, ms (0 when none is). */
  behindMs: number;
  /** Requests the queue throttled. */
  throttles: number;
  /** Time the sending thread was busy, ms; undefined when it cannot be measured. */
  busyMs?: number;
}

export interface RateState {
  /** Events accepted per second over the last window. */
  holdingPerSecond: number;
  behindMs: number;
  /** Why the stream is behind, while it is more than the tolerance behind; null otherwise. */
  limitedBy: RateLimit | null;
  /** Requests the queue throttled in the last window. */
  throttlesPerWindow: number;
  /** Share of the last window the sending thread was busy (0-1); null when not measured. */
  busyShare: number | null;
}

export interface RateSummary {
  /** Whether the stream kept within the tolerance of its schedule; null when unthrottled. */
  rateHeld: boolean | null;
  /** What held it back for longest while it was behind; null when it held its rate. */
  limitedBy: RateLimit | null;
  /** The most it fell behind its schedule, ms; null when unthrottled. */
  maxBehindMs: number | null;
}

/** A thread busy this share of a window or more is the limit (a busy thread cannot send faster). */
const BUSY_SHARE = 0.9;
/**
 * Throttling holds a stream back for a while after the last throttled request: the SDK's adaptive
 * mode slows the client's sending rate and lets it grow back over seconds, so throttling stays the
 * cause for this many windows after the queue last throttled.
 */
const THROTTLING_WINDOWS = 10;

export class RateWatch {
  private readonly windowMs: number;
  private readonly toleranceMs: number;
  private window: { start: number; sent: number; throttles: number; busyMs?: number };
  private waits = { slot: 0, source: 0 };
  private maxBehindMs = 0;
  /** The most the stream was behind in the current window. */
  private windowBehindMs = 0;
  /** Windows closed since the queue last throttled a request. */
  private sinceThrottled = Number.POSITIVE_INFINITY;
  private readonly behindFor = new Map<RateLimit, number>();
  /** Windows closed so far. */
  windows = 0;
  state: RateState = {
    holdingPerSecond: 0,
    behindMs: 0,
    limitedBy: null,
    throttlesPerWindow: 0,
    busyShare: null,
  };

  constructor(private readonly options: RateWatchOptions) {
    this.windowMs = options.windowMs ?? 1000;
    this.toleranceMs = options.toleranceMs ?? 1000;
    this.window = { start: options.startMs, sent: 0, throttles: 0, busyMs: options.busyMs };
  }

  /**
   * The stream waited `ms` for a free send slot, or for the source's next rows, while the thread was
   * busy `busyMs` of it with other work (answers to parse, requests to sign): only the idle part is
   * the wait's own; the rest is the CPU's.
   */
  waited(what: 'slot' | 'source', ms: number, busyMs = 0): void {
    this.waits[what] += Math.max(0, ms - busyMs);
  }

  /** Takes a sample; every `windowMs` it closes a window and updates `state`. */
  observe(sample: RateSample): RateState {
    const behindMs = this.options.askedPerSecond === null ? 0 : Math.max(0, sample.behindMs);
    this.maxBehindMs = Math.max(this.maxBehindMs, behindMs);
    this.windowBehindMs = Math.max(this.windowBehindMs, behindMs);
    this.state.behindMs = behindMs;
    if (behindMs <= this.toleranceMs) this.state.limitedBy = null;
    if (sample.now - this.window.start >= this.windowMs) this.close(sample, behindMs);
    return this.state;
  }

  /** The stream is over: the last, partial window counts too. */
  finish(sample: RateSample): RateSummary {
    this.observe(sample);
    if (sample.now > this.window.start) this.close(sample, this.state.behindMs);
    if (this.options.askedPerSecond === null) return { rateHeld: null, limitedBy: null, maxBehindMs: null };
    const rateHeld = this.maxBehindMs <= this.toleranceMs;
    let limitedBy: RateLimit | null = null;
    let longest = 0;
    for (const [limit, ms] of this.behindFor) {
      if (ms > longest) [limitedBy, longest] = [limit, ms];
    }
    return {
      rateHeld,
      limitedBy: rateHeld ? null : (limitedBy ?? 'round-trip'),
      maxBehindMs: Math.round(this.maxBehindMs),
    };
  }

  private close(sample: RateSample, behindMs: number): void {
    const length = sample.now - this.window.start;
    const busyShare =
      sample.busyMs !== undefined && this.window.busyMs !== undefined && length > 0
        ? Math.min(1, (sample.busyMs - this.window.busyMs) / length)
        : null;
    const throttles = sample.throttles - this.window.throttles;
    this.windows++;
    this.sinceThrottled = throttles > 0 ? 0 : this.sinceThrottled + 1;
    const cause = this.cause(busyShare);
    // A window counts as behind if the stream was, at any moment of it: one that caught up by its
    // end (or whose last event went, with nothing more due) still held the stream back.
    if (this.windowBehindMs > this.toleranceMs) {
      this.behindFor.set(cause, (this.behindFor.get(cause) ?? 0) + length);
    }
    this.state = {
      holdingPerSecond: length > 0 ? ((sample.sent - this.window.sent) * 1000) / length : 0,
      behindMs,
      limitedBy: behindMs > this.toleranceMs ? cause : null,
      throttlesPerWindow: throttles,
      busyShare,
    };
    this.window = {
      start: sample.now,
      sent: sample.sent,
      throttles: sample.throttles,
      busyMs: sample.busyMs,
    };
    this.windowBehindMs = behindMs;
    this.waits = { slot: 0, source: 0 };
  }

  /**
   * Throttling first: it shows as slow answers, but the queue said why. Then a busy thread: waits for
   * answers or rows while the thread is busy are the CPU's doing. Then whichever wait was longer.
   */
  private cause(busyShare: number | null): RateLimit {
    if (this.sinceThrottled < THROTTLING_WINDOWS) return 'throttling';
    if (busyShare !== null && busyShare >= BUSY_SHARE) return 'cpu';
    if (this.waits.slot === 0 && this.waits.source === 0) return 'cpu';
    return this.waits.source > this.waits.slot ? 'source' : 'round-trip';
  }
}
