/**
 * FIFOs (named pipes) for the specs: a CSV source that may have no writer, or a writer that writes
 * nothing. Linux and macOS have mkfifo; reading who holds a FIFO open needs Linux's /proc.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Makes a FIFO at `file`. */
export function mkfifo(file: string): string {
  execFileSync('mkfifo', [file]);
  return file;
}

/** Whether process `pid` holds `file` open (Linux: its /proc/<pid>/fd links). */
export function holdsOpen(pid: number, file: string): boolean {
  const real = fs.realpathSync(file);
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === real;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/** Waits until process `pid` has `file` open: a reader that waits on a FIFO, ready for a writer or a signal. */
export async function untilOpenedBy(pid: number, file: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!holdsOpen(pid, file)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} never opened ${file}`);
    await sleep(20);
  }
}

/**
 * Writes `text` to a FIFO once a reader holds it open (ENXIO until then), then closes it: the
 * reader sees the end of its pass. Non-blocking, so it never hangs this process; `text` must fit
 * the pipe's buffer (64 KiB).
 */
export async function writeToFifo(file: string, text: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() > deadline) throw error;
      await sleep(20);
    }
  }
  try {
    if (text.length > 0) fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}
