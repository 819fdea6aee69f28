/** What the threaded CSV source must do, whichever build of it runs: shared by its unit and built specs. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { SourceItem } from '../../src/core/streamer.js';
import { fixtureCsv } from '../../testkit/fixtures.js';
import { SHARED_DATASET } from '../../testkit/paths.js';
import { itemsOf } from '../../testkit/source.js';

export type ThreadedModule = typeof import('../../src/source/threaded.js');
export type Source = (options: { file: string; loop: boolean }) => AsyncGenerator<SourceItem[]>;

export async function collect(chunks: AsyncIterable<readonly SourceItem[]>, max = Number.POSITIVE_INFINITY) {
  const seen: SourceItem[] = [];
  try {
    for await (const item of itemsOf(chunks)) {
      seen.push(item);
      if (seen.length >= max) break;
    }
  } catch (error) {
    return { items: seen, error: error as Error };
  }
  return { items: seen, error: undefined };
}

/** A CSV with skips (empty County, a short row), a quoted line break, then more rows than one thread batch. */
export function mixedCsv(rows: number): string {
  const lines = [
    'Name,County,Comments',
    'a,Albany,"two\nlines"',
    'b,,None',
    'c,Kings',
    '"d, e",Erie,"say ""hi"""',
  ];
  for (let i = 0; i < rows; i++) lines.push(`r${i},${['Albany', 'Kings', 'Erie'][i % 3]},n${i}`);
  return `${lines.join('\n')}\n`;
}

export function sharedBehaviour(name: string, load: () => Promise<{ threaded: Source; reference: Source }>) {
  describe(name, () => {
    let dir: string;
    let threaded: Source;
    let reference: Source;

    before(async function () {
      this.timeout(180_000);
      ({ threaded, reference } = await load());
    });

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-threaded-'));
    });

    afterEach(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const write = (file: string, text: string) => {
      fs.writeFileSync(path.join(dir, file), text);
      return path.join(dir, file);
    };

    it('yields the same rows and skips, with the same line numbers, as csvSource', async () => {
      const file = write('mixed.csv', mixedCsv(1500));
      const expected = await collect(reference({ file, loop: false }));
      const actual = await collect(threaded({ file, loop: false }));
      expect(actual.error).to.equal(undefined);
      expect(actual.items).to.have.length(4 + 1500);
      expect(actual.items).to.deep.equal(expected.items);
      expect(actual.items.slice(0, 4)).to.deep.equal([
        {
          kind: 'row',
          line: 2,
          county: 'Albany',
          dataJson: JSON.stringify({ Name: 'a', County: 'Albany', Comments: 'two\nlines' }),
        },
        { kind: 'skip', line: 4, reason: 'empty County' },
        { kind: 'skip', line: 5, reason: 'expected 3 fields, found 2' },
        {
          kind: 'row',
          line: 6,
          county: 'Erie',
          dataJson: JSON.stringify({ Name: 'd, e', County: 'Erie', Comments: 'say "hi"' }),
        },
      ]);
    });

    it('yields the same items as csvSource on the test fixture', async () => {
      const file = write('fixture.csv', fixtureCsv({ emptyCounty: 2 }));
      expect((await collect(threaded({ file, loop: false }))).items).to.deep.equal(
        (await collect(reference({ file, loop: false }))).items,
      );
    });

    it('starts over at the top when looping, until the consumer stops', async () => {
      const file = write('small.csv', 'Name,County\na,Albany\nb,Kings\n');
      const { items, error } = await collect(threaded({ file, loop: true }), 7);
      expect(error).to.equal(undefined);
      expect(items.map((i) => (i.kind === 'row' ? `${i.line}:${i.county}` : 'skip'))).to.deep.equal([
        '2:Albany',
        '3:Kings',
        '2:Albany',
        '3:Kings',
        '2:Albany',
        '3:Kings',
        '2:Albany',
      ]);
    });

    it('yields the rows before an invalid line, then the same input error as csvSource', async () => {
      const file = write('bad.csv', 'Name,County\na,Albany\nb,Kings\n"c,Erie\n');
      const expected = await collect(reference({ file, loop: false }));
      const actual = await collect(threaded({ file, loop: false }));
      expect(actual.items).to.deep.equal(expected.items);
      expect(actual.items).to.have.length(2);
      expect(actual.error?.name).to.equal('InputError');
      expect(actual.error?.message).to.equal(expected.error?.message);
      expect(actual.error?.message).to.include('at line 4');
    });

    it('fails with an input error on a file without a County column or a missing file', async () => {
      const noCounty = await collect(threaded({ file: write('nc.csv', 'Name,Town\na,b\n'), loop: false }));
      expect(noCounty.items).to.deep.equal([]);
      expect(noCounty.error?.name).to.equal('InputError');
      expect(noCounty.error?.message).to.include('no County column');
      const missing = await collect(threaded({ file: path.join(dir, 'missing.csv'), loop: false }));
      expect(missing.error?.name).to.equal('InputError');
      expect(missing.error?.message).to.include('does not exist');
    });

    it('leaves nothing running after the end or an early stop, so the process can exit', async () => {
      const file = write('mixed.csv', mixedCsv(3000));
      await collect(threaded({ file, loop: true }), 10);
      await collect(threaded({ file, loop: false }));
      const open = process.getActiveResourcesInfo().filter((r) => r === 'MessagePort' || r === 'Worker');
      expect(open).to.deep.equal([]);
    });

    it('reads the shared dataset like csvSource', async function () {
      if (!fs.existsSync(SHARED_DATASET)) this.skip();
      const expected = await collect(reference({ file: SHARED_DATASET, loop: false }));
      const actual = await collect(threaded({ file: SHARED_DATASET, loop: false }));
      expect(actual.items.length).to.be.greaterThan(0);
      expect(actual.items).to.deep.equal(expected.items);
    });
  });
}
