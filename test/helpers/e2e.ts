/**
 * Runs the BUILT CLI (`node bin/run.js …`) as a child process, on temporary data directories, with
 * small CSV fixtures made here.
 *
 * The CLI is built by the project's one build script (scripts/build.js, what `npm run build` runs),
 * into a private package root in os.tmpdir() named after a hash of the inputs: building dist/ in place
 * would break any other test run (or an engineer's CLI) that uses dist/ at that moment. The build runs
 * at most once per mocha process, and not at all while the sources are unchanged.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';

export const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const SHARED_DATASET = path.resolve(ROOT, '../shared/data/Recommended_Fishing_Rivers_And_Streams.csv');

const BUILD_INPUTS = [
  'src',
  'bin',
  'lambdas',
  'templates',
  'scripts/build.js',
  'scripts/manifest.js',
  'scripts/bundle-lambdas.js',
  'scripts/bundle-help.js',
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
];
const BUILD_PREFIX = 'sensorpipe-test-build-';

function filesUnder(entry: string): string[] {
  const stats = fs.statSync(entry, { throwIfNoEntry: false });
  if (!stats) return [];
  if (!stats.isDirectory()) return [entry];
  return fs
    .readdirSync(entry)
    .sort()
    .flatMap((name) => filesUnder(path.join(entry, name)));
}

/** A hash of everything the build reads from the repository. */
function inputsHash(): string {
  const hash = createHash('sha256');
  // The build links this checkout's node_modules: another checkout (a CI clone) builds its own.
  hash.update(ROOT).update('\0');
  for (const file of BUILD_INPUTS.flatMap((input) => filesUnder(path.join(ROOT, input)))) {
    hash.update(path.relative(ROOT, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

function exec(file: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env: childEnv(), maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed:\n${stdout}\n${stderr}`));
      else resolve();
    });
  });
}

/** Builds a package root (package.json, bin/, dist/, manifest, node_modules linked) at `dir`. */
async function buildInto(dir: string): Promise<void> {
  const staging = `${dir}.${process.pid}.${Date.now()}.tmp`;
  try {
    await exec(process.execPath, [path.join(ROOT, 'scripts', 'build.js'), '--root', staging], ROOT);
    // Atomic: a concurrent run that built the same inputs first wins, and this copy goes.
    fs.renameSync(staging, dir);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    if (!fs.existsSync(path.join(dir, 'oclif.manifest.json'))) throw error;
  }
}

/** Removes builds of older sources that nobody has used for a while. */
function pruneOldBuilds(keep: string): void {
  const tmp = os.tmpdir();
  for (const name of fs.readdirSync(tmp)) {
    if (!name.startsWith(BUILD_PREFIX) || path.join(tmp, name) === keep) continue;
    const stats = fs.statSync(path.join(tmp, name), { throwIfNoEntry: false });
    if (stats && Date.now() - stats.mtimeMs > 60 * 60_000)
      fs.rmSync(path.join(tmp, name), { recursive: true, force: true });
  }
}

let built: Promise<string> | undefined;
let builtRoot: string | undefined;

/** The package root of the built CLI (bin/run.js, dist/), building it first if needed. */
export async function buildRoot(): Promise<string> {
  built ??= (async () => {
    const dir = path.join(os.tmpdir(), `${BUILD_PREFIX}${inputsHash()}`);
    if (!fs.existsSync(path.join(dir, 'oclif.manifest.json'))) await buildInto(dir);
    else fs.utimesSync(dir, new Date(), new Date());
    pruneOldBuilds(dir);
    builtRoot = dir;
    return dir;
  })();
  return built;
}

/** Builds the CLI once per process, when the sources changed. Use as `before(ensureBuilt)`. */
export async function ensureBuilt(this: Mocha.Context): Promise<void> {
  this.timeout(180_000);
  await buildRoot();
}

/** The compiled module at `dist/<relative>` (e.g. 'src/source/threaded.js'), after the build. */
export async function importBuilt<T>(relative: string): Promise<T> {
  const root = await buildRoot();
  return (await import(pathToFileURL(path.join(root, 'dist', relative)).href)) as T;
}

/** The environment of a child: no inherited sensorpipe settings, CI on (no spinners, no redraws). */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    const aws = key.startsWith('AWS_') && key !== 'AWS_CA_BUNDLE';
    if (key.startsWith('SENSORPIPE_') || key === 'DEBUG' || key === 'NODE_OPTIONS' || aws) delete env[key];
  }
  return {
    ...env,
    CI: 'true',
    NO_COLOR: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // No AWS account of this machine's: no config, no credentials, no instance metadata.
    AWS_CONFIG_FILE: path.join(os.tmpdir(), 'sensorpipe-no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(os.tmpdir(), 'sensorpipe-no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** Another CLI's bin/run.js than the test build's. */
  bin?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** A running CLI process: `done` resolves (never rejects) when it exits. */
export interface Running {
  child: ChildProcess;
  done: Promise<RunResult>;
  /** Resolves once stdout or stderr has printed something that matches. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<void>;
}

/** Starts the built CLI; call `ensureBuilt` first (in a `before` hook). */
export function start(args: readonly string[], options: RunOptions = {}): Running {
  if (!builtRoot) throw new Error('start() before ensureBuilt(): add before(ensureBuilt) to the suite');
  const bin = options.bin ?? path.join(builtRoot, 'bin', 'run.js');
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? ROOT,
    env: childEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin?.end();
  let stdout = '';
  let stderr = '';
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
  const timeoutMs = options.timeoutMs ?? 60_000;
  const done = new Promise<RunResult>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
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

/** A stack-trace line, which user errors must never print without --debug. */
export const STACK_LINE = /^\s{4}at /m;

export interface StackOptions {
  stack?: string;
  /** Another data directory than the sandbox's. */
  dataDir?: string;
  /** Default 'local'; null passes no --target at all. */
  target?: string | null;
}

/**
 * A temporary directory with a local data directory and room for fixtures; `cli` runs a command
 * on the stack in it (`--target local --data-dir …` added).
 */
export class Sandbox {
  readonly dir: string;
  readonly dataDir: string;

  constructor(prefix = 'sp-e2e-') {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.dataDir = path.join(this.dir, 'data');
  }

  /** The stack's arguments: `stack` picks another stack name, `target` another target (null: none). */
  stackArgs(options: StackOptions = {}): string[] {
    const target = options.target === undefined ? 'local' : options.target;
    return [
      ...(target === null ? [] : ['--target', target]),
      '--data-dir',
      options.dataDir ?? this.dataDir,
      ...(options.stack ? ['--stack-name', options.stack] : []),
    ];
  }

  cli(command: string, args: readonly string[] = [], options: RunOptions & StackOptions = {}) {
    return run([command, ...this.stackArgs(options), ...args], { cwd: this.dir, ...options });
  }

  startCli(command: string, args: readonly string[] = [], options: RunOptions & StackOptions = {}) {
    return start([command, ...this.stackArgs(options), ...args], { cwd: this.dir, ...options });
  }

  /** Writes a file in the sandbox and returns its path. */
  write(name: string, content: string): string {
    const file = path.join(this.dir, name);
    fs.writeFileSync(file, content);
    return file;
  }

  /** Writes a fixture made by `fixtureCsv`. */
  fixture(name = 'fixture.csv', options: FixtureOptions = {}): string {
    return this.write(name, fixtureCsv(options));
  }

  databaseExists(stack = 'sensorpipe'): boolean {
    return fs.existsSync(path.join(this.dataDir, `${stack}.sqlite`));
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface FixtureOptions {
  /** Rows per county, in this order, interleaved. */
  counts?: Record<string, number>;
  /** Data rows with an empty County, put after every third row. */
  emptyCounty?: number;
  /** Header names; must include the County column unless testing its absence. */
  header?: string[];
}

export const DEFAULT_COUNTS: Readonly<Record<string, number>> = {
  Albany: 5,
  Kings: 3,
  'St. Lawrence': 2,
  Erie: 1,
};

/**
 * A small CSV like the real dataset: quoted fields with commas, quotes and a line break, so that a
 * parser that splits on commas or lines would miscount. Rows of the counties are interleaved.
 */
export function fixtureCsv(options: FixtureOptions = {}): string {
  const counts = { ...(options.counts ?? DEFAULT_COUNTS) };
  const header = options.header ?? ['Waterbody_Name', 'County', 'Comments', 'Latitude'];
  const countyIndex = header.indexOf('County');
  const rows: string[][] = [];
  let remaining = Object.values(counts).reduce((a, b) => a + b, 0);
  let empties = options.emptyCounty ?? 0;
  let n = 0;
  while (remaining > 0) {
    for (const county of Object.keys(counts)) {
      if ((counts[county] ?? 0) <= 0) continue;
      counts[county] = (counts[county] ?? 0) - 1;
      remaining--;
      n++;
      rows.push(fixtureRow(header, countyIndex, county, n));
      if (empties > 0 && n % 3 === 0) {
        empties--;
        rows.push(fixtureRow(header, countyIndex, '', n));
      }
    }
  }
  for (; empties > 0; empties--) rows.push(fixtureRow(header, countyIndex, '   ', ++n));
  const quote = (field: string) => (/[",\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field);
  return `${[header, ...rows].map((row) => row.map(quote).join(',')).join('\n')}\n`;
}

function fixtureRow(header: string[], countyIndex: number, county: string, n: number): string[] {
  return header.map((name, i) => {
    if (i === countyIndex) return county;
    if (i === 0) return `Creek ${n}, "north" branch`;
    if (name === 'Comments') return n % 4 === 0 ? 'Two lines:\nsee notes' : 'None';
    return String(42 + n / 1000);
  });
}

/** Per-county counts of a CSV computed independently of sensorpipe (csv-parse/sync), empty County left out. */
export function expectedCounts(file: string, countyColumn = 'County'): Map<string, number> {
  const records = parse(fs.readFileSync(file), {
    columns: true,
    bom: true,
    skip_empty_lines: true,
  }) as Record<string, string>[];
  const counts = new Map<string, number>();
  for (const record of records) {
    const county = (record[countyColumn] ?? '').trim();
    if (county !== '') counts.set(county, (counts.get(county) ?? 0) + 1);
  }
  return counts;
}

export function total(counts: Map<string, number>): number {
  return [...counts.values()].reduce((a, b) => a + b, 0);
}

/** Snapshot counties as a Map, for a comparison with `expectedCounts`. */
export function countsOf(snapshot: { counties: { county: string; count: number }[] }): Map<string, number> {
  return new Map(snapshot.counties.map((c) => [c.county, c.count]));
}

/** A user error as the CLI must show it: the exit code, one line on stderr saying `text`, no stack trace. */
export function expectOneLineError(result: RunResult, code: number, text: string): void {
  expect(result.code, result.stderr).to.equal(code);
  expect(lines(result.stderr)).to.have.length(1);
  expect(result.stderr).to.include(text);
  expect(result.stderr).not.to.match(STACK_LINE);
}
