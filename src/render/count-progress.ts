import { isLiveTerminal } from './terminal.js';

export interface CountProgress {
  update(done: number, total: number | null): void;
  /** Clears a live line, so that the result is the one line left. */
  stop(): void;
}

/**
 * Progress of a count towards a total (redrive: "120 of 500 moved"), for work whose result line
 * says the last figure anyway. On a live terminal, one line redrawn in place and erased at the end;
 * elsewhere (a pipe, CI), a plain line at most every `plainEveryMs`, and never the final count,
 * which would only repeat the result.
 */
export function countProgress(
  label: (done: number, total: number | null) => string,
  options: { stream?: NodeJS.WriteStream; live?: boolean; plainEveryMs?: number; now?: () => number } = {},
): CountProgress {
  const stream = options.stream ?? process.stderr;
  const live = options.live ?? isLiveTerminal(stream);
  const now = options.now ?? Date.now;
  const every = options.plainEveryMs ?? 5_000;
  const started = now();
  let last = started;
  let drawn = false;
  return {
    update(done, total) {
      if (live) {
        stream.write(`\r\x1b[2K${label(done, total)}`);
        drawn = true;
        return;
      }
      if (total !== null && done >= total) return;
      if (now() - last < every) return;
      last = now();
      stream.write(`${label(done, total)}\n`);
    },
    stop() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
