import { isLiveTerminal } from './terminal.js';
import { displayWidth } from './width.js';

const SGR = /\x1b\[[0-9;]*m/g;

/** The terminal rows `line` takes at `columns`: a line wider than the terminal wraps. */
function rowsOf(line: string, columns: number | undefined): number {
  if (columns === undefined || columns <= 0) return 1;
  const width = displayWidth(line.replace(SGR, ''));
  return Math.max(1, Math.ceil(width / columns));
}

/**
 * Redraws a block of text in place on a live terminal (aggregate --watch), or appends it otherwise
 * so logs keep every frame, a blank line after each. The renderers fit each line to the terminal, so it never wraps; the
 * rows are still counted as the terminal shows them (a wrapped line is two), so that moving up over
 * the previous frame never leaves a copy of it behind. After a resize, the previous frame is counted
 * at the new width, as a terminal that reflows its lines (tmux, VTE, kitty) shows it.
 */
export class LiveBlock {
  private previous: string[] = [];

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stdout,
    private readonly live = isLiveTerminal(stream),
  ) {}

  /** Rows a frame may take on this terminal (undefined when not live: frames are appended whole). */
  get maxLines(): number | undefined {
    return this.live ? Math.max(5, (this.stream.rows ?? 40) - 1) : undefined;
  }

  /** Columns a frame may take on this terminal (undefined when not live). */
  get columns(): number | undefined {
    return this.live ? this.stream.columns || undefined : undefined;
  }

  /**
   * Whether `text` fits on the screen as the terminal shows it: its rows (a line wider than the
   * terminal wraps) within maxLines. A frame taller than the screen scrolls, and no redraw can reach
   * its top again. Always true when not live (frames are appended).
   */
  fits(text: string): boolean {
    const maxLines = this.maxLines;
    if (maxLines === undefined) return true;
    const columns = this.columns;
    let rows = 0;
    for (const line of text.split('\n')) rows += rowsOf(line, columns);
    return rows <= maxLines;
  }

  /**
   * Calls `listener` when the terminal is resized (SIGWINCH), to draw the frame again at the new
   * size; returns what stops listening. Only a live terminal is followed.
   */
  onResize(listener: () => void): () => void {
    if (!this.live) return () => {};
    this.stream.on('resize', listener);
    return () => {
      this.stream.off('resize', listener);
    };
  }

  draw(text: string): void {
    const lines = text.split('\n');
    if (!this.live) this.stream.write(`${text}\n\n`);
    else if (this.previous.length === 0) this.stream.write(`${text}\n`);
    else {
      const columns = this.columns;
      const rows = this.previous.reduce((sum, line) => sum + rowsOf(line, columns), 0);
      // Up to the frame's first row, then each line erased as it is overwritten, and what is left
      // below cleared. Never one erase of the whole screen: tmux and VTE scroll a screen erased from
      // its top-left corner into the scrollback (tmux's scroll-on-clear), which would leave a copy
      // of every frame there once a frame fills the screen.
      this.stream.write(`\x1b[${rows}A${lines.map((line) => `\x1b[2K${line}\n`).join('')}\x1b[J`);
    }
    this.previous = lines;
  }
}
