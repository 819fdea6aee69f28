import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { streamTotal } from '../../src/cli/stream-total.js';
import { makeTempDir, removeTempDir } from '../../testkit/local.js';

describe('cli/stream-total', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeTempDir(dir));

  it('counts to --limit events, or the rows with --once, whichever comes first; nothing for an endless stream', () => {
    const file = path.join(dir, 's.csv');
    fs.writeFileSync(file, 'Name,County\nA,Erie\nB,Kings\nC,Kings\n');
    expect(streamTotal(file, { once: false }).total()).to.equal(undefined);
    expect(streamTotal(file, { once: false, limit: 10 }).total()).to.deep.equal({
      count: 10,
      exact: true,
      unit: 'events',
    });
    expect(streamTotal(file, { once: true }).total()).to.deep.equal({ count: 3, exact: true, unit: 'rows' });
    expect(streamTotal(file, { once: true, limit: 2 }).total()).to.deep.equal({
      count: 2,
      exact: true,
      unit: 'events',
    });
    expect(streamTotal(file, { once: true, limit: 10 }).total()?.unit).to.equal('rows');
  });
});
