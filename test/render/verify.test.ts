import { expect } from 'chai';
import { MAX_TABLE_ROWS } from '../../src/render/snapshot.js';
import { renderVerify } from '../../src/render/verify.js';
import { displayWidth } from '../../src/render/width.js';
import type { VerifyReport } from '../../src/services/verify.js';
import { HOSTILE_STRINGS, RAW_CONTROL } from '../../testkit/hostile.js';
import { tableRows } from '../../testkit/table.js';

const good: VerifyReport = {
  match: true,
  sent: 8,
  skipped: 1,
  failed: 0,
  stored: 8,
  expectedTotal: 8,
  actualTotal: 8,
  windowStart: '2025-01-01T12:00:00.000Z',
  windowEnd: '2025-01-01T12:05:00.000Z',
  counties: [
    { county: 'Albany', expected: 5, actual: 5, difference: 0 },
    { county: 'Kings', expected: 3, actual: 3, difference: 0 },
  ],
  interrupted: false,
  otherEvents: 0,
};

describe('render/verify', () => {
  it("on a shared stack, marks counts above verify's own as other traffic and still passes", () => {
    const text = renderVerify({
      ...good,
      actualTotal: 11,
      otherEvents: 3,
      counties: [
        { county: 'Albany', expected: 5, actual: 8, difference: 3 },
        { county: 'Kings', expected: 3, actual: 3, difference: 0 },
      ],
    });
    expect(tableRows(text)).to.deep.include(['Albany', '5', '8', '+3 other']);
    expect(text.split('\n').at(-1)).to.equal(
      'PASS: all 8 events sent were stored once and counted, in 2 counties; 3 other events were in the window.',
    );
  });

  it('prints PASS with the per-county comparison and the totals', () => {
    const text = renderVerify(good);
    const rows = tableRows(text);
    expect(rows).to.deep.equal([
      ['County', 'Expected', 'Aggregated', 'Difference'],
      ['Albany', '5', '5', 'ok'],
      ['Kings', '3', '3', 'ok'],
      ['Total', '8', '8', 'ok'],
    ]);
    expect(text).to.include('Sent 8, skipped 1, failed 0, stored 8.');
    expect(text.split('\n').at(-1)).to.equal('PASS: all 2 counties match (8 events in the window).');
  });

  it('prints FAIL with signed differences and how many counties differ', () => {
    const text = renderVerify({
      ...good,
      match: false,
      actualTotal: 8,
      counties: [
        { county: 'Albany', expected: 5, actual: 6, difference: 1 },
        { county: 'Kings', expected: 3, actual: 2, difference: -1 },
        { county: 'Erie', expected: 0, actual: 0, difference: 0 },
      ],
    });
    const rows = tableRows(text);
    expect(rows.find((r) => r[0] === 'Albany')?.[3]).to.equal('+1');
    expect(rows.find((r) => r[0] === 'Kings')?.[3]).to.equal('-1');
    expect(text.split('\n').at(-1)).to.equal('FAIL: 2 counties differ.');
    expect(text).not.to.include('PASS');
  });

  it('mentions events that failed to send and the total difference', () => {
    const text = renderVerify({
      ...good,
      match: false,
      failed: 2,
      actualTotal: 6,
      counties: [{ county: 'Albany', expected: 8, actual: 6, difference: -2 }],
    });
    expect(tableRows(text).find((r) => r[0] === 'Total')).to.deep.equal(['Total', '8', '6', '-2']);
    expect(text.split('\n').at(-1)).to.equal('FAIL: 1 county differs, 2 events failed to send.');
  });

  it('points events not stored in time at the status of the stack verify checked, with its flags', () => {
    const late = { ...good, match: false, stored: 5 };
    const command = 'sensorpipe status --target aws --stack-name prod --region eu-west-1';
    expect(renderVerify(late, {}, { statusCommand: command }).split('\n').at(-1)).to.equal(
      `FAIL: 3 of the 8 events sent were not stored in time (see ${command} for the queue and its dead letters).`,
    );
    // A temporary stack is gone by then: nothing to point at.
    expect(renderVerify(late).split('\n').at(-1)).to.equal(
      'FAIL: 3 of the 8 events sent were not stored in time.',
    );
  });

  it('says an interrupted check did not complete', () => {
    const text = renderVerify({ ...good, match: false, interrupted: true });
    expect(text.split('\n').at(-1)).to.equal('FAIL: interrupted before the check could complete.');
  });

  it('prints the window in the one timestamp format for people', () => {
    expect(renderVerify(good)).to.include('Window 2025-01-01 12:00:00Z to 2025-01-01 12:05:00Z.');
  });

  it('colours PASS green and FAIL red, and a differing count, only when colour is allowed', () => {
    expect(renderVerify(good)).not.to.include('\x1b[');
    expect(renderVerify(good, { color: true }).split('\n').at(-1)).to.match(/^\x1b\[32mPASS\x1b\[39m: all 2/);
    const failed = renderVerify(
      { ...good, match: false, counties: [{ county: 'Albany', expected: 5, actual: 4, difference: -1 }] },
      { color: true },
    );
    expect(failed.split('\n').at(-1)).to.match(/^\x1b\[31mFAIL\x1b\[39m: 1 county differs\.$/);
    expect(failed).to.include('\x1b[31m');
  });

  for (const columns of [60, 80, 120]) {
    it(`fits ${columns} columns, the verdict wrapped at words`, () => {
      const text = renderVerify(
        {
          ...good,
          match: false,
          sent: 123_456,
          stored: 120_000,
          counties: [
            {
              county: `A county with a very long name ${'x'.repeat(60)}`,
              expected: 5,
              actual: 4,
              difference: -1,
            },
          ],
        },
        { columns, color: true },
      );
      for (const line of text.replace(/\x1b\[\d+m/g, '').split('\n')) {
        expect(displayWidth(line), line).to.be.at.most(columns);
      }
      expect(text.replace(/\x1b\[\d+m/g, '').replace(/\n(?!│|┌|├|└)/g, ' ')).to.include(
        'FAIL: 3456 of the 123456 events sent were not stored in time',
      );
    });
  }

  it('shows hostile county names escaped', () => {
    const text = renderVerify({
      ...good,
      counties: HOSTILE_STRINGS.map((h) => ({ county: h.value, expected: 1, actual: 1, difference: 0 })),
    });
    expect(text).not.to.match(RAW_CONTROL);
    expect(tableRows(text).map((r) => r[0])).to.include.members(HOSTILE_STRINGS.map((h) => h.shown));
  });

  it('with more counties than a table shows, lists the differing ones first and folds the rest', () => {
    const counties = Array.from({ length: 5_000 }, (_, i) => ({
      county: `County ${i}`,
      expected: 2,
      actual: i === 4_321 ? 1 : 2,
      difference: i === 4_321 ? -1 : 0,
    }));
    const rows = tableRows(renderVerify({ ...good, match: false, counties }));
    expect(rows[1]).to.deep.equal(['County 4321', '2', '1', '-1']);
    expect(rows).to.have.length(MAX_TABLE_ROWS + 2);
    expect(rows.at(-2)).to.deep.equal([
      `(${(5_000 - MAX_TABLE_ROWS + 1).toLocaleString('en-US')} more counties)`,
      String(2 * (5_000 - MAX_TABLE_ROWS + 1)),
      String(2 * (5_000 - MAX_TABLE_ROWS + 1)),
      'ok',
    ]);
  });
});
