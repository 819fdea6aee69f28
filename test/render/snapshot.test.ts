import { expect } from 'chai';
import { buildSnapshot, type Snapshot } from '../../src/core/snapshot.js';
import { bar, formatShare, MAX_TABLE_ROWS, renderSnapshot } from '../../src/render/snapshot.js';
import { displayWidth } from '../../src/render/width.js';
import { HOSTILE_STRINGS, RAW_CONTROL } from '../../testkit/hostile.js';
import { tableRows } from '../../testkit/table.js';

const END = Date.UTC(2025, 0, 1, 12, 5, 0);
const window = { start: END - 5 * 60_000, end: END, minutes: 5 };

function snapshotOf(counts: Record<string, number>): Snapshot {
  return buildSnapshot(new Map(Object.entries(counts)), window, END);
}

describe('render/snapshot', () => {
  describe('renderSnapshot', () => {
    it('lists counties largest first (ties by name), with counts, shares and the total', () => {
      const text = renderSnapshot(snapshotOf({ Kings: 2, Albany: 5, Erie: 2, Bronx: 1 }));
      const body = tableRows(text);
      expect(body[0]?.slice(0, 3)).to.deep.equal(['County', 'Count', 'Share']);
      expect(body.slice(1).map((r) => r.slice(0, 3))).to.deep.equal([
        ['Albany', '5', '50.0%'],
        ['Erie', '2', '20.0%'],
        ['Kings', '2', '20.0%'],
        ['Bronx', '1', '10.0%'],
        ['Total', '10', '100.0%'],
      ]);
    });

    it('draws bars proportional to the largest county, 30 cells wide at most', () => {
      const body = tableRows(renderSnapshot(snapshotOf({ A: 40, B: 20, C: 10, D: 1 })));
      const bars = Object.fromEntries(body.slice(1, 5).map((r) => [r[0], r[3] ?? '']));
      expect(bars.A).to.equal('█'.repeat(30));
      expect(bars.B).to.equal('█'.repeat(15));
      expect(bars.C).to.equal(`${'█'.repeat(7)}▌`);
      // 1/40 of 30 cells is 6 eighths: a small county still shows.
      expect(bars.D).to.equal('▊');
    });

    it('prints thousands separators and the window with its length and number of counties', () => {
      const text = renderSnapshot(snapshotOf({ Albany: 12_345, Kings: 655 }));
      expect(tableRows(text).find((r) => r[0] === 'Total')?.[1]).to.equal('13,000');
      expect(text).to.include(
        'Window: 2025-01-01 12:00:00Z to 2025-01-01 12:05:00Z (5 min), 2 counties. Updated 2025-01-01 12:05:00Z.',
      );
    });

    it('prints an empty window as a zero total without shares', () => {
      const text = renderSnapshot(snapshotOf({}));
      expect(tableRows(text).slice(1)).to.deep.equal([['Total', '0', '', '']]);
      expect(text).to.include('0 counties');
    });

    it('folds the smallest counties into one row when maxRows is given, keeping the total', () => {
      const counts = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`County${i}`, 100 - i]));
      const body = tableRows(renderSnapshot(snapshotOf(counts), { maxRows: 4 }));
      // Three counties, the folded row, the total.
      expect(body.slice(1).map((r) => r[0])).to.deep.equal([
        'County0',
        'County1',
        'County2',
        '(7 more counties)',
        'Total',
      ]);
      const folded = body.find((r) => r[0] === '(7 more counties)');
      expect(folded?.[1]).to.equal(String(97 + 96 + 95 + 94 + 93 + 92 + 91));
      expect(body.find((r) => r[0] === 'Total')?.[1]).to.equal('955');
    });

    for (const columns of [60, 80, 120]) {
      it(`fits ${columns} columns: the bar shrinks first, then long names are cut with an ellipsis`, () => {
        const text = renderSnapshot(
          snapshotOf({ 'St. Lawrence': 1_234_567, [`Long ${'n'.repeat(80)}`]: 3, Erie: 1 }),
          { columns },
        );
        for (const line of text.split('\n')) expect(displayWidth(line), line).to.be.at.most(columns);
        const rows = tableRows(text);
        expect(rows.find((r) => r[0] === 'St. Lawrence')?.[1]).to.equal('1,234,567');
        const long = rows.find((r) => r[0]?.startsWith('Long '));
        if (columns === 120) {
          // The bar gave up enough room for the whole name.
          expect(long?.[0]).to.equal(`Long ${'n'.repeat(80)}`);
          expect(long?.[3]?.length).to.be.below(30);
        } else expect(long?.[0]).to.match(/…$/);
        expect(text).to.include('Window: 2025-01-01 12:00:00Z');
      });
    }

    it('keeps the full 30-cell bar where there is room', () => {
      const rows = tableRows(renderSnapshot(snapshotOf({ Albany: 4, Erie: 2 }), { columns: 80 }));
      expect(rows[1]?.[3]).to.equal('█'.repeat(30));
    });

    it('shows hostile county names escaped, and only the real Total below the rule', () => {
      const counts = Object.fromEntries(HOSTILE_STRINGS.map((h, i) => [h.value, i + 1]));
      const text = renderSnapshot(snapshotOf({ ...counts, Total: 1 }), { columns: 80 });
      expect(text).not.to.match(RAW_CONTROL);
      const rows = tableRows(text);
      for (const h of HOSTILE_STRINGS) expect(rows.map((r) => r[0])).to.include(h.shown);
      // A county called Total is a row of the body; the Total is the one row after the last rule.
      const lines = text.split('\n');
      const lastRule = lines.findLastIndex((l) => l.startsWith('├'));
      expect(tableRows(lines.slice(lastRule).join('\n'))).to.deep.equal([
        ['Total', String(snapshotOf({ ...counts, Total: 1 }).total), '100.0%', ''],
      ]);
    });

    it('draws at most MAX_TABLE_ROWS rows of 100,000 counties, the rest in one row, and the exact total', () => {
      const counts = new Map(Array.from({ length: 100_000 }, (_, i) => [`County ${i}`, (i % 7) + 1]));
      const snapshot = buildSnapshot(counts, window, END);
      const text = renderSnapshot(snapshot);
      const rows = tableRows(text);
      // Header, the counties shown, the folded row and the total.
      expect(rows).to.have.length(MAX_TABLE_ROWS + 2);
      const folded = rows.at(-2)!;
      expect(folded[0]).to.equal(`(${(100_000 - MAX_TABLE_ROWS + 1).toLocaleString('en-US')} more counties)`);
      const shown = rows.slice(1, -2).reduce((sum, r) => sum + Number(r[1]!.replace(/,/g, '')), 0);
      expect(shown + Number(folded[1]!.replace(/,/g, ''))).to.equal(snapshot.total);
      expect(text).to.include('100,000 counties');
    });

    it('dims the window line only when colour is allowed', () => {
      expect(renderSnapshot(snapshotOf({ A: 1 }))).not.to.include('\x1b[');
      expect(renderSnapshot(snapshotOf({ A: 1 }), { color: true })).to.include('\x1b[2mWindow: ');
    });

    it('does not fold when everything fits', () => {
      const body = tableRows(renderSnapshot(snapshotOf({ A: 2, B: 1 }), { maxRows: 10 }));
      expect(body.map((r) => r[0])).to.deep.equal(['County', 'A', 'B', 'Total']);
    });
  });

  describe('bar and formatShare', () => {
    it('draws nothing for zero or a zero maximum', () => {
      expect(bar(0, 10)).to.equal('');
      expect(bar(5, 0)).to.equal('');
    });

    it('uses eighth blocks for the remainder and at least one eighth', () => {
      expect(bar(10, 10, 4)).to.equal('████');
      expect(bar(5, 10, 3)).to.equal('█▌');
      expect(bar(1, 1_000_000, 30)).to.equal('▏');
    });

    it('gives shares with one decimal', () => {
      expect(formatShare(1, 3)).to.equal('33.3%');
      expect(formatShare(2, 3)).to.equal('66.7%');
      expect(formatShare(0, 0)).to.equal('0.0%');
    });
  });
});
