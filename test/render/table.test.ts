import { expect } from 'chai';
import { renderTable } from '../../src/render/table.js';
import { displayWidth } from '../../src/render/width.js';
import { tableRows } from '../../testkit/table.js';

const widest = (text: string) => Math.max(...text.split('\n').map(displayWidth));

describe('render/table', () => {
  it('draws a compact box: a rule under the header and above the footer, none between rows', () => {
    const text = renderTable(
      [{ header: 'County' }, { header: 'Count', align: 'right' }],
      [
        ['Albany', '5'],
        ['Erie', '12'],
      ],
      { footer: [['Total', '17']] },
    );
    expect(text).to.equal(
      [
        '┌────────┬───────┐',
        '│ County │ Count │',
        '├────────┼───────┤',
        '│ Albany │     5 │',
        '│ Erie   │    12 │',
        '├────────┼───────┤',
        '│ Total  │    17 │',
        '└────────┴───────┘',
      ].join('\n'),
    );
  });

  it('draws no header row when no column has a header (a key/value table)', () => {
    const text = renderTable([{ header: '' }, { header: '' }], [['Stack', 'demo']]);
    expect(text.split('\n')).to.have.length(3);
    expect(tableRows(text)).to.deep.equal([['Stack', 'demo']]);
  });

  it('makes every cell printable, so data cannot add lines, move the cursor or forge a row', () => {
    const text = renderTable([{ header: 'County' }], [['\x1b[2JEVIL'], ['Totally\rTotal'], ['two\nlines']]);
    expect(text).not.to.match(/[\x00-\x09\x0b-\x1f]/);
    expect(tableRows(text).map((r) => r[0])).to.deep.equal([
      'County',
      '\\x1b[2JEVIL',
      'Totally\\rTotal',
      'two\\nlines',
    ]);
  });

  it('shrinks the flexible column first, then cuts the widest cells with an ellipsis', () => {
    const columns = [
      { header: 'Name', truncate: 'start' as const, min: 6 },
      { header: 'N', align: 'right' as const },
      {
        header: '',
        flex: { preferred: 30, min: 5, draw: (_row: number, width: number) => '#'.repeat(width) },
      },
    ];
    const rows = [['A rather long county name of forty chars', '1']];
    const wide = renderTable(columns, rows);
    expect(tableRows(wide)[1]?.[2]).to.equal('#'.repeat(30));
    // Room for the name but a shorter bar.
    const medium = renderTable(columns, rows, { width: 70 });
    expect(widest(medium)).to.equal(70);
    expect(tableRows(medium)[1]?.[0]).to.equal('A rather long county name of forty chars');
    expect(tableRows(medium)[1]?.[2]).to.equal('#'.repeat(70 - 40 - 1 - 10));
    // The bar at its minimum, and the name cut.
    const narrow = renderTable(columns, rows, { width: 40 });
    expect(widest(narrow)).to.equal(40);
    expect(tableRows(narrow)[1]?.[2]).to.equal('#####');
    expect(tableRows(narrow)[1]?.[0]).to.match(/^A rather.*…$/);
  });

  it('cuts the widest columns evenly, keeps the ends of a path, and leaves out optional columns last', () => {
    const columns = [
      { header: 'Id', truncate: 'ends' as const, min: 8 },
      { header: 'Sent', optional: 1 },
      { header: 'Error', truncate: 'start' as const, min: 10 },
      { header: 'Body', truncate: 'start' as const, min: 10 },
    ];
    const rows = [
      ['0190aa5e-1111-7000-8000-0123456789ab', '2026-12-01 13:50:15Z', 'e'.repeat(60), 'b'.repeat(80)],
    ];
    for (const width of [60, 80, 120]) {
      const text = renderTable(columns, rows, { width });
      expect(widest(text), `at ${width}`).to.be.at.most(width);
    }
    const at60 = tableRows(renderTable(columns, rows, { width: 60 }));
    expect(at60[0]).to.deep.equal(['Id', 'Error', 'Body']);
    const at120 = tableRows(renderTable(columns, rows, { width: 120 }));
    expect(at120[0]).to.deep.equal(['Id', 'Sent', 'Error', 'Body']);
    // Cut to one level: the id keeps both its ends.
    expect(at120[1]?.[0]).to.match(/^0190aa5e-.*….*456789ab$/);
    expect(at120[1]?.[0]?.length).to.equal(at120[1]?.[2]?.length);
    expect(at120[1]?.[2]?.length).to.equal(at120[1]?.[3]?.length);
  });

  it('lines up wide characters by columns', () => {
    const text = renderTable([{ header: 'County' }], [['東京都'], ['Erie']]);
    expect(new Set(text.split('\n').map(displayWidth)).size).to.equal(1);
  });

  it('renders 100,000 rows in linear time (a guard against a quadratic layout, not a timing target)', () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => [`County ${i}`, String(i)]);
    const text = renderTable([{ header: 'County' }, { header: 'Count', align: 'right' }], rows, {
      width: 60,
    });
    expect(text.split('\n')).to.have.length(100_004);
  });
});
