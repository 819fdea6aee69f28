import { expect } from 'chai';
import { printable, printableLines } from '../../src/render/printable.js';
import { HOSTILE_STRINGS, RAW_CONTROL } from '../../testkit/hostile.js';

describe('render/printable', () => {
  it('shows every control, escape sequence, bidi and invisible format character escaped', () => {
    expect(printable('\x1b[2J\x1b[31mEVIL')).to.equal('\\x1b[2J\\x1b[31mEVIL');
    expect(printable('\x1b]0;title\x07Erie')).to.equal('\\x1b]0;title\\x07Erie');
    expect(printable('Totally\rTotal')).to.equal('Totally\\rTotal');
    expect(printable('a\nb\tc')).to.equal('a\\nb\\tc');
    expect(printable('nul\x00')).to.equal('nul\\x00');
    expect(printable('del\x7f')).to.equal('del\\x7f');
    // C1: an 8-bit CSI, which some terminals obey as ESC [.
    expect(printable('\u009b2J')).to.equal('\\x9b2J');
    expect(printable('abc\u202edef')).to.equal('abc\\u202edef');
    expect(printable('\u2066x\u2069')).to.equal('\\u2066x\\u2069');
    expect(printable('Er\u200bie')).to.equal('Er\\u200bie');
    expect(printable('\ufeffErie')).to.equal('\\ufeffErie');
    expect(printable('a\u2028b')).to.equal('a\\u2028b');
    expect(printable('\u3164')).to.equal('\\u3164');
    expect(printable('tag\u{e0041}')).to.equal('tag\\u{e0041}');
    expect(printable('lone \ud800 surrogate')).to.equal('lone \\ud800 surrogate');
  });

  it('leaves ordinary text alone: accents, combining marks, CJK, emoji, a backslash', () => {
    for (const text of ['St. Lawrence', 'Ñuñoa', 'e\u0301', '東京都', '😀 Erie', 'C:\\data', '']) {
      expect(printable(text)).to.equal(text);
    }
  });

  it('leaves no raw control character in any hostile string of the test kit', () => {
    for (const { value } of HOSTILE_STRINGS) {
      expect(printable(value)).not.to.match(RAW_CONTROL);
      expect(printableLines(value)).not.to.match(RAW_CONTROL);
    }
  });

  it('keeps the line breaks of several lines, and only those', () => {
    expect(printableLines('first\r\nsecond \x1b[1m\nthird')).to.equal('first\nsecond \\x1b[1m\nthird');
  });
});
