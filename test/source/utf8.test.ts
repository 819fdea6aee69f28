import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect } from 'chai';
import { InputError } from '../../src/core/errors.js';
import { Utf8Check } from '../../src/source/utf8.js';
import { rejection } from '../../testkit/rejection.js';

/** Pushes the chunks through the check; resolves with what came out. */
async function check(chunks: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), new Utf8Check('f.csv'), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) out.push(chunk);
  });
  return Buffer.concat(out);
}

/** Every way of cutting `bytes` in two. */
const splits = (bytes: Buffer) =>
  Array.from({ length: bytes.length + 1 }, (_, i) => [bytes.subarray(0, i), bytes.subarray(i)]);

describe('source/utf8', () => {
  it('passes UTF-8 through unchanged, whatever chunk boundary cuts a character', async () => {
    const text = Buffer.from('\uFEFFName,County\nSaint-Étienne 🐟,Niagara\n', 'utf8');
    for (const chunks of splits(text)) expect(await check(chunks)).to.deep.equal(text);
  });

  it('fails on the first byte that is not UTF-8, naming its line and how to fix the file', async () => {
    const bytes = Buffer.concat([
      Buffer.from('Name,County\nA,Erie\nB,'),
      Buffer.from([0xe9]),
      Buffer.from('rie\n'),
    ]);
    for (const chunks of splits(bytes)) {
      const error = await rejection(check(chunks));
      expect(error).to.be.instanceOf(InputError);
      expect(error.message).to.equal(
        'f.csv is not UTF-8 text (line 3 has bytes that are not). Save the file as UTF-8 ("CSV UTF-8" in most spreadsheet programs) and try again.',
      );
    }
  });

  it('fails on UTF-16 (a spreadsheet\'s "Unicode text") and on a character cut off at the end', async () => {
    expect((await rejection(check([Buffer.from('\uFEFFName', 'utf16le')]))).message).to.include('line 1');
    expect((await rejection(check([Buffer.from('a\nb\n'), Buffer.from([0xf0, 0x9f])]))).message).to.include(
      'line 3',
    );
  });
});
