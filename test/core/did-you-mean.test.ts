import { expect } from 'chai';
import { didYouMean, editDistance } from '../../src/core/did-you-mean.js';

describe('core/did-you-mean', () => {
  it('counts insertions, deletions, substitutions and swaps of neighbours as one edit each', () => {
    expect(editDistance('stream', 'stream')).to.equal(0);
    expect(editDistance('strem', 'stream')).to.equal(1);
    expect(editDistance('streams', 'stream')).to.equal(1);
    expect(editDistance('stroam', 'stream')).to.equal(1);
    expect(editDistance('deplyo', 'deploy')).to.equal(1);
    expect(editDistance('', 'show')).to.equal(4);
  });

  it('suggests the closest candidate, only within one edit per three letters', () => {
    const commands = ['aggregate', 'deploy', 'destroy', 'show', 'status', 'stream'];
    expect(didYouMean('strem', commands)).to.equal('stream');
    expect(didYouMean('statsu', commands)).to.equal('status');
    expect(didYouMean('agregate', commands)).to.equal('aggregate');
    expect(didYouMean('shwo', commands)).to.equal('show');
    expect(didYouMean('xyzzy', commands)).to.equal(undefined);
    expect(didYouMean('s', commands)).to.equal(undefined);
    expect(didYouMean('--intervl-ms', ['--interval-ms', '--limit'])).to.equal('--interval-ms');
  });
});
