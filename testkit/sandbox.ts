import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt } from './build.js';
import { type RunOptions, run, start } from './cli.js';
import { type FixtureOptions, fixtureCsv } from './fixtures.js';

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

/**
 * The set-up of an end-to-end suite, in one place: the CLI built once before it, and a fresh
 * Sandbox for each test, handed to `use` (which may prepare it further) and removed after the test.
 */
export function freshSandboxEachTest(use: (box: Sandbox) => void | Promise<void>): void {
  let box: Sandbox | undefined;
  before(ensureBuilt);
  beforeEach(() => {
    box = new Sandbox();
    return use(box);
  });
  afterEach(() => {
    box?.remove();
    box = undefined;
  });
}
