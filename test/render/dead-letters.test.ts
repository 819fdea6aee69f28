import { expect } from 'chai';
import { renderDeadLetters } from '../../src/render/dead-letters.js';
import { displayWidth } from '../../src/render/width.js';
import type { DeadLetterView } from '../../src/targets/target.js';
import { HOSTILE_STRINGS, RAW_CONTROL } from '../../testkit/hostile.js';
import { tableRows } from '../../testkit/table.js';

const letter = (overrides: Partial<DeadLetterView> = {}): DeadLetterView => ({
  messageId: '0190aa5e-1111-7000-8000-0123456789ab',
  receiveCount: 5,
  sentAt: '2026-12-01T13:50:15.928Z',
  deadAt: null,
  error: 'event county is too long\nat storing',
  body: `{"id":"x","county":"${'y'.repeat(150)}"}`,
  bodyTruncated: false,
  ...overrides,
});

describe('render/dead-letters', () => {
  it('shows id, receives, sent (one timestamp format), the first line of the error and the body cut short', () => {
    const rows = tableRows(renderDeadLetters([letter()], 'demo'));
    expect(rows[0]).to.deep.equal(['Message', 'Receives', 'Sent', 'Error', 'Body']);
    expect(rows[1]?.slice(0, 4)).to.deep.equal([
      '0190aa5e-1111-7000-8000-0123456789ab',
      '5',
      '2026-12-01 13:50:15Z',
      'event county is too long',
    ]);
    expect(rows[1]?.[4]).to.have.length(81);
    expect(rows[1]?.[4]).to.match(/…$/);
  });

  it('says so when there are none', () => {
    expect(renderDeadLetters([], 'demo')).to.equal('No dead letters on stack "demo".');
  });

  for (const columns of [60, 80, 120]) {
    it(`fits ${columns} columns: errors and bodies are cut first, then Sent and Receives are left out`, () => {
      const text = renderDeadLetters([letter(), letter({ messageId: '1001', error: null })], 'demo', {
        columns,
      });
      for (const line of text.split('\n')) expect(displayWidth(line), line).to.be.at.most(columns);
      const header = tableRows(text)[0];
      expect(header).to.include.members(['Message', 'Error', 'Body']);
      if (columns === 120) expect(header).to.deep.equal(['Message', 'Receives', 'Sent', 'Error', 'Body']);
    });
  }

  it('shows hostile bodies and errors escaped: what the storing function refused is data too', () => {
    const text = renderDeadLetters(
      HOSTILE_STRINGS.map((h, i) =>
        letter({ messageId: String(i), body: h.value, error: `bad: ${h.value}` }),
      ),
      'demo',
      { columns: 120 },
    );
    expect(text).not.to.match(RAW_CONTROL);
  });
});
