import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { estimateRows } from '../../src/source/row-count.js';
import { makeTempDir, removeTempDir } from '../../testkit/local.js';

async function settled(estimate: ReturnType<typeof estimateRows>) {
  for (let i = 0; i < 200 && !estimate.current()?.exact; i++) await new Promise((r) => setTimeout(r, 10));
  return estimate.current();
}

describe('source/row-count', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeTempDir(dir));

  const write = (name: string, content: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };

  it('counts the data rows of a small file exactly, whatever its line ends and blank lines', () => {
    expect(estimateRows(write('a.csv', 'Name,County\nA,Erie\nB,Kings\n')).current()).to.deep.equal({
      rows: 2,
      exact: true,
    });
    expect(estimateRows(write('b.csv', 'Name,County\r\nA,Erie\r\n\r\nB,Kings')).current()).to.deep.equal({
      rows: 2,
      exact: true,
    });
    expect(estimateRows(write('c.csv', 'Name,County\n')).current()).to.deep.equal({ rows: 0, exact: true });
  });

  it('calls a count an estimate when quotes could hide line breaks in a field', () => {
    const count = estimateRows(write('q.csv', 'Name,County\n"two\nlines",Erie\nB,Kings\n')).current();
    expect(count).to.deep.equal({ rows: 3, exact: false });
  });

  it('estimates a large file from its start at once, then counts it in the background', async () => {
    const row = 'Some creek name,Erie,42.1\n';
    const file = write('big.csv', `Name,County,Lat\n${row.repeat(20_000)}`);
    const estimate = estimateRows(file);
    const first = estimate.current();
    expect(first?.exact).to.equal(false);
    expect(first?.rows).to.be.within(19_000, 21_000);
    expect(await settled(estimate)).to.deep.equal({ rows: 20_000, exact: true });
  });

  it('never opens what is not a regular file: a FIFO would be consumed or block', function () {
    const fifo = path.join(dir, 'f');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      this.skip();
    }
    expect(estimateRows(fifo).current()).to.equal(undefined);
    expect(estimateRows(dir).current()).to.equal(undefined);
    expect(estimateRows(path.join(dir, 'missing.csv')).current()).to.equal(undefined);
  });
});
