import type { StreamPacing, StreamStats } from '../core/streamer.js';
import type { DrainResult } from '../targets/target.js';
import { printable } from './printable.js';
import { formatRateNote, formatRateSummary } from './stream-rate.js';
import { isLiveTerminal, terminalColumns } from './terminal.js';
import { displayWidth, truncate } from './width.js';

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0
    ? `${h}h${String(m).padStart(2, '0')}m`
    : m > 0
      ? `${m}m${String(rest).padStart(2, '0')}s`
      : `${(ms / 1000).toFixed(1)}s`;
}

const n = (v: number) => v.toLocaleString('en-US');

export function formatStreamStats(stats: StreamStats): string {
  return `sent ${n(stats.sent)}, skipped ${n(stats.skipped)}, failed ${n(stats.failed)}, ${n(Math.round(stats.ratePerSecond))}/s, ${formatDuration(stats.elapsedMs)}`;
}

/**
 * A stream's summary: how it ended (`Done`, `Stopped`, `Stopped by an error`) with its figures, and
 * what became of the events sent: stored here, or left to the storing function that consumes the
 * queue (`statusCommand` shows it).
 */
export function renderStreamSummary(
  ending: string,
  { stats, drain }: { stats: StreamStats & Partial<StreamPacing>; drain: DrainResult | undefined },
  statusCommand: string,
): string {
  // A rate asked for and not held is said at the end too (stream-rate.ts).
  const rate =
    'askedRatePerSecond' in stats ? formatRateSummary(stats as StreamStats & StreamPacing) : undefined;
  const summary = `${ending}: ${formatStreamStats(stats)}.${rate ? `\n${rate}` : ''}`;
  // A stack that can no longer tell (destroyed, its disk full) has no queue to report on.
  if (!drain) return summary;
  const queue = `queue in flight ${drain.inFlight}, dead letters ${drain.deadLetters}${drain.approximate ? ' (approximate)' : ''}`;
  // Locally other processes of the stack consume the same queue: what they stored of this stream's
  // events is said, or the line would read as a loss.
  const others = drain.storedByOthers
    ? ` here, ${drain.storedByOthers.toLocaleString('en-US')} more by other consumers`
    : '';
  const stored =
    drain.stored === null
      ? `The storing function stores them from the queue; ${queue}. See: ${statusCommand}`
      : `Stored ${drain.stored.toLocaleString('en-US')} events${others}; ${queue}.`;
  return `${summary}\n${stored}`;
}

/**
 * What a bounded stream will go through, as far as it is known: the events of --limit, or the data
 * rows of the file (--once), counted or estimated (`exact: false`, shown with a ~).
 */
export interface ProgressTotal {
  count: number;
  exact: boolean;
  /** Events count what was sent or failed; rows also count the skipped ones. */
  unit: 'events' | 'rows';
}

/** How far a bounded stream is: done of total, the fraction, and the time left at the current rate. */
export function progressOf(
  stats: StreamStats,
  total: ProgressTotal,
): { done: number; fraction: number; etaMs: number | undefined } {
  const done = stats.sent + stats.failed + (total.unit === 'rows' ? stats.skipped : 0);
  // An estimate can be low: never claim 100 % before the end.
  const fraction =
    total.count <= 0 ? 0 : Math.min(done >= total.count && !total.exact ? 0.99 : 1, done / total.count);
  const perMs = stats.elapsedMs > 0 ? done / stats.elapsedMs : 0;
  const etaMs = perMs > 0 ? Math.max(0, total.count - done) / perMs : undefined;
  return { done, fraction, etaMs };
}

function formatEta(ms: number | undefined): string {
  if (ms === undefined) return 'ETA ?';
  return ms < 60_000 ? `ETA ${Math.ceil(ms / 1000)}s` : `ETA ${formatDuration(ms)}`;
}

function percent(fraction: number): string {
  return `${Math.floor(fraction * 100)}%`;
}

const BAR_MAX = 20;
const BAR_MIN = 5;

/**
 * The live line of a stream, fitted to `columns`: a bar with percentage, rate and ETA when the total
 * is known, the counts otherwise. `extra` is one more note for the line (a rate that is not held):
 * it goes at the end and the bar makes room for it.
 */
