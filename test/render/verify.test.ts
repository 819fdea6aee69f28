import { expect } from 'chai';
import { renderVerify } from '../../src/render/verify.js';
import type { VerifyReport } from '../../src/services/verify.js';
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
    expect(renderVerify(late, { statusCommand: command }).split('\n').at(-1)).to.equal(
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
});
