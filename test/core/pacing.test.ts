import { expect } from 'chai';
import { PacingSchedule } from '../../src/core/pacing.js';

const START = Date.UTC(2024, 5, 1, 12, 0, 0);

describe('core/pacing', () => {
  describe('dueAt', () => {
    it('event k is due at start + k * interval', () => {
      const schedule = new PacingSchedule(START, 250);
      expect([0, 1, 2, 10].map((k) => schedule.dueAt(k) - START)).to.deep.equal([0, 250, 500, 2500]);
    });

    it('never depends on when earlier events were sent (no drift)', () => {
      const schedule = new PacingSchedule(START, 1);
      expect(schedule.dueAt(9_999)).to.equal(START + 9_999);
      expect(schedule.dueAt(1_000_000)).to.equal(START + 1_000_000);
    });
  });

  describe('dueBy', () => {
    it('nothing is due before the start; event 0 is due at the start', () => {
      const schedule = new PacingSchedule(START, 100);
      expect(schedule.dueBy(START - 1)).to.equal(0);
      expect(schedule.dueBy(START)).to.equal(1);
    });

    it('counts event k as due exactly at its due time, not 1 ms before', () => {
      const schedule = new PacingSchedule(START, 100);
      expect(schedule.dueBy(START + 99)).to.equal(1);
      expect(schedule.dueBy(START + 100)).to.equal(2);
      expect(schedule.dueBy(START + 250)).to.equal(3);
    });

    it('interval 1 ms: exactly 10,000 events are due 9,999 ms after the start', () => {
      const schedule = new PacingSchedule(START, 1);
      expect(schedule.dueBy(START + 9_999)).to.equal(10_000);
      expect(schedule.dueBy(START + 10_000)).to.equal(10_001);
    });

    it('interval 0.1 ms: ten events per millisecond, exact at every millisecond', () => {
      const schedule = new PacingSchedule(START, 0.1);
      for (let ms = 0; ms <= 10_000; ms++) {
        const due = schedule.dueBy(START + ms);
        if (due !== 10 * ms + 1) expect.fail(`dueBy(start + ${ms}) = ${due}, want ${10 * ms + 1}`);
      }
    });

    it('interval 2.5 ms: two events every 5 ms, exact at every millisecond', () => {
      const schedule = new PacingSchedule(START, 2.5);
      expect(schedule.dueBy(START + 2)).to.equal(1);
      expect(schedule.dueBy(START + 3)).to.equal(2);
      expect(schedule.dueBy(START + 5)).to.equal(3);
      for (let ms = 0; ms <= 10_000; ms++) {
        const want = Math.floor(ms / 2.5) + 1;
        const due = schedule.dueBy(START + ms);
        if (due !== want) expect.fail(`dueBy(start + ${ms}) = ${due}, want ${want}`);
      }
    });

    it('agrees with dueAt: event k is due at dueAt(k) and not a millisecond earlier', () => {
      for (const interval of [0.1, 0.3, 1, 2.5, 7, 1000 / 3]) {
        const schedule = new PacingSchedule(0, interval);
        for (let k = 1; k <= 3000; k++) {
          if (schedule.dueBy(schedule.dueAt(k)) !== k + 1 || schedule.dueBy(schedule.dueAt(k) - 0.01) !== k) {
            expect.fail(`interval ${interval}, event ${k}`);
          }
        }
      }
    });

    it('an unthrottled stream (interval 0) has everything due', () => {
      const schedule = new PacingSchedule(START, 0);
      expect(schedule.dueBy(START)).to.equal(Number.POSITIVE_INFINITY);
      expect(schedule.dueAt(1000)).to.equal(START);
    });
  });
});
