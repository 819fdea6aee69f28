import { expect } from 'chai';
import sinon from 'sinon';
import { systemClock } from '../../src/core/clock.js';

const START = Date.UTC(2024, 5, 1, 12, 0, 0);

/** Tracks whether a promise has settled, without awaiting it. */
function settled(promise: Promise<unknown>): () => boolean {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  return () => done;
}

describe('core/clock', () => {
  let fake: sinon.SinonFakeTimers;
  beforeEach(() => {
    fake = sinon.useFakeTimers({ now: START });
  });
  afterEach(() => {
    fake.restore();
  });

  describe('systemClock.now', () => {
    it('is the current Unix time in ms', async () => {
      expect(systemClock.now()).to.equal(START);
      await fake.tickAsync(1234);
      expect(systemClock.now()).to.equal(START + 1234);
    });
  });

  describe('systemClock.sleep', () => {
    it('resolves after the given time, not before', async () => {
      const done = settled(systemClock.sleep(100));
      await fake.tickAsync(99);
      expect(done()).to.equal(false);
      await fake.tickAsync(1);
      expect(done()).to.equal(true);
    });

    it('resolves at once for 0 or a negative time', async () => {
      const zero = settled(systemClock.sleep(0));
      const negative = settled(systemClock.sleep(-50));
      await fake.tickAsync(0);
      expect(zero()).to.equal(true);
      expect(negative()).to.equal(true);
    });

    it('resolves early, without throwing, when the signal aborts, and leaves no timer behind', async () => {
      const controller = new AbortController();
      const sleep = systemClock.sleep(60_000, controller.signal);
      const done = settled(sleep);
      await fake.tickAsync(10);
      expect(done()).to.equal(false);
      controller.abort();
      await fake.tickAsync(0);
      expect(done()).to.equal(true);
      await sleep; // does not reject
      expect(systemClock.now()).to.equal(START + 10);
      expect(fake.countTimers()).to.equal(0);
    });

    it('resolves at once when the signal has already aborted', async () => {
      const controller = new AbortController();
      controller.abort();
      const done = settled(systemClock.sleep(60_000, controller.signal));
      await fake.tickAsync(0);
      expect(done()).to.equal(true);
      expect(fake.countTimers()).to.equal(0);
    });

    it('stops listening to the signal once it has slept', async () => {
      const controller = new AbortController();
      const add = sinon.spy(controller.signal, 'addEventListener');
      const remove = sinon.spy(controller.signal, 'removeEventListener');
      const sleep = systemClock.sleep(5, controller.signal);
      await fake.tickAsync(5);
      await sleep;
      expect(add.callCount).to.equal(1);
      expect(remove.callCount).to.equal(1);
      expect(remove.firstCall.args[1]).to.equal(add.firstCall.args[1]);
    });
  });
});
