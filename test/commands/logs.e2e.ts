import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { buildRoot } from '../../testkit/build.js';
import { jsonLines, lines, STACK_LINE } from '../../testkit/cli.js';
import { addLogLines, enqueueRaw, goodBody } from '../../testkit/dead-letters.js';
import { expectOneLineError } from '../../testkit/expect.js';
import { freshSandboxEachTest, type Sandbox } from '../../testkit/sandbox.js';

interface LogJson {
  function: string;
  timestamp: string;
  level: string | null;
  message: string;
  entry: { failed?: number; failures?: Record<string, string[]>; total?: number } | null;
}

describe('commands/logs', function () {
  this.timeout(60_000);
  let box: Sandbox;
  freshSandboxEachTest((b) => {
    box = b;
  });

  /** A stack whose storing function refused one message of a batch, then aggregated. */
  async function stackWithAFailure(stack?: string): Promise<void> {
    await box.cli('deploy', ['--batch-size', '10', '--batching-window', '0'], { stack });
    enqueueRaw(box.dataDir, [goodBody('Albany'), goodBody('Erie'), '{"broken":'], stack);
    const aggregated = await box.cli('aggregate', ['--json'], { stack });
    expect(aggregated.code, aggregated.stderr).to.equal(0);
  }

  it('shows what the functions logged, interleaved by time, with the reason a message was refused', async () => {
    await stackWithAFailure();
    const human = await box.cli('logs');
    expect(human.code, human.stderr).to.equal(0);
    const [storing, aggregation] = lines(human.stdout);
    expect(storing).to.match(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}storing {6}stored 2 of 3; 1 failed: message body is not JSON \(1: \d+\)$/,
    );
    expect(aggregation).to.match(/ {2}aggregation {2}aggregated 2 events in 2 counties, window ending /);
    expect(lines(human.stdout)).to.have.length(2);
    expect(human.stderr).to.equal('');

    const json = await box.cli('logs', ['--json']);
    const logged = jsonLines(json.stdout) as LogJson[];
    expect(logged.map((l) => [l.function, l.level])).to.deep.equal([
      ['storing', 'INFO'],
      ['aggregation', 'INFO'],
    ]);
    expect(logged[0]?.entry?.failed).to.equal(1);
    expect(Date.parse(logged[0]?.timestamp ?? '')).to.be.closeTo(Date.now(), 60_000);
    const [failedId] = logged[0]?.entry?.failures?.['message body is not JSON'] ?? [];

    // The failed message, found by its id: what dead-letters shows once it is dead-lettered.
    const found = await box.cli('logs', ['--function', 'storing', '--filter', `"${failedId}"`, '--json']);
    expect((jsonLines(found.stdout) as LogJson[]).map((l) => l.function)).to.deep.equal(['storing']);
    const aggregationOnly = await box.cli('logs', ['--function', 'aggregation', '--json']);
    expect((jsonLines(aggregationOnly.stdout) as LogJson[]).map((l) => l.entry?.total)).to.deep.equal([2]);
  });

  it('says so on stderr when nothing was logged since --since; --json prints nothing', async () => {
    await stackWithAFailure();
    const later = await box.cli('logs', ['--since', new Date(Date.now() + 60_000).toISOString()]);
    expect(later.code).to.equal(0);
    expect(later.stdout).to.equal('');
    expect(later.stderr).to.match(/^No lines logged by the functions of stack "sensorpipe" since \S+Z\.\n$/);
    const none = await box.cli('logs', ['--filter', 'no such text', '--json']);
    expect(none).to.include({ code: 0, stdout: '', stderr: '' });
  });

  it('refuses a bad --since or --function (exit 2), and a stack that is not deployed (exit 3, how to deploy it)', async () => {
    expectOneLineError(await box.cli('logs', ['--since', 'yesterday']), 2, 'Parsing --since');
    expectOneLineError(await box.cli('logs', ['--function', 'store']), 2, 'storing, aggregation');
    const missing = await box.cli('logs', [], { stack: 'elsewhere' });
    expectOneLineError(
      missing,
      3,
      `sensorpipe deploy --target local --stack-name elsewhere --data-dir ${box.dataDir}`,
    );
  });

  it('--follow: the history, then what another process logs, one JSON object per line; Ctrl-C ends it with exit 0', async () => {
    await stackWithAFailure();
    const follow = box.startCli('logs', ['--follow', '--json']);
    await follow.waitFor(/"aggregation"[^\n]*\n/);
    const aggregated = await box.cli('aggregate');
    expect(aggregated.code).to.equal(0);
    await follow.waitFor(/"aggregation"[^\n]*\n[\s\S]*"aggregation"[^\n]*\n/);
    follow.child.kill('SIGINT');
    const result = await follow.done;
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stderr).to.equal('');
    const logged = jsonLines(result.stdout) as LogJson[];
    expect(logged.map((l) => l.function)).to.deep.equal(['storing', 'aggregation', 'aggregation']);
  });

  it('--follow into a reader that goes away (| head) ends quietly with exit 0', async function () {
    // The EPIPE policy of every command is the terminal branch's (src/cli/output.ts); logs relies on it.
    if (!existsSync(path.join(await buildRoot(), 'dist', 'src', 'cli', 'output.js'))) this.skip(); // until src/cli/output.ts (a closed pipe ends any command quietly) has landed
    await box.cli('deploy');
    addLogLines(
      box.dataDir,
      Array.from({ length: 5_000 }, (_, i) => ({ function: 'storing' as const, message: `line ${i}` })),
    );
    // In bash, as `logs --follow | head -n 3`; the exit code is the CLI's, not head's.
    const result = await box.cli('logs', ['--follow'], {
      prefix: ['bash', '-c', `"$@" | head -n 3; exit "\${PIPESTATUS[0]}"`, 'pipeline'],
    });
    expect(result.code, result.stderr).to.equal(0);
    expect(lines(result.stdout)).to.have.length(3);
    expect(result.stderr).to.not.match(STACK_LINE);
  });
});
