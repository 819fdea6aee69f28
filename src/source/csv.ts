import { close, constants, createReadStream, open, type Stats } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { Socket } from 'node:net';
import { pipeline, type Readable } from 'node:stream';
import { isatty, ReadStream } from 'node:tty';
import { promisify } from 'node:util';
import { CsvError, parse } from 'csv-parse';
import { InputError, isSensorpipeError } from '../core/errors.js';
import { checkRow } from '../core/event.js';
import type { SourceItem } from '../core/streamer.js';
import { findCountyColumn } from './header.js';
import { Utf8Check } from './utf8.js';

/** Far above any real row, low enough that a runaway quoted field fails before memory does. */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;

export interface ReadCsvOptions {
  /** How errors name the input, e.g. its path. */
  source?: string;
  onHeader?(headers: string[], countyColumn: string): void;
}

export interface CsvSourceOptions {
  file: string;
  /** Start again at the top after the last row, until the consumer stops iterating. */
  loop: boolean;
  /** Called on every pass, as the header is read. */
  onHeader?(headers: string[], countyColumn: string): void;
  /** Called before each pass, counting from 1. */
  onPass?(pass: number): void;
  /** Stops reading, whatever the read waits on (a FIFO with no writer): the source then just ends. */
  signal?: AbortSignal;
}

const QUOTING_ADVICE =
  'Quote fields that contain commas, quotes or line breaks, and double each quote inside a quoted field ("").';

/**
 * Streams a CSV's records as source items; memory holds one parser chunk, never the file. The header
 * is the first non-blank record. Line numbers are 1-based and point at the line where a record starts.
 */
