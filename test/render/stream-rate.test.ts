import { expect } from 'chai';
import type { StreamProgress } from '../../src/core/streamer.js';
import { createProgress } from '../../src/render/progress.js';
import { formatRateNote, formatRateSummary } from '../../src/render/stream-rate.js';

/** A stream asked 10,000/s that holds 2,900/s, 4.1 s behind, limited by the round trip. */
function behind(overrides: Partial<StreamProgress> = {}): StreamProgress {
  return {
    sent: 29_000,
    skipped: 0,
    failed: 0,
    elapsedMs: 10_000,
    ratePerSecond: 2_919.4,
    askedRatePerSecond: 10_000,
    holdingRatePerSecond: 2_900,
    rateHeld: false,
    limitedBy: 'round-trip',
    behindMs: 4_100,
    maxBehindMs: 7_150,
    inFlight: 256,
    inFlightLimit: 256,
    maxInFlight: 256,
    roundTripMs: 52.4,
    throttles: 12,
    busyShare: 0.42,
    ...overrides,
  };
}

describe('render/stream-rate', () => {
  it('says, while it runs, the rate asked, the rate held, how far behind and why', () => {
    expect(formatRateNote(behind())).to.equal(
      'asked 10,000/s, holding 2,900/s, 4.1 s behind: limited by the round trip (52 ms a request, 256 in flight)',
    );
    expect(formatRateNote(behind({ limitedBy: 'throttling' }))).to.match(
      /limited by throttling \(the queue throttled 12 requests\)$/,
    );
    expect(formatRateNote(behind({ limitedBy: 'cpu' }))).to.match(
      /limited by the CPU \(the sending thread busy 42 % of the time\)$/,
    );
    expect(formatRateNote(behind({ limitedBy: 'cpu', busyShare: null }))).to.match(/limited by the CPU$/);
    expect(formatRateNote(behind({ limitedBy: 'source' }))).to.match(/limited by the source \(/);
  });

  it('says nothing while the stream keeps to its schedule, or is unthrottled', () => {
    expect(formatRateNote(behind({ rateHeld: true, limitedBy: null }))).to.equal(undefined);
    expect(formatRateNote(behind({ askedRatePerSecond: null, limitedBy: null }))).to.equal(undefined);
    expect(formatRateNote({})).to.equal(undefined);
  });

  it('sums up a stream that did not hold its rate in one line, and one that did in none', () => {
    expect(formatRateSummary(behind())).to.equal(
      'Rate not held: asked 10,000/s, achieved 2,919/s, up to 7.2 s behind: limited by the round trip (52 ms a request, 256 in flight).',
    );
    expect(formatRateSummary(behind({ rateHeld: true, limitedBy: null }))).to.equal(undefined);
    expect(formatRateSummary(behind({ rateHeld: null, askedRatePerSecond: null }))).to.equal(undefined);
  });

  it('goes on the plain progress line while the stream is behind', async () => {
    const writes: string[] = [];
    const stream = {
      isTTY: false,
      write: (chunk: string) => writes.push(chunk),
    } as unknown as NodeJS.WriteStream;
    let t = 0;
    const progress = await createProgress(stream, { live: false, plainEveryMs: 10, now: () => t });
    t = 10;
    progress.update(behind());
    t = 20;
    progress.update(behind({ rateHeld: true, limitedBy: null }));
    expect(writes[0]).to.match(
      /^streaming: sent 29,000, .*, asked 10,000\/s, holding 2,900\/s, 4\.1 s behind: limited by the round trip/,
    );
    expect(writes[1]).not.to.include('asked');
  });
});
