import { expect } from 'chai';
import { inWindow, windowAt } from '../../src/core/window.js';

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
});
