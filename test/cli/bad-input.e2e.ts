/**
 * Bad input, as a table: each case runs the built CLI and must get one clear line (what is wrong and
 * what to do) on stderr, the documented non-zero exit code, no stack trace, and leave the stack's
 * data as it was. It exercises the whole path to src/cli/errors.ts, for every command.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { type FakeAwsMode, startFakeAwsEndpoint } from '../../testkit/aws/fake-aws-endpoint.js';
import { ensureBuilt } from '../../testkit/build.js';
import { lines, type RunResult, STACK_LINE } from '../../testkit/cli.js';
import { mkfifo, untilOpenedBy } from '../../testkit/fifo.js';
import { RAW_CONTROL } from '../../testkit/hostile.js';
import { mountTmpfs } from '../../testkit/mounts.js';
import { Sandbox } from '../../testkit/sandbox.js';
import { tableRows } from '../../testkit/table.js';

const AWS_CREDENTIALS = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
};

interface BadInput {
  name: string;
  /** Makes files or state; returns the command line (the stack arguments are added). */
  args: (box: Sandbox) => string[] | Promise<string[]>;
  exit: number;
  message: string;
  /** Lines on stderr: 1, or more where the skipped rows are reported before the error. */
  stderrLines?: number;
  /** Run on a stack of its own, in another data directory, or with another target / no target flags. */
  stack?: string;
  dataDir?: (box: Sandbox) => string;
  target?: 'aws' | null;
  env?: Record<string, string>;
  aws?: FakeAwsMode;
  skipAsRoot?: boolean;
  /** What else stdout must show (a stream's summary, printed before its error). */
  stdout?: RegExp;
  /**
   * A data directory on a disk in a given state (full, read-only), made for the case and removed
   * after it; unavailable where the machine cannot make one (the case then skips, saying why).
   */
  disk?: (box: Sandbox) => Promise<Disk | { unavailable: string }>;
  /**
   * Ctrl-C twice: once the command holds this file open (a FIFO it waits on), SIGINT and SIGTERM go
   * one right after the other; the exit code is checked, not an error line (a quit prints none).
   */
  interruptOnceOpen?: (box: Sandbox) => string;
}

interface Disk {
  dataDir: string;
  cleanup(): void;
}

/** A data directory on a 2 MiB tmpfs, with a stack deployed in it: `state` then fills the disk or makes it read-only. */
async function tmpfsStack(
  box: Sandbox,
  state: 'full-soon' | 'read-only',
): Promise<Disk | { unavailable: string }> {
  const mount = mountTmpfs(2048);
  if ('unavailable' in mount) return mount;
  const dataDir = path.join(mount.dir, 'data');
  await box.cli('deploy', [], { dataDir });
  if (state === 'read-only') mount.remountReadOnly();
  return { dataDir, cleanup: () => mount.unmount() };
}

/**
 * A data directory that cannot be written to: a read-only tmpfs as root (root writes through any
 * mode), a directory of mode 0500 otherwise; `deployed` puts a stack in it first.
 */
async function readOnlyDataDir(box: Sandbox, deployed: boolean): Promise<Disk | { unavailable: string }> {
  if (process.getuid?.() === 0) {
    const mount = mountTmpfs(2048);
    if ('unavailable' in mount) return mount;
    const dataDir = path.join(mount.dir, 'data');
    if (deployed) await box.cli('deploy', [], { dataDir });
    else fs.mkdirSync(dataDir);
    mount.remountReadOnly();
    return { dataDir, cleanup: () => mount.unmount() };
  }
  const dataDir = path.join(box.dir, `ro-${Math.random().toString(16).slice(2)}`);
  if (deployed) await box.cli('deploy', [], { dataDir });
  else fs.mkdirSync(dataDir);
  fs.chmodSync(dataDir, 0o500);
  return { dataDir, cleanup: () => fs.chmodSync(dataDir, 0o700) };
}

const csv = (box: Sandbox, name: string, content: string | Buffer) => {
  const file = path.join(box.dir, name);
  fs.writeFileSync(file, content);
  return file;
};
const stream = (file: string) => ['stream', '--once', '--interval-ms', '0', '--file', file];

