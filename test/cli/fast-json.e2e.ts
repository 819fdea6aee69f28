import path from 'node:path';
import { expect } from 'chai';
import { ensureBuilt } from '../../testkit/build.js';
import { loadedModules, moduleListOptions, type RunResult, run, runWithOclif } from '../../testkit/cli.js';
import { addDeadLetters } from '../../testkit/dead-letters.js';
import { Sandbox } from '../../testkit/sandbox.js';

/**
 * A run's output with what depends on the moment masked (times, ages): two runs, a second apart,
 * aggregate and look at the clock at two moments.
 */
const masked = (result: RunResult) => ({
  code: result.code,
  stderr: result.stderr,
  stdout: result.stdout
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>')
    .replace(/("oldestDeadLetterAgeSeconds":)\d+/g, '$1<age>'),
});

describe('cli/fast-json: show, status and aggregate --json without oclif print what the commands print', function () {
  this.timeout(120_000);
  let box: Sandbox;

  before(ensureBuilt);

  beforeEach(() => {
    box = new Sandbox('sp-fast-json-');
  });

  afterEach(() => {
    box.remove();
  });

  /** Runs each invocation on the fast path (bin/run.js) and on oclif's, and compares them. */
  async function expectSame(invocations: string[][], env: Record<string, string> = {}): Promise<void> {
    for (const args of invocations) {
      const [fast, oclif] = await Promise.all([run(args, { env }), runWithOclif(args, { env })]);
      expect(masked(fast), args.join(' ')).to.deep.equal(masked(oclif));
    }
  }

  const each = (...extra: string[]) =>
    ['show', 'status', 'aggregate'].map((command) => [
      command,
      '--json',
      '--target',
      'local',
      '--data-dir',
      box.dataDir,
      ...extra,
    ]);

  it('on a stack that is not deployed, then deployed with nothing aggregated, then with a snapshot and dead letters', async () => {
    await expectSame(each());
    expect((await box.cli('deploy', ['--json'])).code).to.equal(0);
    await expectSame([each()[0] as string[], each()[1] as string[]]);
    const file = box.fixture();
    expect(
      (await box.cli('stream', ['--once', '--interval-ms', '0', '--file', file, '--json'])).code,
    ).to.equal(0);
    await expectSame(each());
    addDeadLetters(box.dataDir, [{ body: 'not json', error: 'Unexpected token' }, { body: '{}' }]);
    await expectSame(each());
    const status = JSON.parse((await run(each()[1] as string[])).stdout) as {
      queue: { deadLetters: number };
    };
    expect(status.queue.deadLetters).to.equal(2);
  });

  it('with the stack chosen by the environment and by --flag=value, and with a name that is refused', async () => {
    await box.cli('deploy', ['--stack-name', 'other']);
    await expectSame(
      [
        ['show', '--json', '--stack-name=other'],
        ['status', '--json', '--stack-name', 'other', '--data-dir', box.dataDir],
        ['show', '--json', '--target=local', '--stack-name', 'bad name!'],
      ],
      { SENSORPIPE_TARGET: 'local', SENSORPIPE_DATA_DIR: box.dataDir },
    );
  });

  it('loads no oclif, renderer, AWS SDK or CSV reader, and leaves what it does not take to oclif', async () => {
    await box.cli('deploy');
    const NODE_OPTIONS = await moduleListOptions();
    const unused = [
      path.join('@oclif', 'core'),
      'cli-table3',
      `${path.sep}ora${path.sep}`,
      '@aws-sdk',
      'csv-parse',
      path.join('dist', 'src', 'render'),
      'csv-thread',
    ];
    for (const args of each()) {
      const result = await run(args, { env: { NODE_OPTIONS } });
      expect(result.code, args.join(' ')).to.equal(0);
      const loaded = loadedModules(result);
      expect(loaded.some((file) => file.includes('better-sqlite3'))).to.equal(true);
      for (const name of unused)
        expect(
          loaded.filter((file) => file.includes(name)),
          name,
        ).to.deep.equal([]);
    }
    // --debug, and a human table, go through oclif.
    for (const args of [
      each('--debug')[0] as string[],
      ['show', '--target', 'local', '--data-dir', box.dataDir],
    ]) {
      const result = await run(args, { env: { NODE_OPTIONS } });
      expect(loadedModules(result).some((file) => file.includes(path.join('@oclif', 'core')))).to.equal(true);
    }
  });
});
