/**
 * The built CLI the end-to-end specs, the faults and the bench run: made by the project's one build
 * script (scripts/build.js, what `npm run build` runs) into a private package root in os.tmpdir()
 * named after a hash of the inputs. Building dist/ in place would break any other run (or an
 * engineer's CLI) that uses dist/ at that moment. The build runs at most once per process, and not
 * at all while the sources are unchanged.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { childEnv } from './env.js';
import { ROOT } from './paths.js';

const BUILD_INPUTS = [
  'src',
  'bin',
  'lambdas',
  'templates',
  'scripts/build.js',
  'scripts/manifest.js',
  'scripts/bundle-lambdas.js',
  'scripts/help.js',
  'scripts/bundle-fast.js',
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

/** The built CLI's bin/run.js; call `buildRoot` (or `ensureBuilt`) first. */
export function builtBin(): string {
  if (!builtRoot) throw new Error('builtBin() before buildRoot(): add before(ensureBuilt) to the suite');
  return path.join(builtRoot, 'bin', 'run.js');
}

/** The compiled module at `dist/<relative>` (e.g. 'src/source/threaded.js'), after the build. */
export async function importBuilt<T>(relative: string): Promise<T> {
  const root = await buildRoot();
  return (await import(pathToFileURL(path.join(root, 'dist', relative)).href)) as T;
}
