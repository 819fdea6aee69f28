import { expect } from 'chai';
import { InFlightLimit } from '../../src/core/in-flight.js';

const bounds = { min: 16, max: 256, batchSize: 10 };

/** Records `n` sends of `events` events answered after `roundTripMs`. */
function settle(limit: InFlightLimit, n: number, roundTripMs: number, events = 10): InFlightLimit {
  for (let i = 0; i < n; i++) limit.record(roundTripMs, events);
  return limit;
}

describe('core/in-flight', () => {
  it('starts at the floor, before any round trip is measured', () => {
    const limit = new InFlightLimit(bounds, 10_000);
    expect(limit.limit).to.equal(16);
    expect(limit.roundTripMs).to.equal(null);
  });

  it("sizes the slots by Little's law with 1.5x headroom: 10,000/s in sends of 10 at 50 and 100 ms", () => {
    // 1,000 sends/s x 0.05 s = 50 in flight on average; x 1.5 + 1 = 76.
    expect(settle(new InFlightLimit(bounds, 10_000), 5, 50).limit).to.equal(76);
    expect(settle(new InFlightLimit(bounds, 10_000), 5, 100).limit).to.equal(151);
  });

  it('follows the round trip as it changes, with a moving average of about 20 sends', () => {
    const limit = settle(new InFlightLimit(bounds, 10_000), 100, 50);
    expect(limit.limit).to.equal(76);
    limit.record(1_000, 10); // one slow answer moves it a little...
    expect(limit.limit).to.be.within(77, 150);
    settle(limit, 200, 100); // ...a lasting change moves it all the way
    expect(limit.limit).to.equal(151);
    expect(limit.roundTripMs).to.be.within(80, 90); // the mean of every send, for the summary
  });

  it('counts the events per send: sends of 1 need ten times the slots of sends of 10', () => {
    const limit = settle(new InFlightLimit(bounds, 1_000), 200, 50, 1);
    // 1,000 sends/s x 0.05 s x 1.5 + 1
    expect(limit.limit).to.equal(76);
  });

  it('stays between the bounds', () => {
    expect(settle(new InFlightLimit(bounds, 10), 5, 50).limit).to.equal(16);
    expect(settle(new InFlightLimit(bounds, 10_000), 5, 5_000).limit).to.equal(256);
    expect(new InFlightLimit({ min: 0, max: 0, batchSize: 0 }, 10).limit).to.equal(1);
    expect(new InFlightLimit({ min: 50, max: 8, batchSize: 10 }, 10).limit).to.equal(8);
  });

  it("unthrottled, with the thread's load unknown: the ceiling, whatever the round trip", () => {
    const limit = new InFlightLimit(bounds, null);
    expect(limit.limit).to.equal(256);
    expect(settle(limit, 10, 1).limit).to.equal(256);
    limit.window({ perSecond: 20_000, busyShare: null });
    expect(limit.limit).to.equal(256);
  });

  it('unthrottled, with the load known: the slots the thread can fill, what it sent / how busy it was', () => {
    const limit = settle(new InFlightLimit(bounds, null), 50, 50);
    // 3,200 events/s with the thread busy 16 % of the time: it could send 20,000/s, which at 50 ms
    // needs 1.5 x 2,000 sends/s x 0.05 s + 1 = 151 slots.
    limit.window({ perSecond: 3_200, busyShare: 0.16 });
    expect(limit.limit).to.equal(151);
  });

  it('a busy thread: the shortest round trip counts, since the mean is mostly the queue behind it', () => {
    // A zero-delay endpoint: 2 ms answers, but 60 ms on average behind 256 sends on a busy thread.
    const limit = settle(new InFlightLimit(bounds, null), 1, 2);
    settle(limit, 100, 60);
    limit.window({ perSecond: 18_000, busyShare: 1 });
    // 1.5 x 1,800 sends/s x 0.002 s + 1: the floor.
    expect(limit.limit).to.equal(16);
    // The shortest of the last window still counts in the next, until a new one has answers.
    limit.window({ perSecond: 18_000, busyShare: 1 });
    expect(limit.limit).to.equal(16);
  });

  it('asked for more than the thread sends: sized for what it sends', () => {
    const limit = settle(new InFlightLimit(bounds, 100_000), 100, 50);
    expect(limit.limit).to.equal(256);
    limit.window({ perSecond: 9_000, busyShare: 0.6 }); // 15,000/s at most
    expect(limit.limit).to.equal(Math.ceil(1.5 * 1_500 * 0.05) + 1);
  });
});
