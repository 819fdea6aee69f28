import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  type Stats,
  statfsSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { EnvironmentError, UsageError } from '../../core/errors.js';

/**
 * A local stack's file on disk, apart from what is in it: its directory, how it comes to exist (whole,
 * mode 0600), how it goes, whether the path still names the file a process opened, and the disk and
 * file-system failures met on the way, as the one line a user acts on (exit 4).
 */

/** The files SQLite keeps beside a database. */
export const SIDE_FILES = ['-wal', '-shm', '-journal'] as const;

const OWNER_ONLY = 0o600;

// --- Disk and file-system failures ----------------------------------------------------------------

const DISK_FULL = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);
const NOT_WRITABLE = new Set(['SQLITE_CANTOPEN', 'SQLITE_PERM', 'EROFS', 'EACCES', 'EPERM']);
const DISK_ERROR = new Set(['EIO']);

/** The error's code as SQLite (better-sqlite3) or Node's fs give it, or ''. */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/**
 * An error of the disk or the file system (full, read-only, not permitted, failing) as the one line
 * a user acts on, exit 4; undefined for any other error. `path` is the file or directory it was met on.
 */
export function environmentError(error: unknown, path: string): EnvironmentError | undefined {
  if (error instanceof EnvironmentError) return error;
  const code = codeOf(error);
  const dir = pathIsDirectory(path) ? path : dirname(path);
  // SQLite reports a disk that filled up while it grew its side files as an I/O error, or as a file
  // it cannot open: the free space tells which.
  const sqliteSaysDisk = code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN';
  if (DISK_FULL.has(code) || (sqliteSaysDisk && noSpaceLeft(dir))) {
    return new EnvironmentError(
      `The disk that holds ${dir} is full (${code}): free some space, or pass --data-dir with a directory on another disk.`,
      'DISK_FULL',
      { cause: error },
    );
  }
  if (NOT_WRITABLE.has(code) || code.startsWith('SQLITE_READONLY')) {
    // SQLite says only that it cannot open or write; the directory tells why (read-only, no permission).
    const why = code.startsWith('SQLITE_') ? writeProbe(dir) : reasonOf(code);
    return new EnvironmentError(
      `Cannot write to ${dir} (${why ? `${why}, ` : ''}${code}): pass --data-dir with a writable directory, or make this one writable.`,
      'NOT_WRITABLE',
      { cause: error },
    );
  }
  if (DISK_ERROR.has(code) || code.startsWith('SQLITE_IOERR')) {
    return new EnvironmentError(
      `The disk failed while sensorpipe used ${path} (${code}): check the disk and its free space, then try again.`,
      'DISK_ERROR',
      { cause: error },
    );
  }
  return undefined;
}

function noSpaceLeft(dir: string): boolean {
  try {
    const { bavail, bfree } = statfsSync(dir);
    return (process.getuid?.() === 0 ? bfree : bavail) === 0;
  } catch {
    return false;
  }
}

function pathIsDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function reasonOf(code: string): string {
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (DISK_FULL.has(code)) return 'the disk is full';
  return '';
}

/** Why a directory cannot be written to ("read-only file system"), or '' when it can. */
function writeProbe(dir: string): string {
  try {
    // access() does not see a read-only mount for root on every system; a file does.
    const probe = join(dir, `.sensorpipe-probe-${process.pid}`);
    closeSync(openSync(probe, 'wx', OWNER_ONLY));
    unlinkSync(probe);
    return '';
  } catch (error) {
    return reasonOf(codeOf(error));
  }
}

// --- The data directory ----------------------------------------------------------------------------

/**
 * Virtual file systems (statfs f_type) that hold no files of ours: Node 20's recursive mkdirSync
 * loops for ever under /proc, which answers ENOENT for a directory whose parent exists.
 */
const VIRTUAL_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0x62656570, 'configfs'],
  [0x65735543, 'fusectl'],
  [0x42494e4d, 'binfmt_misc'],
  [0xde5e81e4, 'efivarfs'],
]);

