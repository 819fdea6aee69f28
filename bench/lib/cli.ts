import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT } from './dataset.js';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From just before the spawn to the process's exit. */
  wallMs: number;
}

export interface StartedCli {
  child: ChildProcess;
  done: Promise<CliRun>;
}

/** What `stream --json` prints. */
export type { StreamJson as StreamSummary } from '../../src/cli/contracts.js';

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

/** The environment of a child: no inherited sensorpipe settings, CI on (no spinners). */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1' };
  for (const key of Object.keys(env)) {
    if (key.startsWith('SENSORPIPE_') || key === 'DEBUG' || key === 'NODE_OPTIONS') delete env[key];
  }
  return env;
}

/**
 * Runs the built CLI from a copy of the build (bin, dist, manifest, package.json; node_modules
 * linked), so that a rebuild in the working tree while the benchmark runs cannot pull dist/ from
 * under a measurement or mix two builds in one run.
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

  /** Starts `[prefix...] node bin/run.js args...`; `prefix` wraps it (e.g. /usr/bin/time). */
  start(args: readonly string[], prefix: readonly string[] = []): StartedCli {
    const command = [...prefix, process.execPath, this.bin, ...args];
    const startedAt = performance.now();
    const child = spawn(command[0]!, command.slice(1), {
      cwd: this.root,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    let exitedAt = 0;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('exit', () => {
      exitedAt = performance.now();
    });
    const done = new Promise<CliRun>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        running.delete(child);
        resolve({ code, signal, stdout, stderr, wallMs: (exitedAt || performance.now()) - startedAt });
      });
    });
    return { child, done };
  }

  run(args: readonly string[]): Promise<CliRun> {
    return this.start(args).done;
  }

  /** Runs a command with --json and returns what it printed; throws on a non-zero exit. */
  async json<T>(args: readonly string[]): Promise<{ value: T; run: CliRun }> {
    const run = await this.run([...args, '--json']);
    return { value: parseOutput<T>(args, run), run };
  }
}

/** The JSON document a successful `--json` run printed last. */
export function parseOutput<T>(args: readonly string[], run: CliRun): T {
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.code !== 0) {
    throw new Error(
      `sensorpipe ${args.join(' ')} exited with ${run.code ?? run.signal}: ${run.stderr.trim() || last}`,
    );
  }
  return JSON.parse(last) as T;
}

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
