import { expect } from 'chai';
import { oneLine } from '../../src/core/text.js';

describe('core/text', () => {
  describe('oneLine', () => {
    it('joins lines and runs of whitespace with one space, and trims', () => {
      expect(oneLine('  first line\n\tsecond   line\r\n')).to.equal('first line second line');
    });

    it('keeps text of at most max characters whole', () => {
      expect(oneLine('abcde', 5)).to.equal('abcde');
    });

    it('cuts longer text to max characters, the last three of them "..."', () => {
      const cut = oneLine('abcdefgh', 6);
      expect(cut).to.equal('abc...');
      expect(cut).to.have.length(6);
    });

    it('has no limit unless given one', () => {
      expect(oneLine('x'.repeat(10_000))).to.have.length(10_000);
    });
  });
});