const CASES: BadInput[] = [
  // The CSV file
  {
    name: 'an empty file',
    args: (b) => stream(csv(b, 'e.csv', '')),
    exit: 2,
    message: 'is empty. Pass a CSV file with a header row',
  },
  {
    name: 'a header only',
    args: (b) => stream(csv(b, 'h.csv', 'Name,County\n')),
    exit: 2,
    message: 'has a header but no data rows',
  },
  {
    name: 'no County column',
    args: (b) => stream(csv(b, 'n.csv', 'Name,Town\nA,B\n')),
    exit: 2,
    message: 'has no County column (columns found: "Name", "Town")',
  },
  {
    name: 'binary garbage',
    args: (b) =>
      stream(csv(b, 'g.bin', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 73 + 128) % 256)))),
    exit: 2,
    message: 'is not UTF-8 text',
  },
  {
    name: 'invalid UTF-8 (a Latin-1 file)',
    args: (b) => stream(csv(b, 'l.csv', Buffer.from('Name,County\nA,Erie\nB,St. Law\xe9rence\n', 'latin1'))),
    exit: 2,
    message: 'is not UTF-8 text (line 3 has bytes that are not). Save the file as UTF-8',
  },
  {
    name: 'an unclosed quote',
    args: (b) => stream(csv(b, 'q.csv', 'Name,County\n"A,Erie\nB,Kings\n')),
    exit: 2,
    message: 'at line 2: a quoted field that starts in this record is never closed',
  },
  {
    name: 'a 2 MB line',
    args: (b) => stream(csv(b, 'big.csv', `Name,County\n${'x'.repeat(2_000_000)},Erie\n`)),
    exit: 2,
    message: 'None of the 1 rows',
    stderrLines: 2,
  },
  {
    name: 'a 10,000-column row',
    args: (b) => stream(csv(b, 'wide.csv', `Name,County\n${Array(10_000).fill('x').join(',')}\n`)),
    exit: 2,
    message: 'None of the 1 rows',
    stderrLines: 2,
  },
  {
    name: 'a County over 256 characters',
    args: (b) => stream(csv(b, 'long.csv', `Name,County\nA,${'x'.repeat(300)}\n`)),
    exit: 2,
    message: 'None of the 1 rows',
    stderrLines: 2,
  },
  {
    name: 'Counties of NULs or controls only',
    args: (b) => stream(csv(b, 'nul.csv', 'Name,County\nA,"\u0000\u0000"\nB,\u001b\u0007\nC,"\u200b"\n')),
    exit: 2,
    message: 'None of the 3 rows',
    stderrLines: 4,
  },
  {
    name: 'a FIFO with no writer, then Ctrl-C twice',
    args: (b) => ['stream', '--once', '--file', mkfifo(path.join(b.dir, 'nowriter.fifo'))],
    interruptOnceOpen: (b) => path.join(b.dir, 'nowriter.fifo'),
    exit: 130,
    message: '',
  },
  {
    name: 'a directory as --file',
    args: (b) => stream(b.dir),
    exit: 2,
    message: 'is a directory, not a CSV file',
  },
  {
    name: 'a missing --file',
    args: (b) => stream(path.join(b.dir, 'nope.csv')),
    exit: 2,
    message: 'does not exist. Check the path',
  },
  {
    name: 'an unreadable --file',
    args: (b) => {
      const file = csv(b, 'secret.csv', 'Name,County\nA,Erie\n');
      fs.chmodSync(file, 0o000);
      return stream(file);
    },
    exit: 2,
    message: 'is not readable (permission denied)',
    skipAsRoot: true,
  },
  // Hostile strings in what an error quotes (test/cli/hostile.e2e.ts runs them through every command)
  {
    name: 'escape sequences in the header (a window title, bidi)',
    args: (b) => stream(csv(b, 'title.csv', 'Name,"\x1b]0;owned\x07Town\u202e"\nA,B\n')),
    exit: 2,
    // JSON quoting escapes the C0 controls, printable() the bidi override.
    message: '(columns found: "Name", "\\u001b]0;owned\\u0007Town\\u202e")',
  },
  {
    name: 'a --file path with escape sequences',
    args: (b) => stream(path.join(b.dir, '\x1b[2J\x1b[31m\u202eevil.csv')),
    exit: 2,
    message: '\\x1b[2J\\x1b[31m\\u202eevil.csv does not exist',
  },
  // Flag values
  {
    name: '--interval-ms -1',
    args: () => ['stream', '--interval-ms', '-1'],
    exit: 2,
    message: '--interval-ms',
  },
  {
    name: '--interval-ms abc',
    args: () => ['stream', '--interval-ms', 'abc'],
    exit: 2,
    message: '--interval-ms',
  },
  {
    name: '--limit 0',
    args: () => ['stream', '--limit', '0'],
    exit: 2,
    message: 'Expected a whole number at least 1',
  },
  { name: '--limit 1.5', args: () => ['stream', '--limit', '1.5'], exit: 2, message: '--limit' },
  { name: 'aggregate --watch 0', args: () => ['aggregate', '--watch', '0'], exit: 2, message: '--watch' },
  {
    name: 'aggregate --sort without --watch',
    args: () => ['aggregate', '--sort', 'name'],
    exit: 2,
    message: '--watch',
  },
  {
    name: 'aggregate --watch 1 --sort bogus',
    args: () => ['aggregate', '--watch', '1', '--sort', 'bogus'],
    exit: 2,
    message: 'count, name, change',
  },
  { name: 'verify --wait 0', args: () => ['verify', '--wait', '0'], exit: 2, message: '--wait' },
  {
    name: 'dead-letters --limit x',
    args: () => ['dead-letters', '--limit', 'x'],
    exit: 2,
    message: '--limit',
  },
  {
    name: 'an unknown flag',
    args: () => ['status', '--frobnicate'],
    exit: 2,
    message: 'Nonexistent flag: --frobnicate',
  },
  {
    name: 'an unknown target',
    args: () => ['status', '--target', 'gcp'],
    exit: 2,
    message: '--target',
    target: null,
  },
  {
    name: 'an invalid stack name',
    args: () => ['status', '--stack-name', 'bad name!'],
    exit: 2,
    message: 'Invalid stack name "bad name!"',
  },
  // Stack parameters
  {
    name: 'a batch size of 0',
    args: () => ['deploy', '--batch-size', '0'],
    exit: 2,
    message: '--batch-size',
  },
  {
    name: "a batch size over Lambda's 10,000",
    args: () => ['deploy', '--batch-size', '10001'],
    exit: 2,
    message: '--batch-size',
  },
  {
    name: 'a batch size over 10 without a batching window',
    args: () => ['deploy', '--batch-size', '20', '--batching-window', '0'],
    exit: 2,
    message: 'batching window',
  },
  {
    name: 'a window of 0',
    args: () => ['deploy', '--window-minutes', '0'],
    exit: 2,
    message: '--window-minutes',
  },
  {
    name: 'a TTL shorter than the window',
    args: () => ['deploy', '--event-ttl', '3', '--window-minutes', '5'],
    exit: 2,
    message: '--event-ttl 3 is shorter than',
  },
  {
    name: 'a bad schedule expression',
    args: () => ['deploy', '--schedule-expression', 'every minute'],
    exit: 2,
    message: 'every minute',
  },
  {
    name: 'a schedule faster than a minute',
    args: () => ['deploy', '--schedule-expression', 'rate(30 seconds)'],
    exit: 2,
    message: 'rate(30 seconds)',
  },
  {
    name: 'a schedule that never fires (February 31st)',
    args: () => ['deploy', '--schedule-expression', 'cron(0 0 31 2 ? *)'],
    exit: 2,
    message: 'never fires from now on',
  },
  {
    name: 'a schedule of a year gone by',
    args: () => ['deploy', '--schedule-expression', 'cron(0/1 * * * ? 2020)'],
    exit: 2,
    message: 'never fires from now on',
  },
  {
    name: 'a rate whose next run no date can hold',
    args: () => ['deploy', '--schedule-expression', 'rate(99999999999 days)'],
    exit: 2,
    message: 'never fires from now on',
  },
  {
    name: 'a schedule that fired once and never again',
    args: () => ['deploy', '--schedule-expression', 'cron(0 12 1 1 ? 2024)'],
    exit: 2,
    message: 'never fires from now on',
  },
  {
    name: '--queue-url on the local target',
    args: () => ['stream', '--queue-url', 'https://q'],
    exit: 2,
    message: '--queue-url is for --target aws',
  },
  {
    name: '--lambda-runtime on the local target',
    args: () => ['deploy', '--lambda-runtime', 'nodejs22.x'],
    exit: 2,
    message: '--lambda-runtime is for --target aws',
  },
  // The stack
  {
    name: 'a corrupted SQLite file',
    stack: 'corrupt',
    args: (b) => {
      fs.mkdirSync(b.dataDir, { recursive: true });
      fs.writeFileSync(path.join(b.dataDir, 'corrupt.sqlite'), Buffer.alloc(8192, 7));
      return ['status'];
    },
    exit: 3,
    message: 'is not a valid sensorpipe database (it may be corrupted)',
  },
  {
    name: 'a database written by a newer sensorpipe',
    stack: 'newer',
    args: async (b) => {
      await b.cli('deploy', [], { stack: 'newer' });
      const db = new Database(path.join(b.dataDir, 'newer.sqlite'));
      db.pragma('user_version = 99');
      db.close();
      return ['stream', '--once', '--file', csv(b, 'f.csv', 'Name,County\nA,Erie\n')];
    },
    exit: 3,
    message: 'was written by a newer sensorpipe',
  },
  // The environment: a full disk, a read-only one, paths that cannot hold a stack
  {
    name: 'a full disk (a 2 MiB tmpfs) under a stream: its summary, then the error',
    disk: (b) => tmpfsStack(b, 'full-soon'),
    args: (b) => ['stream', '--interval-ms', '0', '--file', b.fixture('loop.csv')],
    exit: 4,
    message: 'is full (SQLITE_',
    stdout: /^Stopped by an error: sent [\d,]+, skipped 0, failed [\d,]+/,
  },
  {
    name: 'a read-only data directory, on deploy',
    disk: (b) => readOnlyDataDir(b, false),
    args: () => ['deploy'],
    exit: 4,
    message: 'pass --data-dir with a writable directory, or make this one writable',
  },
  {
    name: 'a read-only data directory, on destroy',
    disk: (b) => readOnlyDataDir(b, true),
    args: () => ['destroy', '--yes'],
    exit: 4,
    message: 'Cannot write to',
  },
  {
    name: 'a read-only data directory, on stream',
    disk: (b) => readOnlyDataDir(b, true),
    args: (b) => stream(csv(b, 'f.csv', 'Name,County\nA,Erie\n')),
    exit: 4,
    message: 'Cannot write to',
  },
  {
    name: 'a stack path that is a directory',
    stack: 'isdir',
    args: (b) => {
      fs.mkdirSync(path.join(b.dataDir, 'isdir.sqlite'));
      return ['deploy'];
    },
    exit: 4,
    message: 'isdir.sqlite is a directory, so it cannot hold the stack',
  },
  {
    name: '--data-dir under /proc (Node 20 mkdirSync would spin there)',
    dataDir: () => '/proc/sensorpipe-bad-input/data',
    args: () => ['deploy'],
    exit: 4,
    message: 'is on proc, a virtual file system that holds no files',
  },
  {
    name: 'a foreign SQLite file at the stack path',
    stack: 'foreign',
    args: (b) => {
      const db = new Database(path.join(b.dataDir, 'foreign.sqlite'));
      db.exec('CREATE TABLE meta (k, v); CREATE TABLE users (name)');
      db.close();
      return ['deploy'];
    },
    exit: 3,
    message: 'is not a sensorpipe stack: it is another SQLite database',
  },
  {
    name: 'an empty stack file (a deploy killed by an older version)',
    stack: 'empty',
    args: (b) => {
      fs.writeFileSync(path.join(b.dataDir, 'empty.sqlite'), '');
      return ['status'];
    },
    exit: 3,
    message: 'is incomplete: a deploy was interrupted before it finished',
  },
  {
    name: 'a missing data directory',
    dataDir: (b) => path.join(b.dir, 'none'),
    args: (b) => stream(csv(b, 'f.csv', 'Name,County\nA,Erie\n')),
    exit: 3,
    message: 'is not deployed on the local target',
  },
  {
    name: 'a data directory that cannot be made (a file in its path)',
    dataDir: (b) => path.join(csv(b, 'a-file', 'x'), 'data'),
    args: () => ['deploy'],
    exit: 2,
    message: 'Pass --data-dir with a writable directory',
  },
  {
    name: 'stream on a stack that is not deployed',
    stack: 'undeployed',
    args: (b) => stream(csv(b, 'f.csv', 'Name,County\nA,Erie\n')),
    exit: 3,
    message: 'Stack "undeployed" is not deployed on the local target',
  },
  // AWS
  {
    name: 'AWS with no region',
    target: 'aws',
    args: () => ['status'],
    exit: 4,
    message: 'No AWS region is set',
  },
  {
    name: 'AWS with no credentials',
    target: 'aws',
    env: { AWS_REGION: 'us-east-1' },
    args: () => ['deploy'],
    exit: 4,
    message: 'No AWS credentials found',
  },
  {
    name: 'AWS access denied',
    target: 'aws',
    aws: 'access-denied',
    env: AWS_CREDENTIALS,
    args: () => ['status'],
    exit: 4,
    message:
      'AWS denied the request: User: arn:aws:iam::123456789012:user/dev is not authorized to perform: cloudformation:DescribeStacks',
  },
  {
    name: 'an expired AWS token',
    target: 'aws',
    aws: 'expired-token',
    env: AWS_CREDENTIALS,
    args: () => ['show'],
    exit: 4,
    message: 'Your AWS session has expired (ExpiredToken)',
  },
  {
    name: 'an AWS stack busy in another operation',
    target: 'aws',
    aws: 'busy',
    env: AWS_CREDENTIALS,
    args: () => ['deploy'],
    exit: 3,
    message: 'Stack "sensorpipe" is busy (UPDATE_IN_PROGRESS)',
  },
  // An --endpoint-url that is not an AWS API, for each service the commands call.
  ...(
    [
      ['status', 'not-aws', 'CloudFormation'],
      ['dead-letters', 'only-cloudformation', 'SQS'],
      ['show', 'only-cloudformation', 'DynamoDB'],
      ['aggregate', 'only-cloudformation', 'Lambda'],
      ['logs', 'only-cloudformation', 'CloudWatch Logs'],
    ] as const
  ).map(
    ([command, mode, service]): BadInput => ({
      name: `an --endpoint-url that answers ${service} with a web page (${command})`,
      target: 'aws',
      aws: mode,
      env: AWS_CREDENTIALS,
      args: () => [command],
      exit: 4,
      message: `does not answer as ${service} (is it LocalStack?): it sent HTTP 404, text/html.`,
    }),
  ),
];