export async function* readCsv(
  input: NodeJS.ReadableStream | Readable,
  options: ReadCsvOptions = {},
): AsyncGenerator<SourceItem> {
  const source = options.source ?? 'The CSV input';
  const parser = parse({
    bom: true,
    relax_column_count: true,
    // Blank lines come through (as one empty field) so that this loop can count every line itself:
    // csv-parse counts a CRLF inside a quoted field as two lines and gives no record's first line.
    skip_empty_lines: false,
    // All three, so that a file mixing line endings still splits into rows.
    record_delimiter: ['\r\n', '\n', '\r'],
    max_record_size: MAX_RECORD_BYTES,
  });
  // The parser carries every failure, the input's included, so the callback has nothing to add.
  pipeline(input, new Utf8Check(source), parser, () => {});

  // Not `for await (… of parser)`: on an error it drops the records already parsed, and with them the
  // rows before a bad line and the count that gives the bad line's number.
  let failure: unknown;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  parser.on('readable', notify);
  parser.on('end', () => {
    ended = true;
    notify();
  });
  parser.on('error', (error) => {
    failure ??= error;
    notify();
  });

  let nextLine = 1;
  let headers: string[] | undefined;
  let countyIndex = -1;
  let protoKey = false;
  try {
    for (;;) {
      const record = parser.read() as string[] | null;
      if (record === null) {
        const error = failure ?? parser.errored;
        if (error) throw toInputError(error, source, nextLine);
        if (ended) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      const line = nextLine;
      nextLine += 1 + lineBreaks(record);
      if (record.length === 1 && record[0]!.trim() === '') continue;

      if (headers === undefined) {
        const countyColumn = findCountyColumn(record);
        if (countyColumn === undefined) {
          throw new InputError(
            `${source} has no County column (columns found: ${describeColumns(record)}). ` +
              'The file needs a County column.',
          );
        }
        headers = record;
        countyIndex = record.indexOf(countyColumn);
        protoKey = record.includes('__proto__');
        options.onHeader?.(headers, countyColumn);
        continue;
      }

      if (record.length !== headers.length) {
        yield { kind: 'skip', line, reason: `expected ${headers.length} fields, found ${record.length}` };
        continue;
      }
      const data: Record<string, string> = {};
      for (let i = 0; i < record.length; i++) {
        const key = headers[i]!;
        // Assigning `__proto__` would silently drop the column instead of storing it.
        if (protoKey && key === '__proto__') setOwn(data, key, record[i]!);
        else data[key] = record[i]!;
      }
      const dataJson = JSON.stringify(data);
      // Storing's own rule (core's checkRow): a row it would refuse is skipped here, never sent.
      const checked = checkRow(record[countyIndex]!, dataJson);
      if ('reason' in checked) {
        yield { kind: 'skip', line, reason: checked.reason };
        continue;
      }
      const { county } = checked;
      yield { kind: 'row', line, county, dataJson };
    }
  } finally {
    parser.destroy();
  }
  if (headers === undefined) {
    throw new InputError(
      `${source} is empty. Pass a CSV file with a header row that includes a County column.`,
    );
  }
}

/**
 * Files up to this size are parsed once when looping: later passes replay the parsed items while the
 * file's size and modification time stay the same. Bounds the memory the replay holds to a few MiB.
 */
export const REPLAY_MAX_BYTES = 4 * 1024 * 1024;

interface Replay {
  /** The file as it was when parsed. */
  identity: string;
  headers: string[];
  countyColumn: string;
  items: SourceItem[];
  rows: number;
}

/** Items per chunk of csvSource. */
export const CHUNK_ITEMS = 512;

/**
 * Streams a CSV file's items in chunks, once or (`loop`) again and again until the consumer stops.
 * A pass without a single row ends the loop, since every later pass would spin through the same
 * nothing. On an error, the items read before it come first. When the signal aborts, the read in
 * progress is dropped and the source ends.
 */
export async function* csvSource(options: CsvSourceOptions): AsyncGenerator<SourceItem[]> {
  const { signal } = options;
  let replay: Replay | undefined;
  for (let pass = 1; !signal?.aborted; pass++) {
    const info = await checkReadable(options.file);
    const identity = `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`;
    options.onPass?.(pass);
    let rows = 0;
    if (replay?.identity === identity) {
      options.onHeader?.(replay.headers, replay.countyColumn);
      for (let at = 0; at < replay.items.length; at += CHUNK_ITEMS)
        yield replay.items.slice(at, at + CHUNK_ITEMS);
      rows = replay.rows;
    } else {
      // Only a regular file is the same on the next pass: a FIFO gives whatever its writer writes.
      const record: Replay | undefined =
        options.loop && info.isFile() && info.size <= REPLAY_MAX_BYTES
          ? { identity, headers: [], countyColumn: '', items: [], rows: 0 }
          : undefined;
      const input = await openInput(options.file, info);
      const stop = () => input.destroy();
      signal?.addEventListener('abort', stop, { once: true });
      const onHeader = (headers: string[], countyColumn: string): void => {
        if (record) Object.assign(record, { headers, countyColumn });
        options.onHeader?.(headers, countyColumn);
      };
      // A FIFO or a terminal delivers rows as its writer writes them: the rows at hand go out when
      // the next one is not there yet, instead of waiting for a full chunk (or the writer's end).
      const live = !info.isFile();
      const items = readCsv(input, { source: options.file, onHeader });
      let chunk: SourceItem[] = [];
      try {
        for (;;) {
          const reading = items.next();
          if (live && chunk.length > 0 && !(await settlesNow(reading))) {
            yield chunk;
            chunk = [];
          }
          const next = await reading;
          if (next.done) break;
          const item = next.value;
          if (item.kind === 'row') rows++;
          record?.items.push(item);
          chunk.push(item);
          if (chunk.length === CHUNK_ITEMS) {
            yield chunk;
            chunk = [];
          }
        }
      } catch (error) {
        if (signal?.aborted) return; // the read was cut short on purpose
        if (chunk.length > 0) yield chunk;
        throw error;
      } finally {
        signal?.removeEventListener('abort', stop);
        input.destroy();
        await items.return(undefined);
      }
      if (chunk.length > 0) yield chunk;
      if (record) record.rows = rows;
      replay = record;
    }
    if (!options.loop || rows === 0) return;
  }
}

/** Whether a promise settles before the event loop's next turn: the data is there, not awaited. */
function settlesNow(promise: Promise<unknown>): Promise<boolean> {
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => setImmediate(resolve, false)),
  ]);
}

