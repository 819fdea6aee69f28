import { expect } from 'chai';
import { type RateSample, RateWatch } from '../../src/core/rate-watch.js';

const T0 = 1_000_000;

/** A sample at `t` ms after T0; the rest defaults to a stream on time. */
const at = (t: number, rest: Partial<RateSample> = {}): RateSample => ({
  now: T0 + t,
  sent: 0,
  behindMs: 0,
  throttles: 0,
  ...rest,
});

describe('core/rate-watch', () => {
  it('a stream within a second of its schedule holds its rate, and its holding rate is per window', () => {
    const watch = new RateWatch({ startMs: T0, askedPerSecond: 1_000 });
    expect(watch.observe(at(500, { sent: 500, behindMs: 999 }))).to.include({ limitedBy: null });
    const state = watch.observe(at(1_000, { sent: 1_000, behindMs: 1_000 }));
    expect(state).to.include({ limitedBy: null, holdingPerSecond: 1_000, behindMs: 1_000 });
    expect(watch.observe(at(2_000, { sent: 1_500 })).holdingPerSecond).to.equal(500);
    expect(watch.finish(at(2_000, { sent: 1_500 }))).to.deep.equal({
      rateHeld: true,
      limitedBy: null,
      maxBehindMs: 1_000,
    });
  });

  it('the round trip: behind, and the longest wait was for a free send slot', () => {
    const watch = new RateWatch({ startMs: T0, askedPerSecond: 10_000 });
    watch.waited('slot', 600);
    watch.waited('source', 100);
    expect(watch.observe(at(1_000, { behindMs: 1_500 })).limitedBy).to.equal('round-trip');
  });

  it('the source: behind, and the longest wait was for rows', () => {
    const watch = new RateWatch({ startMs: T0, askedPerSecond: 10_000 });
    watch.waited('slot', 100);
    watch.waited('source', 600);
    expect(watch.observe(at(1_000, { behindMs: 1_500 })).limitedBy).to.equal('source');
  });

  it("a wait counts only while the thread was idle: work done meanwhile is the CPU's", () => {
    const watch = new RateWatch({ startMs: T0, askedPerSecond: 10_000 });
    // Waiting for rows took 900 ms, but 850 of them went to answers parsed meanwhile.
    watch.waited('source', 900, 850);
    watch.waited('slot', 100);
    expect(watch.observe(at(1_000, { behindMs: 1_500 })).limitedBy).to.equal('round-trip');
    watch.waited('source', 900, 900);
    expect(watch.observe(at(2_000, { behindMs: 2_500 })).limitedBy).to.equal('cpu');
  });

  it('throttling comes first: the queue said why its answers were slow', () => {
    const watch = new RateWatch({ startMs: T0, askedPerSecond: 10_000, busyMs: 0 });
    watch.waited('slot', 900);
    const state = watch.observe(at(1_000, { behindMs: 1_500, throttles: 3, busyMs: 1_000 }));
    expect(state).to.include({ limitedBy: 'throttling', throttlesPerWindow: 3 });
    // The SDK sends slower for a while after a throttle: throttling stays the cause for 10 windows.
    for (let t = 2_000; t <= 10_000; t += 1_000) {
      watch.waited('slot', 900);
      expect(watch.observe(at(t, { behindMs: t, throttles: 3, busyMs: t / 10 }))).to.include({
        limitedBy: 'throttling',
        throttlesPerWindow: 0,
      });
    }
    watch.waited('slot', 900);
    expect(watch.observe(at(11_000, { behindMs: 11_000, throttles: 3, busyMs: 1_100 }))).to.include({
      limitedBy: 'round-trip',
    });
  });

  it('the CPU: a thread busy 90 % of a window or more, whatever it waited for', () => {
    const watch = new RateWatch({ startMs: T0, askedPerSecond: 10_000, busyMs: 5_000 });
    watch.waited('slot', 900);
    const state = watch.observe(at(1_000, { behindMs: 1_500, busyMs: 5_900 }));
    expect(state).to.include({ limitedBy: 'cpu', busyShare: 0.9 });
    watch.waited('slot', 900);
    expect(watch.observe(at(2_000, { behindMs: 2_500, busyMs: 6_700 }))).to.include({
      limitedBy: 'round-trip',
      busyShare: 0.8,
    });
  });

  it('the CPU by elimination: behind without waiting for anything, and no busy measure', () => {
    const watch = new RateWatch({ startMs: T0, askedPerSecond: 10_000 });
    expect(watch.observe(at(1_000, { behindMs: 1_500 }))).to.include({ limitedBy: 'cpu', busyShare: null });
  });

  it('says the rate is held again as soon as the stream is back within a second', () => {
    const watch = new RateWatch({ startMs: T0, askedPerSecond: 10_000 });
    watch.waited('slot', 900);
    expect(watch.observe(at(1_000, { behindMs: 1_500 })).limitedBy).to.equal('round-trip');
    expect(watch.observe(at(1_100, { behindMs: 400 })).limitedBy).to.equal(null);
  });

  it('sums up with the cause that held the stream back for longest, and the most it fell behind', () => {
    const watch = new RateWatch({ startMs: T0, askedPerSecond: 10_000 });
    watch.waited('source', 900);
    watch.observe(at(1_000, { behindMs: 1_200 }));
    for (let t = 2_000; t <= 4_000; t += 1_000) {
      watch.waited('slot', 900);
      watch.observe(at(t, { behindMs: 2_000 + t }));
    }
    expect(watch.finish(at(4_500))).to.deep.equal({
      rateHeld: false,
      limitedBy: 'round-trip',
      maxBehindMs: 6_000,
    });
  });

  it('counts a window that fell behind and caught up before it closed, with its cause', () => {
    const watch = new RateWatch({ startMs: T0, askedPerSecond: 10_000 });
    watch.observe(at(1_000, { throttles: 1 }));
    watch.observe(at(1_400, { behindMs: 1_400, throttles: 1 }));
    // The last event went at 1.5 s: nothing is due after it, so the stream is not behind any more.
    watch.observe(at(2_000, { throttles: 1 }));
    expect(watch.finish(at(2_500, { throttles: 1 }))).to.deep.equal({
      rateHeld: false,
      limitedBy: 'throttling',
      maxBehindMs: 1_400,
    });
  });

  it('counts a short stream that ends behind, in its last partial window', () => {
    const watch = new RateWatch({ startMs: T0, askedPerSecond: 10_000 });
    watch.waited('source', 300);
    expect(watch.finish(at(400, { behindMs: 1_300 }))).to.deep.equal({
      rateHeld: false,
      limitedBy: 'source',
      maxBehindMs: 1_300,
    });
  });

  it('an unthrottled stream has no rate to hold, and is never behind', () => {
    const watch = new RateWatch({ startMs: T0, askedPerSecond: null });
    expect(watch.observe(at(1_000, { sent: 5_000, behindMs: 9_999 }))).to.include({
      limitedBy: null,
      behindMs: 0,
      holdingPerSecond: 5_000,
    });
    expect(watch.finish(at(1_500))).to.deep.equal({ rateHeld: null, limitedBy: null, maxBehindMs: null });
  });
});
