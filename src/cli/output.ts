/**
 * The output policy of every command, in one place: a reader that goes away (`sensorpipe aggregate
 * --watch 1 | head -3`, `stream ... 2>&1 | head`) closes our stdout or stderr, and the next write
 * fails with EPIPE. Like `yes | head`, the command then ends quietly with exit 0: nothing more is
 * written (there is no one to read it), and work in progress stops as after a first Ctrl-C
 * (interruptSignal listens here), so a stream still stores what it queued before it exits.
 *
 * oclif swallows EPIPE on stdout and carries on, which is why `aggregate --watch | head` never ended.
 */
import { type TerminalView, terminalView } from '../render/terminal.js';

let closed = false;
let installed = false;
const listeners = new Set<() => void>();

function isClosedPipe(error: NodeJS.ErrnoException): boolean {
  return error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED';
}

function silence(stream: NodeJS.WriteStream): void {
  // Nothing more reaches a closed pipe: writes succeed at once and go nowhere.
  stream.write = ((_chunk: unknown, encoding?: unknown, callback?: unknown) => {
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') queueMicrotask(() => done());
    return true;
  }) as NodeJS.WriteStream['write'];
}

function onError(this: NodeJS.WriteStream, error: NodeJS.ErrnoException): void {
  if (!isClosedPipe(error)) throw error;
  // Only the stream that closed goes quiet: with stdout in `head`, stderr may still show an error.
  silence(this);
  if (closed) return;
  closed = true;
  for (const listener of [...listeners]) listener();
}

/** Installs the EPIPE policy on stdout and stderr, once per process (the base command calls it). */
export function guardOutput(): void {
  if (installed) return;
  installed = true;
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
}

/** Whether a reader closed stdout or stderr: the command is ending quietly. */
export function outputClosed(): boolean {
  return closed;
}

/** Calls `listener` once, when a reader closes stdout or stderr; returns what removes it. */
export function onOutputClosed(listener: () => void): () => void {
  if (closed) {
    queueMicrotask(listener);
    return () => {};
  }
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/** How a command's results may be drawn on stdout, and its notes on stderr. */
export function stdoutView(): TerminalView {
  return terminalView(process.stdout);
}

export function stderrView(): TerminalView {
  return terminalView(process.stderr);
}