const openFd = promisify(open);

/**
 * The file as a readable stream that never ties up a thread of libuv's pool. Opening a FIFO that
 * has no writer blocks, and so does reading a terminal or a FIFO whose writer is silent; a pool
 * thread blocked there would also keep process.exit (a second Ctrl-C) from ending the process. So a
 * FIFO is opened without blocking and read by the event loop as a pipe, and a terminal as a TTY,
 * the way Node reads stdin; a regular file (or a device such as /dev/null) is read through fs.
 */
async function openInput(file: string, info: Stats): Promise<Readable> {
  if (info.isSocket()) {
    throw new InputError(`${file} is a socket, not a CSV file. Pass a file, or a FIFO (mkfifo).`);
  }
  if (info.isFIFO() || info.isCharacterDevice()) {
    const fd = await openFd(file, constants.O_RDONLY | constants.O_NONBLOCK).catch((error: unknown) => {
      throw readError(file, error);
    });
    if (info.isFIFO()) return new Socket({ fd, readable: true, writable: false });
    if (isatty(fd)) return new ReadStream(fd);
    await promisify(close)(fd);
  }
  return createReadStream(file, { highWaterMark: 256 * 1024 });
}

async function checkReadable(file: string): Promise<Stats> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) {
      throw new InputError(`${file} is a directory, not a CSV file. Pass the path of a CSV file.`);
    }
    await access(file, constants.R_OK);
    return info;
  } catch (error) {
    throw readError(file, error);
  }
}

/** Why a file cannot be read, in one line. */
function readError(file: string, error: unknown): Error {
  if (isSensorpipeError(error)) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new InputError(`${file} does not exist. Check the path of the CSV file.`, { cause: error });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new InputError(`${file} is not readable (permission denied). Check the file's permissions.`, {
      cause: error,
    });
  }
  return new InputError(`Cannot read ${file} (${code ?? (error as Error).message}).`, { cause: error });
}

/** Line breaks inside the record's quoted fields, a CRLF counting once. */
function lineBreaks(record: string[]): number {
  let count = 0;
  for (const field of record) {
    if (field.indexOf('\n') === -1 && field.indexOf('\r') === -1) continue;
    for (let i = 0; i < field.length; i++) {
      const char = field.charCodeAt(i);
      if (char === 10) count++;
      else if (char === 13) {
        count++;
        if (field.charCodeAt(i + 1) === 10) i++;
      }
    }
  }
  return count;
}

function toInputError(error: unknown, source: string, line: number): Error {
  if (isSensorpipeError(error)) return error;
  if (error instanceof CsvError) {
    return new InputError(
      `Invalid CSV in ${source} at line ${line}: ${describeCsvError(error)}. ${QUOTING_ADVICE}`,
      {
        cause: error,
      },
    );
  }
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message ?? String(error);
  return new InputError(`Cannot read ${source} (${reason}).`, { cause: error });
}

function describeCsvError(error: CsvError): string {
  switch (error.code as string) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field that starts in this record is never closed';
    case 'INVALID_OPENING_QUOTE':
      return 'a quote appears inside an unquoted field';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a closing quote is followed by more characters';
    case 'CSV_MAX_RECORD_SIZE':
      return `the record is longer than ${MAX_RECORD_BYTES / 1024 / 1024} MiB, most likely because of a stray quote`;
    default:
      return error.message.replace(/\s+/g, ' ');
  }
}

/** The columns for a one-line message: each quoted, the list cut short when long. */
function describeColumns(headers: string[]): string {
  const shown: string[] = [];
  let length = 0;
  for (const header of headers) {
    const text = JSON.stringify(header.length > 40 ? `${header.slice(0, 40)}…` : header);
    if (shown.length > 0 && length + text.length > 200) {
      shown.push(`and ${headers.length - shown.length} more`);
      break;
    }
    shown.push(text);
    length += text.length + 2;
  }
  return shown.join(', ');
}

function setOwn(target: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
