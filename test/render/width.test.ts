import { expect } from 'chai';
import { displayWidth, pad, truncate, wrap } from '../../src/render/width.js';

describe('render/width', () => {
  it('counts terminal columns: wide CJK and emoji take two, combining marks none', () => {
    expect(displayWidth('Erie')).to.equal(4);
    expect(displayWidth('東京')).to.equal(4);
    expect(displayWidth('😀')).to.equal(2);
    expect(displayWidth('e\u0301')).to.equal(1);
    expect(displayWidth('█▌')).to.equal(2);
    expect(displayWidth('')).to.equal(0);
  });

  it('truncates to a width with an ellipsis, at the end or in the middle, never splitting a wide character', () => {
    expect(truncate('St. Lawrence', 20)).to.equal('St. Lawrence');
    expect(truncate('St. Lawrence', 8)).to.equal('St. Law…');
    expect(displayWidth(truncate('東京都港区', 6))).to.be.at.most(6);
    expect(truncate('東京都港区', 6)).to.equal('東京…');
    expect(truncate('/home/me/.sensorpipe/sensorpipe.sqlite', 20, 'ends')).to.equal('/home/me/.…pe.sqlite');
    expect(displayWidth(truncate('/home/me/.sensorpipe/sensorpipe.sqlite', 20, 'ends'))).to.equal(20);
    expect(truncate('abc', 1)).to.equal('…');
    expect(truncate('abc', 0)).to.equal('');
  });

  it('pads to a width by columns, on either side', () => {
    expect(pad('東', 4)).to.equal('東  ');
    expect(pad('7', 3, 'right')).to.equal('  7');
    expect(pad('toolong', 3)).to.equal('toolong');
  });

  it('wraps prose at spaces, keeping listed items whole, and never exceeds the width', () => {
    expect(wrap('a b c', undefined)).to.deep.equal(['a b c']);
    expect(wrap('one two three four', 9)).to.deep.equal(['one two', 'three', 'four']);
    expect(
      wrap(['Window:', '2026-12-01 13:50:15Z', 'to', '2026-12-01 13:55:15Z', '(5 min).'], 30),
    ).to.deep.equal(['Window: 2026-12-01 13:50:15Z', 'to 2026-12-01 13:55:15Z', '(5 min).']);
    for (const line of wrap(`${'x'.repeat(100)} and more words here`, 20)) {
      expect(displayWidth(line)).to.be.at.most(20);
    }
  });
});
