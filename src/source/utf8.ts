import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import { InputError } from '../core/errors.js';

/**
 * Passes bytes through unchanged, failing on the first that is not UTF-8, with its line number:
 * a decoder would otherwise turn them into U+FFFD and send garbled counties without a word.
 */
export class Utf8Check extends Transform {
  private tail: Buffer = Buffer.alloc(0);
  private line = 1;

  constructor(private readonly source: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const data = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk;
    // A character cut by the chunk boundary is checked with the next chunk.
    const cut = unfinishedTail(data);
    const body = cut > 0 ? data.subarray(0, data.length - cut) : data;
    if (!isUtf8(body)) {
      callback(this.invalid(body));
      return;
    }
    this.line += newlines(body, body.length);
    this.tail = Buffer.from(data.subarray(data.length - cut));
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    callback(this.tail.length > 0 ? this.invalid(this.tail) : null);
  }

  private invalid(body: Buffer): InputError {
    const line = this.line + newlines(body, firstInvalidByte(body));
    return new InputError(
      `${this.source} is not UTF-8 text (line ${line} has bytes that are not). Save the file as UTF-8 ("CSV UTF-8" in most spreadsheet programs) and try again.`,
    );
  }
}

/** Bytes at the end that start a character without finishing it (0 to 3). */
function unfinishedTail(data: Buffer): number {
  for (let back = 1; back <= Math.min(4, data.length); back++) {
    const byte = data[data.length - back] as number;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: the lead is further back
    const length = byte < 0x80 ? 1 : byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return back < length ? back : 0;
  }
  return 0;
}

/** The offset of the first byte that breaks UTF-8: the end of the longest valid prefix. */
function firstInvalidByte(body: Buffer): number {
  let low = 0;
  let high = body.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    const prefix = body.subarray(0, mid);
    if (isUtf8(prefix.subarray(0, prefix.length - unfinishedTail(prefix)))) low = mid;
    else high = mid - 1;
  }
  return low;
}

function newlines(data: Buffer, end: number): number {
  let count = 0;
  for (let at = data.indexOf(10); at !== -1 && at < end; at = data.indexOf(10, at + 1)) count++;
  return count;
}
