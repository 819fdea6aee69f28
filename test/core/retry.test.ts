import { expect } from 'chai';
import sinon from 'sinon';
import { systemClock } from '../../src/core/clock.js';
import { ExitCode, InterruptedError } from '../../src/core/errors.js';
import { backoffDelay, pause, type RetryPolicy, retryPartial } from '../../src/core/retry.js';
import { instantClock as recordingClock } from '../../testkit/clock.js';
import { rejection } from '../../testkit/rejection.js';

const POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 };

describe('core/retry', () => {
  describe('backoffDelay', () => {
    it('is full jitter: random() times a bound that doubles from the base, up to the cap', () => {
      expect([1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(retry, POLICY, () => 0.5))).to.deep.equal([
        50, 100, 200, 400, 500, 500,
      ]);
      expect(backoffDelay(3, POLICY, () => 0)).to.equal(0);
      expect(backoffDelay(3, POLICY, () => 0.999)).to.equal(399);
    });
  });

  describe('retryPartial', () => {
    it('sends again only what each attempt hands back, with backoff between attempts', async () => {
      const clock = recordingClock();
      const sent: number[][] = [];
      const result = await retryPartial(
        [1, 2, 3, 4],
        async (pending) => {
          sent.push(pending);
          return pending.slice(1);
        },
        POLICY,
        { clock, random: () => 1 },
      );
      expect(sent).to.deep.equal([[1, 2, 3, 4], [2, 3, 4], [3, 4], [4]]);
      expect(result).to.deep.equal({ left: [], attempts: 4, interrupted: false });
      expect(clock.sleeps).to.deep.equal([100, 200, 400]);
    });

    it('does not wait when the first attempt leaves nothing', async () => {
      const clock = recordingClock();
      const result = await retryPartial([1], async () => [], POLICY, { clock });
      expect(result).to.deep.equal({ left: [], attempts: 1, interrupted: false });
      expect(clock.sleeps).to.deep.equal([]);
    });

    it('gives up after maxAttempts and returns what is left', async () => {
      const clock = recordingClock();
      let calls = 0;
      const result = await retryPartial(
        ['a', 'b'],
        async (pending) => {
          calls++;
          return pending.filter((item) => item === 'b');
        },
        { ...POLICY, maxAttempts: 3 },
        { clock, random: () => 1 },
      );
      expect(result).to.deep.equal({ left: ['b'], attempts: 3, interrupted: false });
      expect(calls).to.equal(3);
      expect(clock.sleeps).to.deep.equal([100, 200]);
    });

    it('passes on the error of an attempt that throws', async () => {
      const error = await rejection(
        retryPartial(
          [1],
          async () => {
            throw new Error('refused');
          },
          POLICY,
          { clock: recordingClock() },
        ),
      );
      expect(error.message).to.equal('refused');
    });

    it('stops at once when the signal aborts during a wait, with what was left', async () => {
      const fake = sinon.useFakeTimers();
      try {
        const controller = new AbortController();
        let calls = 0;
        const running = retryPartial(
          [1, 2],
          async (pending) => {
            calls++;
            return pending;
          },
          { maxAttempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 },
          { clock: systemClock, signal: controller.signal, random: () => 1 },
        );
        await fake.tickAsync(10);
        controller.abort();
        await fake.tickAsync(0);
        expect(await running).to.deep.equal({ left: [1, 2], attempts: 1, interrupted: true });
        expect(calls).to.equal(1);
      } finally {
        fake.restore();
      }
    });
  });

  describe('pause', () => {
    it('waits through the clock', async () => {
      const clock = recordingClock();
      await pause(250, { clock }, 'interrupted');
      expect(clock.sleeps).to.deep.equal([250]);
    });

    it('throws InterruptedError (exit 130, code INTERRUPTED) when the signal ends the wait', async () => {
      const fake = sinon.useFakeTimers();
      try {
        const controller = new AbortController();
        const waiting = rejection(
          pause(60_000, { clock: systemClock, signal: controller.signal }, 'Stopped following it.'),
        );
        await fake.tickAsync(5);
        controller.abort();
        const error = await waiting;
        expect(error).to.be.instanceOf(InterruptedError);
        expect(error).to.include({
          code: 'INTERRUPTED',
          exitCode: ExitCode.interrupted,
          message: 'Stopped following it.',
        });
      } finally {
        fake.restore();
      }
    });

    it('throws without waiting when the signal has already aborted', async () => {
      const clock = recordingClock();
      const controller = new AbortController();
      controller.abort();
      expect(await rejection(pause(100, { clock, signal: controller.signal }, 'x'))).to.be.instanceOf(
        InterruptedError,
      );
      expect(clock.sleeps).to.deep.equal([]);
    });
  });
});
