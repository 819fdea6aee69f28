import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { InputError } from '../../src/core/errors.js';
import type { SourceItem } from '../../src/core/streamer.js';
import { CHUNK_ITEMS, csvSource, MAX_RECORD_BYTES, readCsv } from '../../src/source/csv.js';
import { itemsOf } from '../../testkit/source.js';

const DATASET = path.resolve(process.cwd(), '../shared/data/Recommended_Fishing_Rivers_And_Streams.csv');

/** The text as a stream, optionally in tiny chunks so that BOMs, CRLFs and quotes straddle chunk ends. */
function streamOf(text: string, chunkSize = 0): Readable {
  const bytes = Buffer.from(text);
  if (chunkSize === 0) return Readable.from([bytes]);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks);
}

async function drain(items: AsyncIterable<SourceItem>): Promise<{ items: SourceItem[]; error?: unknown }> {
  const seen: SourceItem[] = [];
  try {
    for await (const item of items) seen.push(item);
  } catch (error) {
    return { items: seen, error };
  }
  return { items: seen };
}

async function read(text: string, chunkSize = 0): Promise<SourceItem[]> {
  const { items, error } = await drain(readCsv(streamOf(text, chunkSize), { source: 'test.csv' }));
  if (error !== undefined) throw error;
  return items;
}

async function readError(text: string): Promise<{ items: SourceItem[]; error: InputError }> {
  const { items, error } = await drain(readCsv(streamOf(text), { source: 'test.csv' }));
  expect(error).to.be.instanceOf(InputError);
  return { items, error: error as InputError };
}

const lines = (items: SourceItem[]) => items.map((item) => [item.kind, item.line]);
const dataJsonOf = (item: SourceItem | undefined): string => (item?.kind === 'row' ? item.dataJson : '');
const dataOf = (item: SourceItem | undefined): object => JSON.parse(dataJsonOf(item)) as object;

