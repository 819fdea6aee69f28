import type { RateLimit, StreamPacing } from '../core/streamer.js';

const n = (value: number) => Math.round(value).toLocaleString('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** What holds the stream back, with the figure that shows it. */
function cause(limit: RateLimit, pacing: StreamPacing, inFlight: number): string {
  switch (limit) {
    case 'round-trip': {
      const trip = pacing.roundTripMs === null ? '' : `${n(pacing.roundTripMs)} ms a request, `;
      return `the round trip (${trip}${n(inFlight)} in flight)`;
    }
    case 'throttling':
      return `throttling (the queue throttled ${n(pacing.throttles)} requests)`;
    case 'cpu':
      return pacing.busyShare === null
        ? 'the CPU'
        : `the CPU (the sending thread busy ${n(pacing.busyShare * 100)} % of the time)`;
    case 'source':
      return 'the source (the rows are read slower than asked)';
  }
}

/**
 * While a stream is behind its schedule: "asked 10,000/s, holding 2,900/s, 4.1 s behind: limited by
 * the round trip (52 ms a request, 256 in flight)". Undefined while it keeps to its schedule.
 */
export function formatRateNote(pacing: Partial<StreamPacing>): string | undefined {
  if (!pacing.limitedBy || pacing.askedRatePerSecond == null) return undefined;
  const full = pacing as StreamPacing;
  return (
    `asked ${n(full.askedRatePerSecond ?? 0)}/s, holding ${n(full.holdingRatePerSecond)}/s, ` +
    `${seconds(full.behindMs ?? 0)} behind: limited by ${cause(pacing.limitedBy, full, full.inFlight)}`
  );
}

/**
 * At the end of a stream that did not hold its rate: "Rate not held: asked 10,000/s, achieved
 * 2,919/s, up to 7.2 s behind: limited by the round trip (52 ms a request, 256 in flight)."
 * Undefined when it held it, or was unthrottled.
 */
export function formatRateSummary(stats: StreamPacing & { ratePerSecond: number }): string | undefined {
  if (stats.rateHeld !== false || stats.askedRatePerSecond === null) return undefined;
  const limit = stats.limitedBy ?? 'round-trip';
  return (
    `Rate not held: asked ${n(stats.askedRatePerSecond)}/s, achieved ${n(stats.ratePerSecond)}/s, ` +
    `up to ${seconds(stats.maxBehindMs ?? 0)} behind: limited by ${cause(limit, stats, stats.maxInFlight)}.`
  );
}
