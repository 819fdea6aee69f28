/**
 * A reader that closes our output early (`| head`) ends any command quietly with exit 0, like
 * `yes | head`, through the built CLI in a real shell pipeline; a stream still stores what it
 * queued. One policy for every command: src/cli/output.ts.
 */
import { expect } from 'chai';
import { ensureBuilt } from '../../testkit/build.js';
import { lines, type RunResult, run, STACK_LINE, sleep } from '../../testkit/cli.js';
import { Sandbox } from '../../testkit/sandbox.js';

/** Runs the CLI as `cli | reader` in bash; the exit code is the CLI's, not the reader's. */
function pipedInto(reader: string, options: { stderrToo?: boolean } = {}): string[] {
  return [
    'bash',
    '-c',
    `"$@" ${options.stderrToo ? '2>&1 ' : ''}| ${reader}; exit "\${PIPESTATUS[0]}"`,
    'pipeline',
  ];
}

/** A reader that is gone before the CLI writes anything. */
const GONE = '(exec 0<&-; true)';

function expectQuietExit(result: RunResult): void {
  expect(result.code, result.stderr).to.equal(0);
  expect(result.stderr).not.to.match(/EPIPE|Error|Unexpected/);
  expect(result.stderr).not.to.match(STACK_LINE);
}

describe('a closed stdout or stderr (EPIPE) ends a command quietly, exit 0', function () {
  this.timeout(90_000);
  let box: Sandbox;
  let file: string;

  before(async function () {
    await ensureBuilt.call(this);
    box = new Sandbox();
    // An empty County every few rows: a note on stderr for each, as long as notes are shown.
    file = box.fixture('rivers.csv', { emptyCounty: 3 });
    await box.cli('deploy');
    await box.cli('stream', ['--once', '--interval-ms', '0', '--file', file]);
  });

  after(() => box.remove());

  async function queueDrained(): Promise<{ eventsStored: number }> {
    const status = JSON.parse((await box.cli('status', ['--json'])).stdout);
    expect(status.queue.visible, 'left in the queue').to.equal(0);
    expect(status.queue.inFlight, 'left in flight').to.equal(0);
    return status;
  }

  it('aggregate --watch 1 | head -n 3: ends once head has its lines (it never did)', async () => {
    const result = await box.cli('aggregate', ['--watch', '1'], { prefix: pipedInto('head -n 3') });
    expectQuietExit(result);
    expect(lines(result.stdout)).to.have.length(3);
  });

  it('aggregate --watch 1 --json | head -n 2: the same with one snapshot per line', async () => {
    const result = await box.cli('aggregate', ['--watch', '1', '--json'], { prefix: pipedInto('head -n 2') });
    expectQuietExit(result);
    expect(lines(result.stdout).map((l) => JSON.parse(l).total)).to.have.length(2);
  });

  it('stream 2>&1 | head -n 2: an endless stream stops when its notes have no reader, and stores what it queued', async () => {
    const before = (await queueDrained()).eventsStored;
    const result = await box.cli('stream', ['--interval-ms', '2', '--file', file], {
      prefix: pipedInto('head -n 2', { stderrToo: true }),
    });
    expectQuietExit(result);
    expect(lines(result.stdout)).to.have.length(2);
    for (const line of lines(result.stdout)) expect(line).to.match(/^Skipped line \d+: empty County$/);
    expect((await queueDrained()).eventsStored).to.be.above(before);
  });

  it('stream | a reader that is gone, then Ctrl-C: stops in order, the summary goes nowhere, exit 0', async () => {
    const before = (await queueDrained()).eventsStored;
    const running = box.startCli('stream', ['--interval-ms', '2', '--file', file]);
    // The reader leaves: our end of the pipe closes before the stream writes its summary there.
    running.child.stdout?.destroy();
    await running.waitFor(/Skipped line/, 'stderr');
    await sleep(500);
    running.child.kill('SIGINT');
    const result = await running.done;
    expectQuietExit(result);
    expect(result.stderr).to.include('Stopping: finishing in-flight work');
    expect((await queueDrained()).eventsStored).to.be.above(before);
  });

  for (const command of [
    ['--version'],
    ['status'],
    ['show'],
    ['aggregate'],
    ['aggregate', '--json'],
    ['dead-letters'],
    ['deploy'],
    ['template'],
    ['stream', '--once', '--interval-ms', '0', '--file', 'rivers.csv'],
    ['stream', '--once', '--interval-ms', '0', '--file', 'rivers.csv', '--json'],
  ]) {
    it(`${command.join(' ')} | a reader that is gone: exit 0, nothing on stderr but its own notes`, async () => {
      const [name, ...rest] = command as [string, ...string[]];
      // --version and template work on no stack.
      const result =
        name === '--version' || name === 'template'
          ? await run(command, { prefix: pipedInto(GONE), cwd: box.dir })
          : await box.cli(name, rest, { prefix: pipedInto(GONE) });
      expectQuietExit(result);
    });
  }
});
