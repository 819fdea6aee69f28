import type { StreamPacing, StreamStats } from '../core/streamer.js';
import { formatRateNote } from './stream-rate.js';
import { isLiveTerminal } from './terminal.js';

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

export function formatStreamStats(stats: StreamStats): string {
  const n = (v: number) => v.toLocaleString('en-US');
  return `sent ${n(stats.sent)}, skipped ${n(stats.skipped)}, failed ${n(stats.failed)}, ${n(Math.round(stats.ratePerSecond))}/s, ${formatDuration(stats.elapsedMs)}`;
}

/** The status line, and while the stream is behind its schedule, why (stream-rate.ts). */
function statusLine(stats: StreamStats & Partial<StreamPacing>): string {
  const note = formatRateNote(stats);
  return note ? `${formatStreamStats(stats)}; ${note}` : formatStreamStats(stats);
}

export interface ProgressReporter {
  update(stats: StreamStats & Partial<StreamPacing>): void;
  /** A line that must stay (a skipped row, a warning), printed above the live line. */
  note(line: string): void;
  stop(): void;
}

/**
 * Stream progress on stderr: an ora status line redrawn at most 10 times a second on a TTY; plain
 * lines every few seconds when not a TTY or in CI, so logs stay readable.
 */
export async function createProgress(
  stream: NodeJS.WriteStream = process.stderr,
  options: { live?: boolean; plainEveryMs?: number; now?: () => number } = {},
): Promise<ProgressReporter> {
  const live = options.live ?? isLiveTerminal(stream);
  const now = options.now ?? Date.now;
  if (live) {
    const { default: ora } = await import('ora');
    const spinner = ora({ stream, text: 'starting', discardStdin: false }).start();
    let last = 0;
    return {
      update(stats) {
        const t = now();
        if (t - last < 100) return;
        last = t;
        spinner.text = statusLine(stats);
      },
      note(line) {
        spinner.clear();
        stream.write(`${line}\n`);
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
    update(stats) {
      const t = now();
      if (t - last < plainEveryMs) return;
      last = t;
      stream.write(`streaming: ${statusLine(stats)}\n`);
    },
    note(line) {
      stream.write(`${line}\n`);
    },
    stop() {},
  };
}
