import { expect } from 'chai';
import { mapLimit } from '../../src/core/concurrency.js';

describe('core/concurrency', () => {
  describe('mapLimit', () => {
    it('returns the results in the order of the items, whatever order they finish in', async () => {
      const delays = [30, 5, 20, 1, 10];
      const results = await mapLimit(delays, 3, async (ms) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        return ms * 2;
      });
      expect(results).to.deep.equal([60, 10, 40, 2, 20]);
    });

    it('never runs more than `limit` at once, and runs that many when it can', async () => {
      let running = 0;
      let peak = 0;
      await mapLimit(
        Array.from({ length: 20 }, (_, i) => i),
        4,
        async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 2));
          running--;
        },
      );
      expect(peak).to.equal(4);
    });

    it('runs one at a time for a limit below 1, and nothing for no items', async () => {
      let peak = 0;
      let running = 0;
      const results = await mapLimit([1, 2, 3], 0, async (n) => {
        peak = Math.max(peak, ++running);
        await Promise.resolve();
        running--;
        return n;
      });
      expect(results).to.deep.equal([1, 2, 3]);
      expect(peak).to.equal(1);
      expect(await mapLimit([], 4, async () => 1)).to.deep.equal([]);
    });

    it('rejects with the first error', async () => {
      const error = await mapLimit([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error('two');
        return n;
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as Error).message).to.equal('two');
    });

    it('starts no further item after a failure, and rejects once the running ones have finished', async () => {
      const started: number[] = [];
      const finished: number[] = [];
      const error = await mapLimit([1, 2, 3, 4, 5, 6], 2, async (n) => {
        started.push(n);
        await new Promise((resolve) => setTimeout(resolve, n === 2 ? 1 : 20));
        if (n === 2) throw new Error('two');
        finished.push(n);
        return n;
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as Error).message).to.equal('two');
      expect(finished).to.deep.equal([1]);
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(started).to.deep.equal([1, 2]);
      expect(finished).to.deep.equal([1]);
    });
  });
});
