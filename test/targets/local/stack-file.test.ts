import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { EnvironmentError, ExitCode, UsageError } from '../../../src/core/errors.js';
import {
  createAtomically,
  ensureDataDir,
  environmentError,
  FileIdentity,
  removeStackFiles,
  removeStaleTempFiles,
  restrictMode,
  stackFileExists,
} from '../../../src/targets/local/stack-file.js';
import { makeTempDir, removeTempDir } from '../../../testkit/local.js';
import { mountTmpfs } from '../../../testkit/mounts.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return expect.fail('expected an error');
}

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe('local stack file', () => {
  let dir: string;

  beforeEach(() => {
    dir = makeTempDir();
  });

  afterEach(() => removeTempDir(dir));

  describe('environmentError: the disk and file-system failures, as exit 4', () => {
    const cases: [string, string, string][] = [
      ['SQLITE_FULL', 'DISK_FULL', 'is full (SQLITE_FULL): free some space'],
      ['ENOSPC', 'DISK_FULL', 'is full (ENOSPC)'],
      ['EDQUOT', 'DISK_FULL', 'is full (EDQUOT)'],
      ['EROFS', 'NOT_WRITABLE', 'Cannot write to'],
      ['EACCES', 'NOT_WRITABLE', '(permission denied, EACCES)'],
      ['EPERM', 'NOT_WRITABLE', '(permission denied, EPERM)'],
      ['SQLITE_READONLY', 'NOT_WRITABLE', 'SQLITE_READONLY'],
      ['SQLITE_READONLY_DBMOVED', 'NOT_WRITABLE', 'SQLITE_READONLY_DBMOVED'],
      ['SQLITE_CANTOPEN', 'NOT_WRITABLE', 'pass --data-dir with a writable directory'],
      ['SQLITE_IOERR_WRITE', 'DISK_ERROR', 'The disk failed'],
      ['EIO', 'DISK_ERROR', 'check the disk'],
    ];
    for (const [code, expected, words] of cases) {
      it(`${code} -> ${expected}`, () => {
        const error = environmentError(Object.assign(new Error('x'), { code }), path.join(dir, 's.sqlite'));
        expect(error).to.be.instanceOf(EnvironmentError);
        expect(error).to.include({ code: expected, exitCode: ExitCode.environment });
        expect(error?.message).to.include(words);
        expect(error?.message).to.include(dir);
      });
    }

    it('leaves every other error alone', () => {
      for (const code of ['SQLITE_CONSTRAINT', 'SQLITE_BUSY', 'ENOENT', undefined])
        expect(environmentError(Object.assign(new Error('x'), { code }), dir)).to.equal(undefined);
    });
  });

  describe('ensureDataDir', () => {
    it('makes the missing directories one level at a time, mode 0700', () => {
      const target = path.join(dir, 'a', 'b', 'c');
      ensureDataDir(target);
      expect(fs.statSync(target).isDirectory()).to.equal(true);
      expect(mode(path.join(dir, 'a'))).to.equal(0o700);
      ensureDataDir(target); // again: nothing to do
    });

    it('refuses a directory under /proc at once, without looping (Node 20 mkdirSync does)', function () {
      if (process.platform !== 'linux') this.skip();
      const error = thrown(() => ensureDataDir('/proc/sensorpipe-test/data'));
      expect(error).to.be.instanceOf(EnvironmentError);
      expect(error).to.include({ code: 'DATA_DIR', exitCode: ExitCode.environment });
      expect((error as Error).message).to.include('/proc is on proc, a virtual file system');
      expect(fs.existsSync('/proc/sensorpipe-test')).to.equal(false);
    });

    it('refuses a path through a file as a usage error that names --data-dir', () => {
      const file = path.join(dir, 'a-file');
      fs.writeFileSync(file, 'x');
      const error = thrown(() => ensureDataDir(path.join(file, 'data')));
      expect(error).to.be.instanceOf(UsageError);
      expect((error as Error).message).to.include(`${file} is a file, not a directory`);
    });

    it('says a read-only file system is one, exit 4', function () {
      const mount = mountTmpfs(256);
      if ('unavailable' in mount) {
        this.test!.title += ` (skipped: ${mount.unavailable})`;
        this.skip();
      }
      try {
        mount.remountReadOnly();
        const error = thrown(() => ensureDataDir(path.join(mount.dir, 'data')));
        expect(error).to.include({ code: 'NOT_WRITABLE', exitCode: ExitCode.environment });
        expect((error as Error).message).to.include('read-only file system, EROFS');
      } finally {
        mount.unmount();
      }
    });
  });

  describe('stackFileExists', () => {
    it('is false for nothing, true for a file, and an error (exit 4) for a directory', () => {
      const file = path.join(dir, 's.sqlite');
      expect(stackFileExists(file)).to.equal(false);
      fs.writeFileSync(file, '');
      expect(stackFileExists(file)).to.equal(true);
      const folder = path.join(dir, 'd.sqlite');
      fs.mkdirSync(folder);
      const error = thrown(() => stackFileExists(folder));
      expect(error).to.include({ code: 'STACK_PATH', exitCode: ExitCode.environment });
      expect((error as Error).message).to.include(`${folder} is a directory, so it cannot hold the stack`);
    });
  });

  describe('createAtomically', () => {
    const temps = () => fs.readdirSync(dir).filter((name) => name.endsWith('.creating'));

    it('makes the file whole under its name, mode 0600 whatever the umask, and leaves no temporary file', () => {
      const file = path.join(dir, 's.sqlite');
      const umask = process.umask(0);
      try {
        expect(
          createAtomically(file, (temp) => {
            // While it is being filled, the stack's name does not exist yet.
            expect(fs.existsSync(file)).to.equal(false);
            expect(mode(temp)).to.equal(0o600);
            fs.appendFileSync(temp, 'complete');
          }),
        ).to.equal(true);
      } finally {
        process.umask(umask);
      }
      expect(fs.readFileSync(file, 'utf8')).to.equal('complete');
      expect(mode(file)).to.equal(0o600);
      expect(temps()).to.deep.equal([]);
    });

    it('never replaces a file that appeared meanwhile: false, and the other file kept', () => {
      const file = path.join(dir, 's.sqlite');
      const result = createAtomically(file, (temp) => {
        fs.writeFileSync(file, 'the other deploy'); // another deploy won the race
        fs.appendFileSync(temp, 'mine');
      });
      expect(result).to.equal(false);
      expect(fs.readFileSync(file, 'utf8')).to.equal('the other deploy');
      expect(temps()).to.deep.equal([]);
    });

    it('leaves nothing when filling fails', () => {
      const file = path.join(dir, 's.sqlite');
      expect(() =>
        createAtomically(file, () => {
          throw new Error('interrupted');
        }),
      ).to.throw('interrupted');
      expect(fs.readdirSync(dir)).to.deep.equal([]);
    });

    it('removes the temporary files of deploys whose process is gone, never a live one', () => {
      const file = path.join(dir, 's.sqlite');
      const dead = path.join(dir, '.s.sqlite.999999999-ab12.creating');
      const deadWal = `${dead}-wal`;
      const live = path.join(dir, `.s.sqlite.${process.pid}-cd34.creating`);
      const other = path.join(dir, '.t.sqlite.999999999-ab12.creating');
      for (const f of [dead, deadWal, live, other]) fs.writeFileSync(f, '');
      removeStaleTempFiles(file);
      expect(fs.readdirSync(dir).sort()).to.deep.equal([path.basename(live), path.basename(other)].sort());
    });
  });

  it('restrictMode takes the group and others bits off the stack file and its side files', () => {
    const file = path.join(dir, 's.sqlite');
    fs.writeFileSync(file, '');
    fs.writeFileSync(`${file}-wal`, '');
    fs.chmodSync(file, 0o644);
    fs.chmodSync(`${file}-wal`, 0o666);
    restrictMode(file);
    expect(mode(file)).to.equal(0o600);
    expect(mode(`${file}-wal`)).to.equal(0o600);
  });

  it('removeStackFiles deletes the file and its side files, and refuses a directory', () => {
    const file = path.join(dir, 's.sqlite');
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.writeFileSync(f, '');
    expect(removeStackFiles(file)).to.equal(true);
    expect(fs.readdirSync(dir)).to.deep.equal([]);
    expect(removeStackFiles(file)).to.equal(false);
    fs.mkdirSync(file);
    expect(thrown(() => removeStackFiles(file))).to.include({ code: 'STACK_PATH' });
    expect(fs.statSync(file).isDirectory()).to.equal(true);
  });

  describe('FileIdentity', () => {
    it('tells a file deleted, or deleted and made again, from the one that was opened', () => {
      const file = path.join(dir, 's.sqlite');
      fs.writeFileSync(file, 'first');
      const held = fs.openSync(file, 'r'); // as a database connection holds it
      try {
        const identity = new FileIdentity(file);
        expect(identity.change()).to.equal(undefined);
        fs.rmSync(file);
        expect(identity.change()).to.equal('destroyed');
        fs.writeFileSync(file, 'second');
        expect(identity.change()).to.equal('replaced');
      } finally {
        fs.closeSync(held);
      }
    });
  });
});