function virtualFileSystem(path: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return VIRTUAL_FILE_SYSTEMS.get(statfsSync(path).type);
  } catch {
    return undefined;
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    const code = codeOf(error);
    // ENOTDIR: a file in the way, which the walk up the path finds.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw environmentError(error, path) ?? error;
  }
}

/**
 * Makes the data directory (mode 0700) one level at a time, after checking where it would go: the
 * nearest existing ancestor must be a directory on a real file system. Never a recursive mkdir.
 */
export function ensureDataDir(dataDir: string): void {
  const dir = resolve(dataDir);
  const missing: string[] = [];
  let existing = dir;
  let stat = statOrUndefined(existing);
  while (stat === undefined) {
    missing.unshift(existing);
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
    stat = statOrUndefined(existing);
  }
  if (stat && !stat.isDirectory()) {
    throw new UsageError(
      `Cannot create the data directory ${dir}: ${existing} is a file, not a directory. Pass --data-dir with a writable directory.`,
    );
  }
  const virtual = virtualFileSystem(existing);
  if (virtual) {
    throw new EnvironmentError(
      `Cannot keep a stack in ${dir}: ${existing} is on ${virtual}, a virtual file system that holds no files. Pass --data-dir with a directory on a disk.`,
      'DATA_DIR',
    );
  }
  for (const path of missing) {
    try {
      mkdirSync(path, { mode: 0o700 });
    } catch (error) {
      const code = codeOf(error);
      if (code === 'EEXIST' && pathIsDirectory(path)) continue; // made by another deploy meanwhile
      if (code === 'ENOENT') {
        throw new EnvironmentError(
          `Cannot create the data directory ${dir}: ${dirname(path)} does not let directories be made in it. Pass --data-dir with a writable directory.`,
          'DATA_DIR',
          { cause: error },
        );
      }
      throw (
        environmentError(error, dirname(path)) ??
        new UsageError(
          `Cannot create the data directory ${dir}: ${(error as Error).message}. Pass --data-dir with a writable directory.`,
          { cause: error },
        )
      );
    }
  }
}

// --- What is at a stack's path ----------------------------------------------------------------------

/** Whether a stack's path holds a file; anything there that is not a file cannot be a stack. */
export function stackFileExists(path: string): boolean {
  let stat: Stats;
  try {
    stat = statSync(path);
  } catch (error) {
    const code = codeOf(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw environmentError(error, path) ?? error;
  }
  if (stat.isFile()) return true;
  throw new EnvironmentError(
    `${path} is ${stat.isDirectory() ? 'a directory' : 'not a regular file'}, so it cannot hold the stack: move it away, or pass another --stack-name or --data-dir.`,
    'STACK_PATH',
  );
}

/** Stack files keep mode 0600: a later deploy takes away what an older version (or a copy) gave others. */
export function restrictMode(path: string): void {
  for (const file of [path, ...SIDE_FILES.map((suffix) => `${path}${suffix}`)]) {
    let mode: number;
    try {
      mode = statSync(file).mode & 0o777;
    } catch {
      continue;
    }
    if ((mode & 0o077) === 0) continue;
    const fd = openSync(file, 'r');
    try {
      fchmodSync(fd, mode & 0o700);
    } finally {
      closeSync(fd);
    }
  }
}

// --- Creating and removing a stack ------------------------------------------------------------------

const TEMP_SUFFIX = '.creating';

/** `<dir>/.<stack>.sqlite.<pid>-<random>.creating`: a stack being made, by a process that may be alive. */
function tempPathFor(path: string): string {
  const random = Math.floor(Math.random() * 0x1_0000_0000).toString(16);
  return join(dirname(path), `.${basename(path)}.${process.pid}-${random}${TEMP_SUFFIX}`);
}

/** The temporary files (with their side files) of a stack at `path`, and the process that made each. */
function tempFilesOf(path: string): { file: string; pid: number }[] {
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    if (!name.startsWith(prefix)) return [];
    const match = /^(\d+)-[0-9a-f]+\.creating(-wal|-shm|-journal)?$/.exec(name.slice(prefix.length));
    return match ? [{ file: join(dirname(path), name), pid: Number(match[1]) }] : [];
  });
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return codeOf(error) === 'EPERM';
  }
}

