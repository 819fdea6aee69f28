/**
 * Small tmpfs mounts for the tests of a full or read-only disk: real ENOSPC, SQLITE_FULL and EROFS,
 * where the machine allows mounting (root, outside most containers). Where it does not, `mountTmpfs`
 * says why, for the test to skip with that reason; the same paths are also covered by injected errors.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TmpfsMount {
  /** The mount point, empty and writable to start with. */
  dir: string;
  /** Makes the whole file system read-only (EROFS), as a disk mounted read-only is. */
  remountReadOnly(): void;
  unmount(): void;
}

/** Mounts a tmpfs of `sizeKiB`, or returns why it cannot here. */
export function mountTmpfs(sizeKiB = 2048): TmpfsMount | { unavailable: string } {
  if (process.platform !== 'linux')
    return { unavailable: `tmpfs mounts are Linux's (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { unavailable: 'mounting a tmpfs needs root' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0700`, 'tmpfs', dir], {
      stdio: 'pipe',
    });
  } catch (error) {
    fs.rmdirSync(dir);
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    return { unavailable: `mount -t tmpfs failed here (${stderr || (error as Error).message})` };
  }
  return {
    dir,
    remountReadOnly: () => execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' }),
    unmount: () => {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        // Still busy (a process that has not exited yet): detach it now, it goes when they close.
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      }
      fs.rmdirSync(dir);
    },
  };
}

/** Fills a file system to its last byte: what is left is a disk that is full. */
export function fillUp(dir: string): void {
  const fd = fs.openSync(path.join(dir, 'filler'), 'w');
  try {
    for (const size of [64 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size);
      try {
        for (;;) fs.writeSync(fd, chunk);
      } catch (error) {
        if ((error as { code?: string }).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}
