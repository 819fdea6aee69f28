import { systemClock } from '../core/clock.js';
import { type DashboardFrame, DashboardHistory, type DashboardSort, nextSort } from '../core/dashboard.js';
import { InterruptedError } from '../core/errors.js';
import { renderDashboard, renderTooSmall } from '../render/dashboard.js';
import { LiveBlock } from '../render/live.js';
import type { TerminalView } from '../render/terminal.js';
import type { Target } from '../targets/target.js';
import { type WatchJson, watchJson } from './contracts.js';
import { deadLetterHint } from './hints.js';
import { CTRL_C, readKeys } from './keys.js';
import { readDashboard } from './reads.js';
import { interruptSignal } from './signals.js';

export interface WatchOptions {
  everySeconds: number;
  sort: DashboardSort;
  /** One JSON object per refresh (--json, or no terminal); no keys are read then. */
  json: boolean;
  logJson(json: WatchJson): void;
  view(): TerminalView;
}

/** Long enough to mean "until a key wakes it": a paused dashboard waits for space. */
const PAUSED_MS = 24 * 3600_000;

/**
 * `aggregate --watch`: the pipeline's live dashboard. Refreshes every `everySeconds` until Ctrl-C
 * (or q), the stack destroyed (its StackGoneError), or a reader closing the output. On a terminal,
 * each frame is drawn in one write over the previous one, again at once on a resize, and keys are
 * read: q or Ctrl-C quits with the last frame left on screen, space pauses and resumes, s cycles the
 * sort. Otherwise one WatchJson per refresh.
 */
export async function runWatch(target: Target, options: WatchOptions): Promise<void> {
  const live = options.json ? undefined : new LiveBlock();
  const history = new DashboardHistory();
  let frame: DashboardFrame | undefined;
  let sort = options.sort;
  let paused = false;
  let wake = new AbortController();
  const quit = new AbortController();
  const keysRead = !options.json && Boolean(process.stdin.isTTY);
  const draw = () => {
    if (!live || !frame) return;
    const queue = frame.health.queue;
    const hint =
      queue && deadLetterHint({ count: queue.deadLetters, approximate: queue.approximate }, target);
    const text = renderDashboard(frame, {
      ...options.view(),
      maxLines: live.maxLines,
      sort,
      everySeconds: options.everySeconds,
      paused,
      keys: keysRead,
      notes: hint ? [hint] : [],
    });
    // Below 60 x 20 a frame cannot fit, and one that wraps or scrolls cannot be redrawn: say so
    // until the terminal is made larger (a resize draws the frame again at once).
    live.draw(live.fits(text) ? text : renderTooSmall(process.stdout.columns, process.stdout.rows, keysRead));
  };
  const stopKeys = keysRead
    ? readKeys((key) => {
        if (key === 'q' || key === 'Q' || key === CTRL_C) {
          // A second Ctrl-C while the first one's refresh finishes: at once, as a second SIGINT does.
          if (quit.signal.aborted && key === CTRL_C) process.exit(130);
          quit.abort('quit');
        } else if (key === ' ') {
          paused = !paused;
          draw();
          wake.abort();
        } else if (key === 's' || key === 'S') {
          sort = nextSort(sort);
          draw();
        }
      })
    : () => {};
  const stopFollowingResize = live ? live.onResize(draw) : () => {};
  const { signal, dispose } = interruptSignal();
  // Stops the watch when the stack is destroyed under it (exit 3), as Ctrl-C or q does (exit 0).
  const watch = target.watchStack(AbortSignal.any([signal, quit.signal]));
  try {
    while (!watch.signal.aborted) {
      if (!paused) {
        // Ctrl-C (or the stack gone) during a throttled invoke's wait stops the watch like between runs.
        const read = await readDashboard(target, { signal: watch.signal }).catch((error: unknown) => {
          if (watch.signal.aborted && error instanceof InterruptedError) return undefined;
          throw error;
        });
        if (!read) break;
        frame = history.update(read.snapshot, read.health);
        if (options.json) options.logJson(watchJson(frame.snapshot, frame.health));
        else draw();
      }
      wake = new AbortController();
      await systemClock.sleep(
        paused ? PAUSED_MS : options.everySeconds * 1000,
        AbortSignal.any([watch.signal, wake.signal]),
      );
    }
    if (watch.gone) throw watch.gone;
  } finally {
    stopKeys();
    stopFollowingResize();
    watch.dispose();
    dispose();
  }
}
