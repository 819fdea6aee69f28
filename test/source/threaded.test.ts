import { expect } from 'chai';
import { InputError } from '../../src/core/errors.js';
import { csvSource } from '../../src/source/csv.js';
import { threadedCsvSource } from '../../src/source/threaded.js';
import { collect, sharedBehaviour } from './threaded-behaviour.js';

describe('source/threaded', () => {
  sharedBehaviour('from the TypeScript sources (no compiled thread script: reads in-thread)', async () => ({
    threaded: threadedCsvSource,
    reference: csvSource,
  }));

  it('from the sources, throws the InputError class of the sources', async () => {
    const { error } = await collect(threadedCsvSource({ file: '/nonexistent/x.csv', loop: false }));
    expect(error).to.be.instanceOf(InputError);
  });
});