/** Removes what deploys that were killed left behind (their processes are gone); a live one's stay. */
export function removeStaleTempFiles(path: string): void {
  for (const { file, pid } of tempFilesOf(path)) if (!isAlive(pid)) rmSync(file, { force: true });
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } catch {
    // Some file systems cannot sync a directory; the rename is atomic all the same.
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates the stack file whole, or not at all: `fill` makes a complete database in a temporary file
 * beside it (mode 0600 from its first byte), which is then linked to the stack's path, never over an
 * existing file. A kill at any moment leaves no stack or a complete one (and, at worst, a temporary
 * file that the next deploy removes). Returns false, leaving nothing, when a stack appeared at the
 * path meanwhile (another deploy created it first).
 */
export function createAtomically(path: string, fill: (tempPath: string) => void): boolean {
  const temp = tempPathFor(path);
  try {
    const fd = openSync(temp, constants.O_CREAT | constants.O_EXCL | constants.O_RDWR, OWNER_ONLY);
    try {
      fchmodSync(fd, OWNER_ONLY); // whatever the umask says
    } finally {
      closeSync(fd);
    }
    fill(temp);
    fsyncPath(temp);
    if (!linkNoClobber(temp, path)) return false;
    fsyncPath(dirname(path));
    return true;
  } catch (error) {
    throw environmentError(error, temp) ?? error;
  } finally {
    for (const file of [temp, ...SIDE_FILES.map((suffix) => `${temp}${suffix}`)])
      rmSync(file, { force: true });
  }
}

/** Gives `temp` the name `path` unless something has it already: link() fails on an existing name. */
function linkNoClobber(temp: string, path: string): boolean {
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    const code = codeOf(error);
    if (code === 'EEXIST') return false;
    // A file system without hard links: rename, which is atomic but would replace a stack made in
    // the instant since the check; only another deploy can have made one.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EMLINK') {
      if (stackFileExists(path)) return false;
      renameSync(temp, path);
      return true;
    }
    throw error;
  }
}

/** Deletes the stack file, its side files and stale temporary files; false when there was no stack. */
export function removeStackFiles(path: string): boolean {
  const existed = stackFileExists(path);
  try {
    for (const suffix of ['', ...SIDE_FILES]) rmSync(`${path}${suffix}`, { force: true });
    removeStaleTempFiles(path);
  } catch (error) {
    throw environmentError(error, dirname(path)) ?? error;
  }
  return existed;
}

// --- Is it still the same file? --------------------------------------------------------------------

export type FileChange = 'destroyed' | 'replaced';

/**
 * The file a process opened, by device and inode: when the path is gone or names another file, the
 * stack this process works on was destroyed (or destroyed and deployed again). A process keeps its
 * open file, so without this check it would go on writing into a file nobody can see.
 */
export class FileIdentity {
  private readonly dev: number;
  private readonly ino: number;

  constructor(readonly path: string) {
    const stat = statSync(path);
    this.dev = stat.dev;
    this.ino = stat.ino;
  }

  /** What happened to the file since it was opened, or undefined while the path still names it. */
  change(): FileChange | undefined {
    let stat: Stats;
    try {
      stat = statSync(this.path);
    } catch (error) {
      const code = codeOf(error);
      // Anything else (a permission taken away, a disk error) says nothing about the stack: writes will tell.
      return code === 'ENOENT' || code === 'ENOTDIR' ? 'destroyed' : undefined;
    }
    return stat.dev === this.dev && stat.ino === this.ino ? undefined : 'replaced';
  }
}
