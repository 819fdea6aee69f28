/**
 * libfaketime's `faketime`, to run the built CLI with a clock that lies (`faketime -f '+1d' …`):
 * the end-to-end side of the clock-error tests. CI installs it (.ci/run); where it is missing,
 * those specs skip and say why.
 */
import { spawnSync } from 'node:child_process';

let available: boolean | undefined;

/** Whether the `faketime` command runs here. */
export function faketimeAvailable(): boolean {
  available ??= spawnSync('faketime', ['--version'], { stdio: 'ignore' }).status === 0;
  return available;
}

/** Why the faketime specs skip, for their title; '' when faketime is there. */
export function faketimeMissing(): string {
  return faketimeAvailable() ? '' : ' (skipped: faketime is not installed; apt-get install faketime)';
}

/** The prefix (RunOptions.prefix) that runs a command with its clock moved by `offset`, e.g. '+1d'. */
export function withClock(offset: string): string[] {
  return ['faketime', '-f', offset];
}
