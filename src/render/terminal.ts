/**
 * What a terminal allows, in one place: every renderer, progress line and live view asks here, so
 * that NO_COLOR, FORCE_COLOR, TERM=dumb, CI and a pipe mean the same thing everywhere.
 */

type Stream = Pick<NodeJS.WriteStream, 'isTTY'> & Partial<Pick<NodeJS.WriteStream, 'columns' | 'rows'>>;

/** TERM=dumb: a terminal that cannot move the cursor or show colour (Emacs shells, some CI runners). */
function isDumb(env: NodeJS.ProcessEnv): boolean {
  return env.TERM === 'dumb';
}

/**
 * Whether output to `stream` may be drawn live (spinners, redraws in place): a terminal that can
 * move its cursor, and not CI, whose logs keep every byte and would show each redraw as garbage.
 * Elsewhere progress is plain lines, printed every few seconds.
 */
export function isLiveTerminal(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.CI && !isDumb(env);
}

/**
 * Whether to colour output to `stream`, as Node's own tty.getColorDepth decides: FORCE_COLOR (any
 * value but 0 or false) colours even a pipe and FORCE_COLOR=0 never colours; otherwise NO_COLOR
 * (https://no-color.org), TERM=dumb and anything that is not a terminal mean no colour.
 */
export function colorEnabled(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return Boolean(stream.isTTY) && !isDumb(env);
}

/** The smallest width the renderers fit; a narrower terminal wraps what does not fit. */
export const MIN_COLUMNS = 60;

function positive(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * The columns output to `stream` may take: the terminal's width, or COLUMNS for a pipe where the
 * user set it (as ls and git do); undefined (no limit) for a pipe or file otherwise, so that what a
 * script reads is never cut. Never below MIN_COLUMNS: tables are made to fit 60 columns, not fewer.
 */
export function terminalColumns(stream: Stream, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const columns = stream.isTTY ? stream.columns || positive(env.COLUMNS) : positive(env.COLUMNS);
  return columns === undefined ? undefined : Math.max(MIN_COLUMNS, columns);
}

/** How a renderer may draw for one output stream. */
export interface TerminalView {
  /** Columns to fit; undefined: no limit (a pipe or a file). */
  columns: number | undefined;
  /** Rows of the terminal, where it is one (a live view fits in them). */
  rows: number | undefined;
  color: boolean;
  live: boolean;
}

/** What `stream` allows now (a resize changes columns and rows: ask again after one). */
export function terminalView(stream: Stream, env: NodeJS.ProcessEnv = process.env): TerminalView {
  return {
    columns: terminalColumns(stream, env),
    rows: stream.isTTY ? stream.rows || undefined : undefined,
    color: colorEnabled(stream, env),
    live: isLiveTerminal(stream, env),
  };
}

/** A view with no limits and no colour: what renderers draw when told nothing (tests, files). */
export const PLAIN_VIEW: TerminalView = { columns: undefined, rows: undefined, color: false, live: false };
