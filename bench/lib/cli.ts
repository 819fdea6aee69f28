import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { lastJson, type Running, type RunResult, start } from '../../testkit/cli.js';
import { ROOT } from '../../testkit/paths.js';

/** What `stream --json` prints. */
export type { StreamJson as StreamSummary } from '../../src/cli/contracts.js';
export { childEnv } from '../../testkit/env.js';
export type CliRun = RunResult;

const running = new Set<ChildProcess>();

/**
 * Kills the children still running (on Ctrl-C). Each runs in its own process group, so killing the
 * group also kills what it started (the CLI under /usr/bin/time).
 */
export function killRunningChildren(): void {
  for (const child of running) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Runs the built CLI from a copy of the build (bin, dist, manifest, package.json; node_modules
 * linked), so that a rebuild in the working tree while the benchmark runs cannot pull dist/ from
 * under a measurement or mix two builds in one run. Children run through the test kit's runner,
 * with its environment policy: never the engineer's AWS identity.
 */
export class Cli {
  readonly bin: string;

  constructor(readonly root: string) {
    this.bin = join(root, 'bin', 'run.js');
  }

  static snapshot(into: string): Cli {
    for (const built of [
      'dist/src/commands/stream.js',
      'dist/src/source/csv-thread.js',
      'oclif.manifest.json',
    ]) {
      if (!existsSync(join(ROOT, built))) {
        throw new Error(
          `The CLI is not built (${built} is missing): run \`npm run build\` or \`npm run bench\`.`,
        );
      }
    }
    for (const entry of ['bin', 'dist', 'package.json', 'oclif.manifest.json'])
      cpSync(join(ROOT, entry), join(into, entry), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(into, 'node_modules'), 'dir');
    return new Cli(into);
  }

  /**
   * Starts `[prefix...] node bin/run.js args...`; `prefix` wraps it (e.g. /usr/bin/time); `env` adds
   * to the kit's environment policy (dummy AWS credentials for a stand-in).
   */
  start(args: readonly string[], prefix: readonly string[] = [], env?: Record<string, string>): Running {
    const started = start(args, {
      bin: this.bin,
      cwd: this.root,
      prefix,
      env,
      detached: true,
      timeoutMs: 60 * 60_000,
    });
    running.add(started.child);
    void started.done.then(() => running.delete(started.child));
    return started;
  }

  run(args: readonly string[]): Promise<CliRun> {
    return this.start(args).done;
  }

  /** Runs a command with --json and returns what it printed; throws on a non-zero exit. */
  async json<T>(args: readonly string[]): Promise<{ value: T; run: CliRun }> {
    const run = await this.run([...args, '--json']);
    return { value: lastJson<T>(args, run), run };
  }
}

/** The JSON document a successful `--json` run printed last. */
export const parseOutput = lastJson;

/** A local stack in a data directory, driven through the CLI. */
export class LocalStack {
  constructor(
    private readonly cli: Cli,
    readonly dataDir: string,
    readonly name: string,
  ) {}

  get location(): string {
    return join(this.dataDir, `${this.name}.sqlite`);
  }

  /** The flags that select this stack; the command comes first. */
  args(command: string, ...rest: string[]): string[] {
    return [command, '--target', 'local', '--data-dir', this.dataDir, '--stack-name', this.name, ...rest];
  }

  async deploy(...flags: string[]): Promise<void> {
    await this.cli.json(this.args('deploy', ...flags));
  }

  async eventsStored(): Promise<number | null> {
    return (await this.cli.json<{ eventsStored: number | null }>(this.args('status'))).value.eventsStored;
  }

  async destroy(): Promise<void> {
    await this.cli.json(this.args('destroy', '--yes'));
  }
}
