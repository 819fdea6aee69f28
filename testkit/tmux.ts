/**
 * A real pseudo-terminal for the specs of terminal behaviour: the built CLI runs in a tmux pane of a
 * given size, on a tmux server of its own (its own socket, no user configuration), and the spec
 * reads what the terminal shows, scrollback included, as a person would see it. tmux reflows lines
 * on a resize, like most terminals today, and marks the lines it wrapped, so a line that did not fit
 * shows up as one longer than the pane.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtBin } from './build.js';
import { sleep } from './cli.js';
import { childEnv } from './env.js';

/** Whether tmux can run here; the specs skip with this reason otherwise (CI must have it). */
export function tmuxMissing(): string | undefined {
  const result = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (result.status === 0) return undefined;
  const reason = 'tmux is not installed (apt-get install -y tmux): terminal specs skipped';
  if (process.env.SENSORPIPE_REQUIRE_TMUX) throw new Error(`${reason}, but SENSORPIPE_REQUIRE_TMUX is set`);
  return reason;
}

const shellWord = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

export interface TerminalOptions {
  columns: number;
  rows: number;
  cwd: string;
  /**
   * Set in the pane: TERM, NO_COLOR... CI, NO_COLOR and FORCE_COLOR of the kit's environment are
   * unset there: this is a person's terminal.
   */
  env?: Record<string, string>;
}

let sessions = 0;

export class TmuxTerminal {
  private constructor(
    private readonly socket: string,
    private readonly config: string,
    private readonly statusFile: string,
    /** The pane's width, as last set. */
    public columns: number,
  ) {}

  /** Starts `sensorpipe args...` (the test build) in a pane of `columns` x `rows`. */
  static start(args: readonly string[], options: TerminalOptions): TmuxTerminal {
    const name = `sp-test-${process.pid}-${++sessions}`;
    // A socket of its own in the temporary directory, removed with the server.
    const socket = path.join(os.tmpdir(), `${name}.sock`);
    const config = path.join(os.tmpdir(), `${name}.conf`);
    // The pane stays after the command ends, so its last screen can be read.
    fs.writeFileSync(config, 'set -g remain-on-exit on\nset -g history-limit 10000\nset -g status off\n');
    const assignments = Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${shellWord(value)}`);
    const statusFile = path.join(os.tmpdir(), `${name}.status`);
    // The shell records the exit status itself: tmux may mark a pane dead before it has reaped
    // the process (under load), and then never say how it ended.
    const command = `${[
      'env -u CI -u NO_COLOR -u FORCE_COLOR',
      ...assignments,
      shellWord(process.execPath),
      shellWord(builtBin()),
      ...args.map(shellWord),
    ].join(' ')}; echo $? > ${shellWord(statusFile)}`;
    const terminal = new TmuxTerminal(socket, config, statusFile, options.columns);
    terminal.tmux(
      ['new-session', '-d', '-s', 'main', '-x', String(options.columns), '-y', String(options.rows)],
      ['-c', options.cwd, command],
    );
    return terminal;
  }

  private tmux(args: readonly string[], rest: readonly string[] = []): string {
    return execFileSync('tmux', ['-S', this.socket, '-f', this.config, ...args, ...rest], {
      encoding: 'utf8',
      env: childEnv(),
    });
  }

  /**
   * What the terminal shows, scrollback first. Wrapped lines are joined (`-J`): a line longer than
   * the pane is one the terminal had to wrap. With `escapes`, colour codes are kept.
   */
  capture(options: { escapes?: boolean; screenOnly?: boolean } = {}): string {
    const escapes = options.escapes ? ['-e'] : [];
    const from = options.screenOnly ? [] : ['-S', '-'];
    return this.tmux(['capture-pane', '-p', '-J', ...escapes, ...from, '-t', 'main']);
  }

  /** The capture's lines (scrollback too, unless `screenOnly`), without the blank ones at the bottom. */
  lines(options: { screenOnly?: boolean } = {}): string[] {
    return this.capture(options).replace(/\n+$/, '').split('\n');
  }

  /** Resizes the pane; `columns` stays the old width until the caller records the new one. */
  resize(columns: number, rows: number): void {
    this.tmux(['resize-window', '-t', 'main', '-x', String(columns), '-y', String(rows)]);
  }

  /** A key as tmux names it ('q', 's', 'Space'), as a person presses it. */
  press(key: string): void {
    this.tmux(['send-keys', '-t', 'main', key]);
  }

  /** Ctrl-C, as a person presses it. */
  interrupt(): void {
    this.tmux(['send-keys', '-t', 'main', 'C-c']);
  }

  /** The command's exit status once it ended (128 + the signal if one killed it); undefined before. */
  exitStatus(): number | undefined {
    const status = fs.readFileSync(this.statusFile, { encoding: 'utf8', flag: 'a+' }).trim();
    return status === '' ? undefined : Number(status);
  }

  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.capture();
      if (pattern.test(text)) return text;
      if (Date.now() > deadline) throw new Error(`the terminal never showed ${pattern}:\n${text}`);
      await sleep(100);
    }
  }

  async waitForExit(timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = this.exitStatus();
      if (status !== undefined) return status;
      if (Date.now() > deadline) throw new Error(`the command never ended:\n${this.capture()}`);
      await sleep(100);
    }
  }

  kill(): void {
    try {
      this.tmux(['kill-server']);
    } catch {
      // already gone
    }
    for (const file of [this.socket, this.config, this.statusFile]) fs.rmSync(file, { force: true });
  }
}
