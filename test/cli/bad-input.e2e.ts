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
import { Sandbox } from '../../testkit/sandbox.js';

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
  {
    name: 'a read-only data directory',
    dataDir: (b) => {
      const dir = path.join(b.dir, 'ro');
      fs.mkdirSync(dir, { mode: 0o500 });
      return path.join(dir, 'data');
    },
    args: () => ['deploy'],
    exit: 2,
    message: 'Pass --data-dir with a writable directory',
    skipAsRoot: true,
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
    it(`${c.name}: exit ${c.exit}, one clear line, no stack trace, the stack intact`, async function () {
      if (c.skipAsRoot && process.getuid?.() === 0) this.skip();
      const before = await stackData();
      const endpoint = c.aws ? await startFakeAwsEndpoint(c.aws) : undefined;
      try {
        const [command, ...rest] = await c.args(box);
        const args = endpoint ? [...rest, '--endpoint-url', endpoint.url] : rest;
        const result: RunResult = await box.cli(command!, args, {
          stack: c.stack,
          dataDir: c.dataDir?.(box),
          target: c.target === undefined ? 'local' : c.target,
          env: c.env,
        });
        expect(result.code, result.stderr).to.equal(c.exit);
        const errorLines = lines(result.stderr);
        expect(errorLines, result.stderr).to.have.length(c.stderrLines ?? 1);
        expect(errorLines.at(-1)).to.match(/^Error: /);
        expect(errorLines.at(-1)).to.include(c.message);
        expect(result.stderr).to.not.match(STACK_LINE);
        expect(result.stderr).to.not.include('not-a-real-secret');
        if (c.aws) {
          // Even --debug, with the stack and the causes, shows no credential.
          const debug = await box.cli(command!, [...args, '--debug'], { target: 'aws', env: c.env });
          expect(debug.stderr).to.match(STACK_LINE);
          expect(debug.stderr).to.not.include('not-a-real-secret');
          expect(debug.stderr).to.not.include('AKIDEXAMPLE');
        }
      } finally {
        await endpoint?.close();
      }
      expect(await stackData()).to.deep.equal(before);
    });
  }
});