describe('source/csv', () => {
  describe('readCsv', () => {
    it('yields each row with its line, trimmed county and all columns under their original names', async () => {
      const items = await read(
        'Waterbody Name,County,Latitude\nCayuta Creek, Chemung ,42.2\nOwego Creek,Tioga,42.1\n',
      );
      expect(items).to.deep.equal([
        {
          kind: 'row',
          line: 2,
          county: 'Chemung',
          dataJson: JSON.stringify({
            'Waterbody Name': 'Cayuta Creek',
            County: ' Chemung ',
            Latitude: '42.2',
          }),
        },
        {
          kind: 'row',
          line: 3,
          county: 'Tioga',
          dataJson: JSON.stringify({ 'Waterbody Name': 'Owego Creek', County: 'Tioga', Latitude: '42.1' }),
        },
      ]);
    });

    for (const { header, names, county } of [
      { header: 'Waterbody Name,County', names: ['Waterbody Name', 'County'], county: 'County' },
      { header: 'Waterbody Name, county ', names: ['Waterbody Name', ' county '], county: ' county ' },
      { header: 'Waterbody_Name,COUNTY', names: ['Waterbody_Name', 'COUNTY'], county: 'COUNTY' },
      { header: 'Waterbody_Name,_County_', names: ['Waterbody_Name', '_County_'], county: '_County_' },
      { header: '\uFEFFCounty,Name', names: ['County', 'Name'], county: 'County' },
      { header: '\uFEFF"County",Name', names: ['County', 'Name'], county: 'County' },
    ]) {
      it(`finds the County column in the header ${JSON.stringify(header)}`, async () => {
        // GIVEN a header whose County column is written its own way (a leading BOM is not part of a name)
        const seen: string[][] = [];
        const input = streamOf(
          `${header}\n${names.map((name) => (name === county ? 'Albany' : 'x')).join(',')}\n`,
        );
        // WHEN it is read
        const { items, error } = await drain(
          readCsv(input, { onHeader: (headers, column) => seen.push([...headers, column]) }),
        );
        // THEN the header is reported as written and the county comes from that column
        expect(error).to.equal(undefined);
        expect(seen).to.deep.equal([[...names, county]]);
        expect(items).to.have.length(1);
        expect(items[0]).to.deep.include({ kind: 'row', line: 2, county: 'Albany' });
        expect(Object.keys(dataOf(items[0]))).to.deep.equal(names);
      });
    }

    it('reads a BOM before the first column and a County column that is first', async () => {
      const items = await read('\uFEFFCounty,Name\r\nErie,Cattaraugus Creek\r\n');
      expect(items).to.deep.equal([
        {
          kind: 'row',
          line: 2,
          county: 'Erie',
          dataJson: JSON.stringify({ County: 'Erie', Name: 'Cattaraugus Creek' }),
        },
      ]);
    });

    it('reads CRLF line endings, LF endings and CR endings alike', async () => {
      for (const eol of ['\r\n', '\n', '\r']) {
        const items = await read(['Name,County', 'A,Erie', 'B,Kings', ''].join(eol));
        expect(items.map((item) => item.kind === 'row' && item.county)).to.deep.equal(['Erie', 'Kings']);
        expect(lines(items)).to.deep.equal([
          ['row', 2],
          ['row', 3],
        ]);
      }
    });

    it('keeps commas and doubled quotes inside quoted fields', async () => {
      const items = await read('Name,Species,County\n"Creek, West","Brown ""Trout"", Sunfish",Erie\n');
      expect(items[0]).to.deep.include({ kind: 'row', line: 2, county: 'Erie' });
      expect(dataOf(items[0])).to.have.property('Name', 'Creek, West');
      expect(dataOf(items[0])).to.have.property('Species', 'Brown "Trout", Sunfish');
    });

    it('gives a multi-line record its first line and counts the lines after it correctly', async () => {
      // GIVEN a record spanning lines 2-4 (LF) and one spanning lines 5-6 (CRLF inside the quotes)
      const text = 'Name,Comments,County\nA,"one\ntwo\nthree",Erie\nB,"four\r\nfive",Kings\nC,none,Bronx\n';
      const items = await read(text);
      // THEN each record has the line it starts on, and the record after them is on line 7
      expect(lines(items)).to.deep.equal([
        ['row', 2],
        ['row', 5],
        ['row', 7],
      ]);
      expect(dataOf(items[0])).to.have.property('Comments', 'one\ntwo\nthree');
      expect(dataOf(items[1])).to.have.property('Comments', 'four\r\nfive');
    });

    it('gives the same items whatever the chunk boundaries', async () => {
      const text = '\uFEFFName,Comments,County\r\nA,"x\r\ny, z",Erie\r\n\r\nB,"",Kings\r\n,, \r\nC,c,Bronx';
      const whole = await read(text);
      expect(lines(whole)).to.deep.equal([
        ['row', 2],
        ['row', 5],
        ['skip', 6],
        ['row', 7],
      ]);
      for (const size of [1, 2, 3, 7]) expect(await read(text, size)).to.deep.equal(whole);
    });

    it('skips a row with an empty or blank County, with its line', async () => {
      const items = await read('Name,County\nA,\nB,   \nC,Erie\n');
      expect(items).to.deep.equal([
        { kind: 'skip', line: 2, reason: 'empty County' },
        { kind: 'skip', line: 3, reason: 'empty County' },
        { kind: 'row', line: 4, county: 'Erie', dataJson: JSON.stringify({ Name: 'C', County: 'Erie' }) },
      ]);
    });

    it('skips a row with the wrong number of fields, with its line, and goes on', async () => {
      const items = await read('Name,County,Lat\nA,Erie,1,extra\nB,Erie\nC,Kings,3\n');
      expect(items.slice(0, 2)).to.deep.equal([
        { kind: 'skip', line: 2, reason: 'expected 3 fields, found 4' },
        { kind: 'skip', line: 3, reason: 'expected 3 fields, found 2' },
      ]);
      expect(items[2]).to.deep.include({ kind: 'row', line: 4, county: 'Kings' });
    });

    it('ignores blank lines, before the header too, but counts them', async () => {
      const items = await read('\n\nName,County\n\nA,Erie\n  \n\nB,Kings\n\n\n');
      expect(lines(items)).to.deep.equal([
        ['row', 5],
        ['row', 8],
      ]);
    });

    it('skips a row too big for one queue message, with its line and size, and goes on', async () => {
      const items = await read(`Name,County\n${'x'.repeat(1_100_000)},Erie\nsmall,Kings\n`);
      expect(items[0]).to.deep.equal({
        kind: 'skip',
        line: 2,
        reason: "the row is 1.05 MiB as an event, over the queue's 1 MiB message limit",
      });
      expect(items[1]).to.deep.include({ kind: 'row', line: 3, county: 'Kings' });
    });

    it('skips, with its line and reason, a row whose County storing would refuse: too long, NUL or control only', async () => {
      const long = 'x'.repeat(257);
      const items = await read(
        `Name,County\nA,${long}\nB,"\u0000\u0000"\nC,\u001b\u0007\nD," ${'y'.repeat(256)} "\nE,Erie\n`,
      );
      expect(items.slice(0, 3)).to.deep.equal([
        { kind: 'skip', line: 2, reason: 'County of 257 characters, over the 256 storing accepts' },
        { kind: 'skip', line: 3, reason: 'County made only of control or invisible characters' },
        { kind: 'skip', line: 4, reason: 'County made only of control or invisible characters' },
      ]);
      expect(items[3]).to.deep.include({ kind: 'row', line: 5, county: 'y'.repeat(256) });
      expect(items[4]).to.deep.include({ kind: 'row', line: 6, county: 'Erie' });
    });

    it('keeps a column named __proto__ as data', async () => {
      const items = await read('__proto__,County\nx,Erie\n');
      expect(dataJsonOf(items[0])).to.equal('{"__proto__":"x","County":"Erie"}');
      expect(Object.keys(dataOf(items[0]))).to.deep.equal(['__proto__', 'County']);
    });

    it('yields nothing for a header-only file', async () => {
      expect(await read('Name,County\r\n')).to.deep.equal([]);
      expect(await read('Name,County')).to.deep.equal([]);
    });

    it('fails on an empty file', async () => {
      for (const text of ['', '\uFEFF', '\n\r\n\n']) {
        const { error } = await readError(text);
        expect(error.message).to.match(/^test\.csv is empty/);
        expect(error.exitCode).to.equal(2);
      }
    });

    it('fails on a header without a County column, listing the columns found', async () => {
      const { error } = await readError('Waterbody_Name,Town,Latitude\nA,B,1\n');
      expect(error.message).to.equal(
        'test.csv has no County column (columns found: "Waterbody_Name", "Town", "Latitude"). ' +
          'The file needs a County column.',
      );
    });

    it('keeps the column list short and on one line when the header is long', async () => {
      const header = Array.from({ length: 60 }, (_, i) => `Column number ${i}`).join(',');
      const { error } = await readError(`"first\nline",${'x'.repeat(500)},${header}\n`);
      expect(error.message).to.not.include('\n');
      expect(error.message).to.include('"first\\nline"');
      expect(error.message).to.match(/and \d+ more\)/);
      expect(error.message.length).to.be.below(400);
    });

    it('fails on a quote that is never closed, at the line where its record starts, after the rows before', async () => {
      // GIVEN a file whose third record opens a quote on line 5 and never closes it
      const text = 'Name,County\nA,Erie\n"B\nstill B",Kings\nC,"Bronx\nD,Erie\nE,Kings\n';
      // WHEN it is read
      const { items, error } = await readError(text);
      // THEN the rows before come through and the error names line 5
      expect(lines(items)).to.deep.equal([
        ['row', 2],
        ['row', 3],
      ]);
      expect(error.message).to.match(
        /^Invalid CSV in test\.csv at line 5: a quoted field .* never closed\. Quote fields/,
      );
      expect(error.message).to.not.include('\n');
    });

    it('fails on a quote inside an unquoted field, with its line, after the rows before', async () => {
      const rows = Array.from({ length: 100 }, (_, i) => `R${i},Erie`).join('\n');
      const { items, error } = await readError(`Name,County\n${rows}\nBad "name",Erie\nZ,Kings\n`);
      expect(items).to.have.length(100);
      expect(error.message).to.match(
        /^Invalid CSV in test\.csv at line 102: a quote appears inside an unquoted field/,
      );
    });

    it('fails on text after a closing quote', async () => {
      const { error } = await readError('Name,County\nA,Erie\n"B"x,Erie\n');
      expect(error.message).to.match(/at line 3: a closing quote is followed by more characters/);
    });

    it('fails on a record larger than the bound instead of buffering it', async () => {
      const text = `Name,County\nA,Erie\n"${'x'.repeat(MAX_RECORD_BYTES + 10)}",Erie\n`;
      const { items, error } = await readError(text);
      expect(items).to.have.length(1);
      expect(error.message).to.match(/at line 3: the record is longer than 4 MiB/);
    });

    it('turns a failing input stream into an InputError', async () => {
      const input = new Readable({
        read() {
          this.destroy(Object.assign(new Error('disk on fire'), { code: 'EIO' }));
        },
      });
      const { error } = await drain(readCsv(input, { source: 'broken.csv' }));
      expect(error).to.be.instanceOf(InputError);
      expect((error as Error).message).to.equal('Cannot read broken.csv (EIO).');
    });

    it('stops reading the input when the consumer stops', async () => {
      const input = streamOf(`Name,County\n${'A,Erie\n'.repeat(10_000)}`, 1024);
      for await (const item of readCsv(input)) {
        expect(item.line).to.equal(2);
        break;
      }
      await new Promise((resolve) => setImmediate(resolve));
      expect(input.destroyed).to.equal(true);
    });
  });

  describe('csvSource', () => {
    let dir: string;

    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sensorpipe-csv-'));
    });

    after(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    function fixture(name: string, text: string): string {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return file;
    }

    it('reads a file once', async () => {
      const file = fixture('once.csv', 'Name,County\r\nA,Erie\r\nB,\r\nC,Kings\r\n');
      const passes: number[] = [];
      const headers: string[] = [];
      const { items } = await drain(
        itemsOf(
          csvSource({
            file,
            loop: false,
            onPass: (pass) => passes.push(pass),
            onHeader: (_, county) => headers.push(county),
          }),
        ),
      );
      expect(lines(items)).to.deep.equal([
        ['row', 2],
        ['skip', 3],
        ['row', 4],
      ]);
      expect(passes).to.deep.equal([1]);
      expect(headers).to.deep.equal(['County']);
    });

    it('loops over the file, line numbers restarting, until the consumer stops', async () => {
      // GIVEN a two-row file streamed in a loop
      const file = fixture('loop.csv', 'Name,County\nA,Erie\nB,Kings\n');
      const passes: number[] = [];
      const seen: string[] = [];
      // WHEN the consumer takes seven rows
      for await (const item of itemsOf(
        csvSource({ file, loop: true, onPass: (pass) => passes.push(pass) }),
      )) {
        if (item.kind === 'row') seen.push(`${item.county}@${item.line}`);
        if (seen.length === 7) break;
      }
      // THEN the rows repeat in order and no pass starts after it stopped
      expect(seen).to.deep.equal(['Erie@2', 'Kings@3', 'Erie@2', 'Kings@3', 'Erie@2', 'Kings@3', 'Erie@2']);
      expect(passes).to.deep.equal([1, 2, 3, 4]);
    });

    it('gives every pass of a looped file the same items and header, skips included', async () => {
      const file = fixture('replay.csv', 'Name,County\r\nA,Erie\r\nB,\r\n"C\nc",Kings\r\n');
      const headers: string[][] = [];
      const items: SourceItem[] = [];
      for await (const item of itemsOf(csvSource({ file, loop: true, onHeader: (h) => headers.push(h) }))) {
        items.push(item);
        if (items.length === 9) break;
      }
      const firstPass = items.slice(0, 3);
      expect(lines(firstPass)).to.deep.equal([
        ['row', 2],
        ['skip', 3],
        ['row', 4],
      ]);
      expect(items.slice(3, 6)).to.deep.equal(firstPass);
      expect(items.slice(6, 9)).to.deep.equal(firstPass);
      expect(headers).to.deep.equal([
        ['Name', 'County'],
        ['Name', 'County'],
        ['Name', 'County'],
      ]);
    });

    it('reads a looped file again when it changes between passes', async () => {
      // GIVEN a looped file that is rewritten while its first pass is read
      const file = fixture('changing.csv', 'Name,County\nA,Erie\n');
      const seen: string[] = [];
      for await (const item of itemsOf(csvSource({ file, loop: true }))) {
        if (item.kind === 'row') seen.push(item.county);
        if (seen.length === 1) fs.writeFileSync(file, 'Name,County\nB,Kings\nC,Tioga\n');
        if (seen.length === 5) break;
      }
      // THEN the next passes read the new rows, not the first pass's
      expect(seen).to.deep.equal(['Erie', 'Kings', 'Tioga', 'Kings', 'Tioga']);
    });

    it('yields chunks of at most CHUNK_ITEMS, and the rows before a bad line before its error', async () => {
      const rows = Array.from({ length: CHUNK_ITEMS + 10 }, (_, i) => `r${i},Erie`);
      const file = fixture('chunks.csv', `Name,County\n${rows.join('\n')}\nbad "quote,Erie\n`);
      const sizes: number[] = [];
      let error: unknown;
      try {
        for await (const chunk of csvSource({ file, loop: false })) sizes.push(chunk.length);
      } catch (caught) {
        error = caught;
      }
      expect(sizes).to.deep.equal([CHUNK_ITEMS, 10]);
      expect(error).to.be.instanceOf(InputError);
      expect((error as Error).message).to.include(`line ${CHUNK_ITEMS + 12}`);
    });

    it('stops looping when a pass yields no row', async () => {
      const headerOnly = fixture('header-only.csv', 'Name,County\n');
      expect((await drain(itemsOf(csvSource({ file: headerOnly, loop: true })))).items).to.deep.equal([]);

      const allSkipped = fixture('all-skipped.csv', 'Name,County\nA,\nB, \n');
      const passes: number[] = [];
      const { items } = await drain(
        itemsOf(csvSource({ file: allSkipped, loop: true, onPass: (pass) => passes.push(pass) })),
      );
      expect(lines(items)).to.deep.equal([
        ['skip', 2],
        ['skip', 3],
      ]);
      expect(passes).to.deep.equal([1]);
    });

    it('fails on a missing file, naming it', async () => {
      const file = path.join(dir, 'nope.csv');
      const { error } = await drain(itemsOf(csvSource({ file, loop: false })));
      expect(error).to.be.instanceOf(InputError);
      expect((error as Error).message).to.equal(`${file} does not exist. Check the path of the CSV file.`);
    });

    it('fails on a directory, naming it', async () => {
      const { error } = await drain(itemsOf(csvSource({ file: dir, loop: false })));
      expect(error).to.be.instanceOf(InputError);
      expect((error as Error).message).to.equal(
        `${dir} is a directory, not a CSV file. Pass the path of a CSV file.`,
      );
    });

    it('fails on a file it may not read, naming it', async function () {
      if (process.platform === 'win32' || process.getuid?.() === 0) this.skip();
      const file = fixture('secret.csv', 'Name,County\nA,Erie\n');
      fs.chmodSync(file, 0o000);
      const { error } = await drain(itemsOf(csvSource({ file, loop: false })));
      expect(error).to.be.instanceOf(InputError);
      expect((error as Error).message).to.include(`${file} is not readable`);
    });

    it('fails with the path in the message when the CSV is bad', async () => {
      const file = fixture('no-county.csv', 'Name,Town\nA,B\n');
      const { error } = await drain(itemsOf(csvSource({ file, loop: true })));
      expect((error as Error).message).to.match(
        new RegExp(`^${file.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')} has no County`),
      );
    });

    it('reads the shared dataset: 546 rows in 55 counties', async function () {
      // 546, not the 545 of its README: the file has no final newline, so `wc -l` minus the header is one short.
      if (!fs.existsSync(DATASET)) this.skip();
      const counties = new Set<string>();
      let rows = 0;
      let skipped = 0;
      for await (const item of itemsOf(csvSource({ file: DATASET, loop: false }))) {
        if (item.kind === 'row') {
          rows++;
          counties.add(item.county);
        } else skipped++;
      }
      expect({ rows, skipped, counties: counties.size }).to.deep.equal({
        rows: 546,
        skipped: 0,
        counties: 55,
      });
    });

    describe('a FIFO as the file (mkfifo)', () => {
      /** A FIFO in the test directory, and a writer that opens it without blocking this process. */
      function fifo(name: string): { file: string; write(text: string): void } {
        const file = path.join(dir, name);
        execFileSync('mkfifo', [file]);
        return {
          file,
          // A reader holds it open, so a non-blocking open for writing succeeds at once.
          write(text) {
            const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
            try {
              fs.writeSync(fd, text);
            } finally {
              fs.closeSync(fd);
            }
          },
        };
      }

      it('waits for a writer without blocking anything, reads what it writes, and reads it anew each pass', async () => {
        const { file, write } = fifo('loop.fifo');
        const iterator = csvSource({ file, loop: true })[Symbol.asyncIterator]();
        // GIVEN no writer yet: the read waits, and the event loop (this timer) goes on
        const first = iterator.next();
        expect(await Promise.race([first, new Promise((r) => setTimeout(r, 100, 'waiting'))])).to.equal(
          'waiting',
        );
        // WHEN a writer writes and closes
        write('Name,County\nA,Erie\nB,Kings\n');
        const pass1 = await first;
        expect(pass1.done).to.equal(false);
        expect((pass1.value as SourceItem[]).map((item) => item.kind === 'row' && item.county)).to.deep.equal(
          ['Erie', 'Kings'],
        );
        // THEN the next pass is not a replay: it waits for the next writer, and reads what that writes
        const second = iterator.next();
        expect(await Promise.race([second, new Promise((r) => setTimeout(r, 150, 'waiting'))])).to.equal(
          'waiting',
        );
        write('Name,County\nC,Tioga\n');
        const pass2 = await second;
        expect((pass2.value as SourceItem[]).map((item) => item.kind === 'row' && item.county)).to.deep.equal(
          ['Tioga'],
        );
        await iterator.return?.(undefined);
      });

      it('hands over the rows a writer wrote while it keeps writing, not only at its end', async () => {
        const { file } = fifo('live.fifo');
        const iterator = csvSource({ file, loop: false })[Symbol.asyncIterator]();
        const first = iterator.next();
        await new Promise((resolve) => setTimeout(resolve, 50));
        const writer = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
        try {
          fs.writeSync(writer, 'Name,County\nA,Erie\nB,Kings\nC,Tioga\n');
          // The writer is still there: the rows come now, not when it closes (all but the last
          // line, which the CSV parser holds until the next one starts or the writer closes)
          const counties: (string | false)[] = [];
          let next: Promise<IteratorResult<SourceItem[]>> = first;
          while (counties.length < 2) {
            const got = await Promise.race([
              next,
              new Promise<'waiting'>((r) => setTimeout(r, 2000, 'waiting')),
            ]);
            expect(got, `after ${counties.join(', ')}`).to.not.equal('waiting');
            for (const item of (got as IteratorResult<SourceItem[]>).value as SourceItem[])
              counties.push(item.kind === 'row' && item.county);
            if (counties.length < 2) next = iterator.next();
          }
          expect(counties).to.deep.equal(['Erie', 'Kings']);
        } finally {
          fs.closeSync(writer);
        }
        const last = await iterator.next();
        expect((last.value as SourceItem[]).map((item) => item.kind === 'row' && item.county)).to.deep.equal([
          'Tioga',
        ]);
        expect((await iterator.next()).done).to.equal(true);
      });

      it('ends, without an error, when its signal aborts a read that waits for a writer', async () => {
        const { file } = fifo('abort.fifo');
        const controller = new AbortController();
        const iterator = csvSource({ file, loop: true, signal: controller.signal })[Symbol.asyncIterator]();
        const next = iterator.next();
        expect(await Promise.race([next, new Promise((r) => setTimeout(r, 100, 'waiting'))])).to.equal(
          'waiting',
        );
        controller.abort();
        expect(await next).to.deep.equal({ done: true, value: undefined });
      });

      it('fails with "is empty" on a pass whose writer wrote nothing, after the rows of the passes before', async () => {
        const { file, write } = fifo('empty.fifo');
        const iterator = csvSource({ file, loop: true })[Symbol.asyncIterator]();
        const first = iterator.next();
        await new Promise((resolve) => setTimeout(resolve, 50));
        write('Name,County\nA,Erie\n');
        expect((await first).done).to.equal(false);
        const second = iterator.next();
        await new Promise((resolve) => setTimeout(resolve, 50));
        write('');
        const error = await second.then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        expect(error).to.be.instanceOf(InputError);
        expect((error as Error).message).to.equal(
          `${file} is empty. Pass a CSV file with a header row that includes a County column.`,
        );
      });

      it('refuses a socket with one line', async () => {
        const socketPath = path.join(dir, 'a.sock');
        const server = net.createServer().listen(socketPath);
        await new Promise((resolve) => server.once('listening', resolve));
        try {
          const { error } = await drain(itemsOf(csvSource({ file: socketPath, loop: false })));
          expect((error as Error).message).to.equal(
            `${socketPath} is a socket, not a CSV file. Pass a file, or a FIFO (mkfifo).`,
          );
        } finally {
          server.close();
        }
      });
    });
  });
});