describe("bad input (a table of the issue's cases, through the built CLI)", function () {
  this.timeout(60_000);
  let box: Sandbox;

  before(async function () {
    await ensureBuilt.call(this);
    box = new Sandbox();
    await box.cli('deploy');
  });

  after(() => box.remove());

  /** The deployed stack's data, to check that a bad input changed none of it. */
  async function stackData() {
    const status = JSON.parse((await box.cli('status', ['--json'])).stdout);
    return { eventsStored: status.eventsStored, queue: status.queue, parameters: status.parameters };
  }

  it(`has at least 30 cases (${CASES.length})`, () => {
    expect(CASES.length).to.be.at.least(30);
  });

  for (const c of CASES) {
    const outcome = c.interruptOnceOpen ? 'at once, not a hang' : 'one clear line';
    const exit = c.interruptOnceOpen ? `0 or ${c.exit}` : String(c.exit);
    it(`${c.name}: exit ${exit}, ${outcome}, no stack trace, the stack intact`, async function () {
      if (c.skipAsRoot && process.getuid?.() === 0) this.skip();
      const before = await stackData();
      const disk = await c.disk?.(box);
      if (disk && 'unavailable' in disk) {
        this.test!.title +=
          ` (skipped: ${disk.unavailable}; an injected SQLITE_FULL covers it in the unit specs)`;
        this.skip();
      }
      const endpoint = c.aws ? await startFakeAwsEndpoint(c.aws) : undefined;
      try {
        const [command, ...rest] = await c.args(box);
        const args = endpoint ? [...rest, '--endpoint-url', endpoint.url] : rest;
        const options = {
          stack: c.stack,
          dataDir: disk?.dataDir ?? c.dataDir?.(box),
          target: c.target === undefined ? 'local' : c.target,
          env: c.env,
        };
        if (c.interruptOnceOpen) {
          // The first signal may end the command before the second arrives (exit 0, which timing
          // decides: a FIFO read stops within milliseconds); never a hang, never a stack trace. That
          // a second Ctrl-C quits a first still at work is stream.e2e's slow-SQS spec.
          const running = box.startCli(command!, args, { ...options, timeoutMs: 20_000 });
          await untilOpenedBy(running.child.pid as number, c.interruptOnceOpen(box));
          running.child.kill('SIGINT');
          running.child.kill('SIGTERM');
          const result = await running.done;
          expect([0, c.exit], result.stderr).to.include(result.code);
          expect(result.wallMs).to.be.below(15_000);
          expect(result.stderr).to.not.match(STACK_LINE);
          expect(await stackData()).to.deep.equal(before);
          return;
        }
        const result: RunResult = await box.cli(command!, args, options);
        expect(result.code, result.stderr).to.equal(c.exit);
        const errorLines = lines(result.stderr);
        expect(errorLines, result.stderr).to.have.length(c.stderrLines ?? 1);
        expect(errorLines.at(-1)).to.match(/^Error: /);
        expect(errorLines.at(-1)).to.include(c.message);
        expect(result.stderr).to.not.match(STACK_LINE);
        // Whatever the message quotes (a path, a header, AWS's words), no raw control byte.
        expect(result.stderr).to.not.match(RAW_CONTROL);
        expect(result.stderr).to.not.include('not-a-real-secret');
        if (c.stdout) expect(result.stdout).to.match(c.stdout);
        if (c.aws) {
          // Even --debug, with the stack and the causes, shows no credential.
          const debug = await box.cli(command!, [...args, '--debug'], { target: 'aws', env: c.env });
          expect(debug.stderr).to.match(STACK_LINE);
          expect(debug.stderr).to.not.include('not-a-real-secret');
          expect(debug.stderr).to.not.include('AKIDEXAMPLE');
        }
      } finally {
        await endpoint?.close();
        disk?.cleanup();
      }
      expect(await stackData()).to.deep.equal(before);
    });
  }

  describe('many counties: a snapshot of 50,000 counties is printed, never hangs', () => {
    const COUNTIES = 50_000;
    before(async function () {
      this.timeout(120_000);
      const rows = Array.from({ length: COUNTIES }, (_, i) => `Creek ${i},County ${i}`);
      const file = csv(box, 'many.csv', `Name,County\n${rows.join('\n')}\n`);
      await box.cli('deploy', [], { stack: 'many' });
      const streamed = await box.cli('stream', ['--once', '--interval-ms', '0', '--file', file], {
        stack: 'many',
      });
      expect(streamed.code, streamed.stderr).to.equal(0);
    });

    for (const command of ['aggregate', 'show']) {
      it(`${command} --json: every county, nothing rendered (it built a table of all of them first)`, async () => {
        const result = await box.cli(command, ['--json'], { stack: 'many' });
        expect(result.code, result.stderr).to.equal(0);
        const snapshot = JSON.parse(result.stdout) as { total: number; counties: unknown[] };
        expect(snapshot.counties).to.have.length(COUNTIES);
        expect(snapshot.total).to.equal(COUNTIES);
      });

      it(`${command}: the largest counties, then one row for the rest, and the total`, async () => {
        const result = await box.cli(command, [], { stack: 'many' });
        expect(result.code, result.stderr).to.equal(0);
        const rows = tableRows(result.stdout);
        expect(rows.length).to.be.at.most(102);
        expect(rows.at(-2)?.[0]).to.match(/^\(49,9\d\d more counties\)$/);
        expect(rows.at(-1)?.slice(0, 2)).to.deep.equal(['Total', '50,000']);
        expect(result.stdout).to.include('50,000 counties');
      });
    }
  });
});
