import { expect } from 'chai';
import { buildSnapshot, replacesSnapshot, sortCounts, tally } from '../../src/core/snapshot.js';
import { windowAt } from '../../src/core/window.js';

const NOW = Date.UTC(2024, 5, 1, 12, 0, 0, 123);

describe('core/snapshot', () => {
  describe('sortCounts', () => {
    it('sorts by count, largest first, then by name', () => {
      const counts = new Map([
        ['Tioga', 2],
        ['Albany', 5],
        ['Chemung', 2],
        ['Broome', 7],
        ['Allegany', 2],
      ]);
      expect(sortCounts(counts)).to.deep.equal([
        { county: 'Broome', count: 7 },
        { county: 'Albany', count: 5 },
        { county: 'Allegany', count: 2 },
        { county: 'Chemung', count: 2 },
        { county: 'Tioga', count: 2 },
      ]);
    });

    it('leaves out counties with no events', () => {
      expect(
        sortCounts([
          ['Essex', 0],
          ['Erie', 1],
        ]),
      ).to.deep.equal([{ county: 'Erie', count: 1 }]);
    });

    it('is empty for no counties', () => {
      expect(sortCounts(new Map())).to.deep.equal([]);
    });
  });

  describe('buildSnapshot', () => {
    it('has ISO times, the window, the total and the sorted counties', () => {
      const window = windowAt(NOW, 5);
      const snapshot = buildSnapshot(
        new Map([
          ['Tioga', 3],
          ['Erie', 4],
          ['Essex', 0],
          ['Albany', 3],
        ]),
        window,
        NOW,
      );
      expect(snapshot).to.deep.equal({
        updated: '2024-06-01T12:00:00.123Z',
        windowStart: '2024-06-01T11:55:00.123Z',
        windowEnd: '2024-06-01T12:00:00.123Z',
        windowMinutes: 5,
        total: 10,
        counties: [
          { county: 'Erie', count: 4 },
          { county: 'Albany', count: 3 },
          { county: 'Tioga', count: 3 },
        ],
      });
    });

    it('takes updated from the time given, not the window end', () => {
      const snapshot = buildSnapshot(new Map(), windowAt(NOW, 1), NOW + 1000);
      expect(snapshot.updated).to.equal('2024-06-01T12:00:01.123Z');
      expect(snapshot.windowEnd).to.equal('2024-06-01T12:00:00.123Z');
      expect(snapshot.total).to.equal(0);
      expect(snapshot.counties).to.deep.equal([]);
    });
  });

  describe('tally', () => {
    it('adds occurrences to a county, starting at 0', () => {
      const counts = new Map<string, number>();
      tally(counts, 'Erie');
      tally(counts, 'Erie');
      tally(counts, 'Tioga', 5);
      expect([...counts]).to.deep.equal([
        ['Erie', 2],
        ['Tioga', 5],
      ]);
    });
  });

  describe('replacesSnapshot', () => {
    it('a newer snapshot replaces the stored one; one that finished late does not', () => {
      expect(replacesSnapshot(NOW, undefined)).to.equal(true);
      expect(replacesSnapshot(NOW, NOW)).to.equal(true);
      expect(replacesSnapshot(NOW + 1, NOW)).to.equal(true);
      expect(replacesSnapshot(NOW - 1, NOW)).to.equal(false);
      expect(replacesSnapshot(NOW - 60_000, NOW)).to.equal(false);
    });

    it('any snapshot replaces one dated more than the clock skew (1 minute) after it: a clock error', () => {
      expect(replacesSnapshot(NOW, NOW + 60_000)).to.equal(false);
      expect(replacesSnapshot(NOW, NOW + 60_001)).to.equal(true);
      expect(replacesSnapshot(NOW, NOW + 86_400_000)).to.equal(true);
    });
  });
});
