import { readdirSync, readFileSync } from 'node:fs';

/** A `kB` field of /proc/<pid>/status (VmRSS, VmHWM), or undefined once the process is gone. */
export function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The first child of a process (e.g. the command /usr/bin/time runs), if it has one yet. */
export function childOf(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first ? Number(first) : undefined;
  } catch {
    // Kernels without CONFIG_PROC_CHILDREN: look for a process whose parent is pid.
    for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) return Number(entry);
      } catch {
        // gone meanwhile
      }
    }
    return undefined;
  }
}

/**
 * Samples a process's resident set from /proc: VmHWM is the kernel's own peak RSS of the whole
 * process (the CSV worker thread included), so periodic samples lose nothing but its last interval.
 */
export class RssMonitor {
  peakKb = 0;
  currentKb = 0;
  samples = 0;
  private pid: number | undefined;
  private readonly timer: NodeJS.Timeout;

  /** `launcherPid` runs the measured process itself, or (`wrapped`) as its child. */
  constructor(
    private readonly launcherPid: number,
    private readonly wrapped: boolean,
    everyMs = 200,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): void {
    this.pid ??= this.wrapped ? childOf(this.launcherPid) : this.launcherPid;
    if (this.pid === undefined) return;
    const hwm = statusKb(this.pid, 'VmHWM');
    const rss = statusKb(this.pid, 'VmRSS');
    if (hwm === undefined || rss === undefined) return;
    this.peakKb = Math.max(this.peakKb, hwm);
    this.currentKb = rss;
    this.samples++;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
