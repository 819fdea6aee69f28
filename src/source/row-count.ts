/**
 * How many data rows a CSV file has, cheaply, for a progress bar: an estimate from the first 64 KiB
 * at once, then a count of its lines in the background, without parsing. The count is exact when the
 * file has no quote character (no field can then hold a line break); otherwise it is an estimate
 * that counts a quoted line break as a row. Only a regular file is counted: a FIFO or a device would
 * be consumed (or block) by reading it.
 */
import fs from 'node:fs';

export interface RowCount {
  rows: number;
  exact: boolean;
}

const SAMPLE_BYTES = 64 * 1024;
const NEWLINE = 0x0a;
const QUOTE = 0x22;

/** Counts lines with something on them, from chunks of a file, carrying state across chunks. */
class LineCounter {
  lines = 0;
  quoted = false;
  private lineHasContent = false;

  add(chunk: Buffer): void {
    if (!this.quoted && chunk.indexOf(QUOTE) !== -1) this.quoted = true;
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(NEWLINE, start);
      const stop = end === -1 ? chunk.length : end;
      // A line of nothing, or only a CR, is an empty line: CSV readers skip it.
      if (stop > start && !(stop - start === 1 && chunk[start] === 0x0d)) this.lineHasContent = true;
      if (end === -1) return;
      if (this.lineHasContent) this.lines++;
      this.lineHasContent = false;
      start = end + 1;
    }
  }

  /** Data rows: the lines, the last one even without a final newline, less the header. */
  finish(): RowCount {
    const lines = this.lines + (this.lineHasContent ? 1 : 0);
    return { rows: Math.max(0, lines - 1), exact: !this.quoted };
  }
}

export interface RowEstimate {
  /** The best figure so far; undefined when the file cannot be counted (not a regular file). */
  current(): RowCount | undefined;
  /** Stops the background count (the command is ending). */
  dispose(): void;
}

/** Starts counting `file`'s data rows; `current()` is the estimate, refined when the count ends. */
export function estimateRows(file: string): RowEstimate {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(file);
  } catch {
    return { current: () => undefined, dispose: () => {} };
  }
  if (!stats.isFile()) return { current: () => undefined, dispose: () => {} };
  let best: RowCount | undefined;
  const sample = new LineCounter();
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(SAMPLE_BYTES, stats.size));
      const read = fs.readSync(fd, buffer, 0, buffer.length, 0);
      sample.add(buffer.subarray(0, read));
      if (read >= stats.size) best = sample.finish();
      else if (sample.lines > 1) {
        best = { rows: Math.max(1, Math.round((sample.lines * stats.size) / read) - 1), exact: false };
      }
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return { current: () => undefined, dispose: () => {} };
  }
  if (best?.exact || stats.size <= SAMPLE_BYTES) return { current: () => best, dispose: () => {} };
  const counter = new LineCounter();
  const reader = fs.createReadStream(file, { highWaterMark: 1024 * 1024 });
  reader.on('data', (chunk) => counter.add(chunk as Buffer));
  reader.on('end', () => {
    best = counter.finish();
  });
  // A file that cannot be read is the stream's to report; the bar keeps the estimate.
  reader.on('error', () => {});
  return {
    current: () => best,
    dispose: () => {
      reader.destroy();
    },
  };
}
