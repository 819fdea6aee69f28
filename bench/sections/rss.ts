import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LocalStack, parseOutput, type StreamSummary } from '../lib/cli.js';
import type { Section } from '../lib/context.js';
import type { Dataset } from '../lib/dataset.js';
import { RssMonitor } from '../lib/proc.js';
import { int, mib, perSecond, type Row } from '../lib/report.js';
import { makeTempDir, removeTemp } from '../lib/temp.js';

const TARGET_MIB = 150;
const MiB = 1024 * 1024;
const TIME = '/usr/bin/time';
const PROGRESS_EVERY_MS = 10_000;

/**
 * Writes a CSV of at least 500 MiB (25 MiB with --quick) in the temp directory, the dataset's header
 * once and then its rows over and over, and streams it once through the built CLI (`stream --once
 * --interval-ms 0`) into a fresh default stack. Peak RSS is the larger of the process's VmHWM sampled
 * from /proc every 200 ms and, where /usr/bin/time exists (the CLI then runs under it), its %M
 * (the kernel's maxrss at exit). Events/s is the events over the child's wall time.
 */
export const rss: Section = {
  name: 'rss',
  title: 'Peak RSS streaming a big CSV',
  async run(ctx) {
    const dir = makeTempDir('rss');
    try {
      const file = join(dir, 'big.csv');
      const minBytes = (ctx.quick ? 25 : 500) * MiB;
      ctx.log(`writing a ${mib(minBytes)}+ CSV in ${dir}...`);
      const big = writeBigCsv(ctx.dataset, file, minBytes);
      const expected = big.copies * ctx.dataset.rows.length;
      ctx.log(`${mib(big.bytes)}, ${int(expected)} rows; streaming it (this takes a while)...`);

      const stack = new LocalStack(ctx.cli, dir, 'rss');
      await stack.deploy();
      const timeFile = join(dir, 'time.txt');
      const timed = existsSync(TIME);
      const args = stack.args('stream', '--once', '--interval-ms', '0', '--file', file, '--json');
      const started = ctx.cli.start(args, timed ? [TIME, '-f', '%M', '-o', timeFile] : []);
      const monitor = new RssMonitor(started.child.pid!, timed);
      const progress = new Progress(stack.location);
      const startedAt = Date.now();
      const ticker = setInterval(() => {
        const stored = progress.stored();
        ctx.log(
          `${Math.round((Date.now() - startedAt) / 1000)} s: ${stored === undefined ? '?' : int(stored)} of ` +
            `${int(expected)} stored, RSS ${mib(monitor.currentKb * 1024)} (peak ${mib(monitor.peakKb * 1024)})`,
        );
      }, PROGRESS_EVERY_MS);
      const run = await started.done.finally(() => {
        clearInterval(ticker);
        monitor.stop();
        progress.close();
      });
      const summary = parseOutput<StreamSummary>(args, run);
      const stored = await stack.eventsStored();
      await stack.destroy();

      const timeKb = timed ? Number(readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)) : Number.NaN;
      const peakKb = Math.max(monitor.peakKb, Number.isFinite(timeKb) ? timeKb : 0);
      const complete = summary.sent === expected && stored === expected;
      const checks = `sent ${int(summary.sent)}, stored ${stored === null ? 'n/a' : int(stored)} of ${int(expected)}`;
      const sources = [
        `VmHWM sampled ${monitor.samples}x: ${monitor.samples > 0 ? mib(monitor.peakKb * 1024) : 'n/a'}`,
        `/usr/bin/time %M: ${Number.isFinite(timeKb) ? mib(timeKb * 1024) : 'n/a'}`,
      ];
      const rows: Row[] = [
        {
          figure: `peak RSS, stream --once of a ${mib(big.bytes)} CSV`,
          value: peakKb > 0 ? mib(peakKb * 1024) : 'n/a',
          target: `< ${TARGET_MIB} MiB`,
          met: peakKb > 0 ? complete && peakKb * 1024 < TARGET_MIB * MiB : null,
          detail: `${sources.join('; ')} (= ${((peakKb * 1024) / 1e6).toFixed(1)} MB of 10^6 bytes); ${checks}`,
        },
        {
          figure: 'events/s while streaming it, wall time',
          value: perSecond((summary.sent * 1000) / run.wallMs),
          target: 'all stored',
          met: complete,
          detail: `${int(summary.sent)} events in ${(run.wallMs / 1000).toFixed(1)} s; CLI's own rate ${perSecond(summary.ratePerSecond)} over ${int(summary.elapsedMs)} ms`,
        },
      ];
      return rows;
    } finally {
      removeTemp(dir);
    }
  },
};

/** Header once, then the dataset's rows repeated until the file holds at least `minBytes`. */
function writeBigCsv(dataset: Dataset, file: string, minBytes: number): { bytes: number; copies: number } {
  const headerEnd = dataset.bytes.indexOf(0x0a) + 1;
  const header = dataset.bytes.subarray(0, headerEnd);
  let body = dataset.bytes.subarray(headerEnd);
  if (body.at(-1) !== 0x0a)
    body = Buffer.concat([body, Buffer.from(header.includes('\r\n') ? '\r\n' : '\n')]);
  const copies = Math.ceil((minBytes - header.length) / body.length);
  const perWrite = Math.max(1, Math.floor((8 * MiB) / body.length));
  const block = Buffer.concat(Array.from({ length: perWrite }, () => body));
  const fd = openSync(file, 'w');
  try {
    writeAll(fd, header);
    for (let left = copies; left > 0; left -= perWrite)
      writeAll(fd, left >= perWrite ? block : block.subarray(0, left * body.length));
  } finally {
    closeSync(fd);
  }
  return { bytes: header.length + copies * body.length, copies };
}

function writeAll(fd: number, data: Buffer): void {
  for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset);
}

/** Stored events so far, read from the stack's file (the events' largest rowid: no table scan). */
class Progress {
  private db: Database.Database | undefined;

  constructor(private readonly location: string) {}

  stored(): number | undefined {
    try {
      this.db ??= new Database(this.location, { readonly: true, fileMustExist: true });
      return (this.db.prepare('SELECT MAX(rowid) FROM events').pluck().get() as number | null) ?? 0;
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.db?.close();
  }
}
