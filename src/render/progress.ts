import type { StreamStats } from '../core/streamer.js';
import type { DrainResult } from '../targets/target.js';
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

/**
 * A stream's summary: how it ended (`Done`, `Stopped`, `Stopped by an error`) with its figures, and
 * what became of the events sent: stored here, or left to the storing function that consumes the
 * queue (`statusCommand` shows it).
 */
export function renderStreamSummary(
  ending: string,
  { stats, drain }: { stats: StreamStats; drain: DrainResult | undefined },
  statusCommand: string,
): string {
  const summary = `${ending}: ${formatStreamStats(stats)}.`;
  // A stack that can no longer tell (destroyed, its disk full) has no queue to report on.
  if (!drain) return summary;
  const queue = `queue in flight ${drain.inFlight}, dead letters ${drain.deadLetters}${drain.approximate ? ' (approximate)' : ''}`;
  const stored =
    drain.stored === null
      ? `The storing function stores them from the queue; ${queue}. See: ${statusCommand}`
      : `Stored ${drain.stored.toLocaleString('en-US')} events; ${queue}.`;
  return `${summary}\n${stored}`;
}

export interface ProgressReporter {
  update(stats: StreamStats): void;
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
        spinner.text = formatStreamStats(stats);
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
      stream.write(`streaming: ${formatStreamStats(stats)}\n`);
    },
    note(line) {
      stream.write(`${line}\n`);
    },
    stop() {},
  };
}
