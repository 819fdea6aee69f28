/**
 * The one way this kit runs the CLI, for the end-to-end specs, the faults and the bench: a child
 * process with the kit's environment policy (testkit/env.ts), its output collected, its wall time
 * measured, and a `waitFor` on what it prints.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { builtBin } from './build.js';
import { childEnv } from './env.js';
import { ROOT } from './paths.js';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From just before the spawn to the process's exit. */
  wallMs: number;
}

export interface RunOptions {
  cwd?: string;
  /** Another CLI's bin/run.js than the test build's (a copy of a build, the bench's). */
  bin?: string;
  env?: Record<string, string>;
  /** Killed with SIGKILL after this long (default 60 s). */
  timeoutMs?: number;
  /** Wraps the command, e.g. ['/usr/bin/time', '-v']. */
  prefix?: readonly string[];
  /** In its own process group, so that killing the group also kills what it started. */
  detached?: boolean;
  /** Standard input: closed at once (default), or the parent's. */
  stdin?: 'closed' | 'inherit';
}

/** A running CLI process: `done` resolves (never rejects) when it exits. */
export interface Running {
  child: ChildProcess;
  done: Promise<RunResult>;
  /** Resolves once stdout or stderr has printed something that matches. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<void>;
}

/** Starts the CLI (the test build's unless `bin` names another; call `ensureBuilt` first then). */
export function start(args: readonly string[], options: RunOptions = {}): Running {
  const bin = options.bin ?? builtBin();
  const command = [...(options.prefix ?? []), process.execPath, bin, ...args];
  const startedAt = performance.now();
  const child = spawn(command[0] as string, command.slice(1), {
    cwd: options.cwd ?? ROOT,
    env: childEnv(options.env),
    stdio: [options.stdin === 'inherit' ? 'inherit' : 'pipe', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  child.stdin?.end();
  let stdout = '';
  let stderr = '';
  let exitedAt = 0;
  const watchers: { pattern: RegExp; stream: 'stdout' | 'stderr'; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...watchers]) {
      if (w.pattern.test(w.stream === 'stdout' ? stdout : stderr)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    check();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    check();
  });
  child.on('exit', () => {
    exitedAt = performance.now();
  });
  const timeoutMs = options.timeoutMs ?? 60_000;
  const done = new Promise<RunResult>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, wallMs: (exitedAt || performance.now()) - startedAt });
    };
    child.on('close', finish);
    child.on('error', (error) => {
      stderr += String(error);
      finish(null, null);
    });
  });
  return {
    child,
    done,
    waitFor: (pattern, stream = 'stdout') =>
      new Promise<void>((resolve, reject) => {
        watchers.push({ pattern, stream, resolve });
        check();
        void done.then(() =>
          reject(new Error(`process exited before printing ${pattern}\n${stdout}\n${stderr}`)),
        );
      }),
  };
}

/** Runs the CLI to its end. */
export function run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return start(args, options).done;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The non-empty lines of an output. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

/** Each line of stdout parsed as JSON; throws if any line is not exactly one JSON document. */
export function jsonLines(text: string): unknown[] {
  return lines(text).map((line) => JSON.parse(line) as unknown);
}

/** The JSON document a successful `--json` run printed last; throws, with what it said, otherwise. */
export function lastJson<T>(args: readonly string[], result: RunResult): T {
  const last = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.code !== 0) {
    throw new Error(
      `sensorpipe ${args.join(' ')} exited with ${result.code ?? result.signal}: ${result.stderr.trim() || last}`,
    );
  }
  return JSON.parse(last) as T;
}

/** A stack-trace line, which user errors must never print without --debug. */
export const STACK_LINE = /^\s{4}at /m;

export type { ChildProcess };

/**
 * The CLI run the plain way, @oclif/core's `execute` on the test build, with none of bin/run.js's
 * fast paths: what help, errors and --json output must be the same as.
 */
export async function runWithOclif(args: readonly string[], options: { env?: Record<string, string> } = {}) {
  const { buildRoot } = await import('./build.js');
  const { pathToFileURL } = await import('node:url');
  const path = await import('node:path');
  const bin = pathToFileURL(path.join(await buildRoot(), 'bin', 'run.js')).href;
  const script = `import('@oclif/core').then((o) => o.execute({ dir: ${JSON.stringify(bin)}, args: ${JSON.stringify(args)} }))`;
  const { execFile } = await import('node:child_process');
  return new Promise<RunResult>((resolve) => {
    const startedAt = performance.now();
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd: ROOT, env: childEnv(options.env) },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, signal: null, stdout, stderr, wallMs: performance.now() - startedAt });
      },
    );
  });
}

/**
 * NODE_OPTIONS that make a child print, to stderr, a `LOADED <file>` line for every module it loads:
 * the CommonJS ones when it exits, the ES modules as they are resolved.
 */
export async function moduleListOptions(): Promise<string> {
  const { writeFileSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const cjs = path.join(os.tmpdir(), `sensorpipe-loaded-cjs-${process.pid}.cjs`);
  const esm = path.join(os.tmpdir(), `sensorpipe-loaded-esm-${process.pid}.mjs`);
  writeFileSync(
    cjs,
    "process.on('exit', () => process.stderr.write(Object.keys(require.cache).map((f) => 'LOADED ' + f + '\\n').join('')));\n",
  );
  const hooks = `export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.startsWith('file:')) process._rawDebug('LOADED ' + r.url); return r; }`;
  writeFileSync(
    esm,
    `import { register } from 'node:module';\nregister('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));\n`,
  );
  return `--require ${cjs} --import ${esm}`;
}

/** The modules a run listed with `moduleListOptions`, as file paths. */
export function loadedModules(result: RunResult): string[] {
  return result.stderr
    .split('\n')
    .filter((line) => line.startsWith('LOADED '))
    .map((line) => decodeURIComponent(line.slice('LOADED '.length).replace(/^file:\/\//, '')));
}
