import { expect } from 'chai';
import { inWindow, splitWindow, type TimeRange, windowAt } from '../../src/core/window.js';

const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const MINUTE = 60_000;

describe('core/window', () => {
  describe('windowAt', () => {
    it('spans the W minutes ending at now', () => {
      expect(windowAt(NOW, 5)).to.deep.equal({ start: NOW - 5 * MINUTE, end: NOW, minutes: 5 });
      expect(windowAt(NOW, 60).start).to.equal(NOW - 3_600_000);
    });
  });

  describe('inWindow', () => {
    const window = windowAt(NOW, 5);

    it('an event exactly W old has left the window', () => {
      expect(inWindow(window, NOW - 5 * MINUTE)).to.equal(false);
    });

    it('an event 1 ms younger than W is in', () => {
      expect(inWindow(window, NOW - 5 * MINUTE + 1)).to.equal(true);
    });

    it('an event stamped now is in', () => {
      expect(inWindow(window, NOW)).to.equal(true);
    });

    it('an event 1 ms in the future is out', () => {
      expect(inWindow(window, NOW + 1)).to.equal(false);
    });

    it('an event in the middle is in, one long ago is out', () => {
      expect(inWindow(window, NOW - 2 * MINUTE)).to.equal(true);
      expect(inWindow(window, NOW - 60 * MINUTE)).to.equal(false);
    });
  });

  describe('splitWindow', () => {
    /** Every ms of (start, end], each in exactly one part: a whole second or an edge. */
    function covers(window: { start: number; end: number }, split: ReturnType<typeof splitWindow>) {
      const inEdge = (t: number, edge: TimeRange) => t > edge.after && t <= edge.upTo;
      for (let t = window.start - 2; t <= window.end + 2; t++) {
        const second = Math.floor(t / 1000);
        const parts =
          split.edges.filter((edge) => inEdge(t, edge)).length +
          (second >= split.firstSecond && second < split.endSecond ? 1 : 0);
        expect(parts, `t = ${t}`).to.equal(t > window.start && t <= window.end ? 1 : 0);
      }
    }

    it('cuts the window into the whole seconds inside it and the two partial seconds at its edges', () => {
      const window = { start: 10_250, end: 14_600, minutes: 0 };
      const split = splitWindow(window);
      expect(split).to.deep.equal({
        firstSecond: 11,
        endSecond: 14,
        edges: [
          { after: 10_250, upTo: 10_999 },
          { after: 13_999, upTo: 14_600 },
        ],
      });
      covers(window, split);
    });

    it('on second boundaries: the first edge is empty, the last holds the end second alone', () => {
      const window = { start: 10_999, end: 14_000, minutes: 0 };
      expect(splitWindow(window).edges[0]).to.deep.equal({ after: 10_999, upTo: 10_999 });
      covers(window, splitWindow(window));
      const aligned = { start: 11_000, end: 13_999, minutes: 0 };
      covers(aligned, splitWindow(aligned));
    });

    it('is one edge when no second is whole', () => {
      for (const window of [
        { start: 10_250, end: 10_600, minutes: 0 },
        { start: 10_250, end: 11_600, minutes: 0 },
        { start: 10_000, end: 10_000, minutes: 0 },
      ]) {
        const split = splitWindow(window);
        expect(split.endSecond).to.equal(split.firstSecond);
        expect(split.edges).to.deep.equal([{ after: window.start, upTo: window.end }]);
        covers(window, split);
      }
    });

    it('covers any window exactly', () => {
      for (let i = 0; i < 200; i++) {
        const start = Math.floor(Math.random() * 5_000);
        const window = { start, end: start + Math.floor(Math.random() * 4_000), minutes: 0 };
        covers(window, splitWindow(window));
      }
    });
  });
});