export function formatLiveLine(
  stats: StreamStats,
  total: ProgressTotal | undefined,
  columns: number | undefined,
  extra?: string,
): string {
  const tail = extra ? `, ${printable(extra)}` : '';
  if (!total) return fitText(`${formatStreamStats(stats)}${tail}`, columns);
  const { done, fraction, etaMs } = progressOf(stats, total);
  const of = `${n(done)}/${total.exact ? '' : '~'}${n(Math.max(total.count, done))} ${total.unit}`;
  const counts = [
    total.unit === 'rows' ? `sent ${n(stats.sent)}` : '',
    stats.skipped > 0 && total.unit === 'events' ? `skipped ${n(stats.skipped)}` : '',
    stats.failed > 0 ? `failed ${n(stats.failed)}` : '',
  ].filter(Boolean);
  const text = [of, ...counts, `${n(Math.round(stats.ratePerSecond))}/s`, formatEta(etaMs)].join(', ') + tail;
  const head = percent(fraction).padStart(4);
  const room = columns === undefined ? BAR_MAX : columns - displayWidth(head) - displayWidth(text) - 2;
  const width = Math.max(BAR_MIN, Math.min(BAR_MAX, room));
  const filled = Math.round(fraction * width);
  return fitText(`${head} ${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${text}`, columns);
}

function fitText(text: string, columns: number | undefined): string {
  return columns === undefined ? text : truncate(text, columns);
}

export interface ProgressReporter {
  /**
   * The latest figures; `extra` is one more note for the live line (see formatLiveLine). A stream
   * behind its schedule says so there, and why, unless `extra` says something else.
   */
  update(stats: StreamStats & Partial<StreamPacing>, extra?: string): void;
  /** A line that must stay (a skipped row, a warning), printed above the live line. */
  note(line: string): void;
  stop(): void;
}

export interface ProgressOptions {
  live?: boolean;
  plainEveryMs?: number;
  now?: () => number;
  /** The total of a bounded stream, asked at each update (an estimate may be refined meanwhile). */
  total?: () => ProgressTotal | undefined;
}

/** The spinner's own columns (its frame and a space) at the start of the line. */
const SPINNER_COLUMNS = 2;

/**
 * Stream progress on stderr: on a live terminal, an ora line redrawn at most 10 times a second (a bar
 * with percentage, rate and ETA for bounded work, a spinner with the counts for an endless stream),
 * fitted to the terminal's width at each redraw, so a resize is followed; plain lines every few
 * seconds otherwise (a pipe, CI, TERM=dumb), so logs stay readable. Notes are made printable: they
 * quote data (a skipped row's reason, a send error from AWS).
 */
export async function createProgress(
  stream: NodeJS.WriteStream = process.stderr,
  options: ProgressOptions = {},
): Promise<ProgressReporter> {
  const live = options.live ?? isLiveTerminal(stream);
  const now = options.now ?? Date.now;
  const total = options.total ?? (() => undefined);
  if (live) {
    const { default: ora } = await import('ora');
    // isLiveTerminal decided; ora's own check (which reads CI, TERM) must not decide again.
    const spinner = ora({ stream, text: 'starting', discardStdin: false, isEnabled: true }).start();
    let last = 0;
    return {
      update(stats, extra) {
        const t = now();
        if (t - last < 100) return;
        last = t;
        const columns = terminalColumns(stream);
        const expected = total();
        // A bar says how far it is; a spinner would say nothing more.
        if (expected && spinner.spinner !== DOTLESS) spinner.spinner = DOTLESS;
        const prefix = expected ? 0 : SPINNER_COLUMNS;
        spinner.text = formatLiveLine(
          stats,
          expected,
          columns && columns - prefix - 1,
          extra ?? formatRateNote(stats),
        );
      },
      note(line) {
        spinner.clear();
        stream.write(`${printable(line)}\n`);
        spinner.render();
      },
      stop() {
        spinner.stop();
      },
    };
  }
  const plainEveryMs = options.plainEveryMs ?? 5000;
  let last = now();
  return {
    update(stats, extra) {
      const t = now();
      if (t - last < plainEveryMs) return;
      last = t;
      const expected = total();
      const where = expected
        ? `${percent(progressOf(stats, expected).fraction)} of ${expected.exact ? '' : '~'}${n(expected.count)} ${expected.unit}, `
        : '';
      const note = extra ?? formatRateNote(stats);
      const eta = expected ? `, ${formatEta(progressOf(stats, expected).etaMs)}` : '';
      stream.write(
        `streaming: ${where}${formatStreamStats(stats)}${eta}${note ? `, ${printable(note)}` : ''}\n`,
      );
    },
    note(line) {
      stream.write(`${printable(line)}\n`);
    },
    stop() {},
  };
}

/** An ora "spinner" with no frame: the bar is the animation. */
const DOTLESS = { interval: 100, frames: [''] };
