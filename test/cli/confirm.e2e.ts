/**
 * The questions of destroy and deploy on a real pseudo-terminal (util-linux `script`): Ctrl-C at the
 * question cancels, changes nothing and exits 130; Ctrl-D is no; y goes on. Skipped where `script`
 * is missing (it comes with util-linux, as on the CI image).
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { type FakeAwsEndpoint, startFakeAwsEndpoint } from '../../testkit/aws/fake-aws-endpoint.js';
import { buildRoot } from '../../testkit/build.js';
import { STACK_LINE } from '../../testkit/cli.js';
import { childEnv } from '../../testkit/env.js';
import { freshSandboxEachTest, type Sandbox } from '../../testkit/sandbox.js';

const hasScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;

const shellWord = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the built CLI on a terminal, and once it asks ([y/N]) types `keys`. What the terminal showed
 * (stdout and stderr together, as a terminal shows them) and the exit code.
 */
async function answer(
  args: string[],
  keys: string,
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number | null; screen: string }> {
  const bin = path.join(await buildRoot(), 'bin', 'run.js');
  const command = [process.execPath, bin, ...args].map(shellWord).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: options.cwd,
    env: childEnv({ CI: '', ...options.env }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  let typed = false;
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    screen += chunk;
    if (!typed && screen.includes('[y/N] ')) {
      typed = true;
      child.stdin.write(keys);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    screen += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  expect(typed, `never asked:\n${screen}`).to.equal(true);
  return { code, screen: screen.replace(/\r/g, '') };
}

(hasScript ? describe : describe.skip)('a question on a terminal: Ctrl-C cancels (script)', function () {
  this.timeout(60_000);
  let box: Sandbox;
  freshSandboxEachTest(async (b) => {
    box = b;
    await box.cli('deploy');
  });

  const destroy = () => ['destroy', ...box.stackArgs()];

  it('destroy, Ctrl-C: "Cancelled", nothing deleted, exit 130 (it was "Unexpected error: Aborted with Ctrl+C")', async () => {
    const { code, screen } = await answer(destroy(), '\x03', { cwd: box.dir });
    expect(code, screen).to.equal(130);
    expect(screen).to.match(/\[y\/N\] .*\nError: Cancelled: nothing was changed\.\n$/);
    expect(screen).to.not.include('Unexpected');
    expect(screen).to.not.match(STACK_LINE);
    expect(box.databaseExists()).to.equal(true);
  });

  it('destroy, Ctrl-D: no answer is no (exit 2, nothing deleted); y: destroyed', async () => {
    const eof = await answer(destroy(), '\x04', { cwd: box.dir });
    expect(eof.code, eof.screen).to.equal(2);
    expect(eof.screen).to.match(/\[y\/N\] .*\nError: Not destroyed: confirmation declined\.\n$/);
    expect(box.databaseExists()).to.equal(true);
    const yes = await answer(destroy(), 'y\r', { cwd: box.dir });
    expect(yes.code, yes.screen).to.equal(0);
    expect(yes.screen).to.include('Destroyed stack "sensorpipe"');
    expect(box.databaseExists()).to.equal(false);
  });

  describe('deploy on AWS, asked before a table is replaced', () => {
    let endpoint: FakeAwsEndpoint;

    beforeEach(async () => {
      endpoint = await startFakeAwsEndpoint('replacing');
    });

    afterEach(() => endpoint.close());

    it('Ctrl-C: "Cancelled", the change set deleted and never executed, exit 130', async () => {
      const { code, screen } = await answer(
        [
          'deploy',
          '--target',
          'aws',
          '--region',
          'us-east-1',
          '--endpoint-url',
          endpoint.url,
          '--batch-size',
          '10',
        ],
        '\x03',
        {
          cwd: box.dir,
          env: { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'not-a-real-secret' },
        },
      );
      expect(code, screen).to.equal(130);
      expect(screen).to.include('This deploy would delete EventsTable (AWS::DynamoDB::Table, replaced)');
      expect(screen).to.match(/\nError: Cancelled: nothing was changed\.\n$/);
      expect(endpoint.actions).to.include('DeleteChangeSet');
      expect(endpoint.actions).to.not.include('ExecuteChangeSet');
    });
  });
});
