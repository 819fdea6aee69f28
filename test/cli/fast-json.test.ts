import { Flags, Parser } from '@oclif/core';
import { expect } from 'chai';
import { type FlagDefinition, parseFastJson } from '../../src/cli/fast-json.js';
import Aggregate from '../../src/commands/aggregate.js';
import Show from '../../src/commands/show.js';
import Status from '../../src/commands/status.js';

/** The flags a command parses with: its own, the base flags, and the --json oclif adds. */
const flagsOf = (command: typeof Show | typeof Status | typeof Aggregate) => ({
  ...command.baseFlags,
  ...command.flags,
  json: Flags.boolean({ description: 'Format output as json.' }),
});

const SELECTOR = ['json', 'target', 'stack-name', 'data-dir', 'region', 'profile', 'endpoint-url'];

async function withEnv<T>(env: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) if (key.startsWith('SENSORPIPE_')) delete process.env[key];
  Object.assign(process.env, env);
  try {
    return await body();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

const ARGVS: string[][] = [
  ['--json'],
  ['--json', '--target', 'local'],
  ['--target=local', '--json'],
  ['--json', '--target', 'local', '--stack-name', 's1', '--data-dir', '/tmp/d'],
  ['--json', '--target', 'local', '--data-dir=./rel dir', '--region', 'eu-west-1', '--profile', 'p'],
  ['--json', '--target', 'local', '--endpoint-url', 'http://127.0.0.1:4566'],
  ['--json', '--target', 'aws'],
  ['--json', '--target', 'gcp'],
  ['--json', '--target'],
  ['--json', '--target', 'local', '--target', 'aws'],
  ['--json', '--json'],
  ['--json', '--stack-name', '--target'],
  ['--json', '--stack-name='],
  ['--json', '--debug', '--target', 'local'],
  ['--json', '--watch', '5', '--target', 'local'],
  ['--json', '-h'],
  ['--json', 'extra'],
  ['--json', '--frobnicate'],
  ['--json=true'],
  ['--target', 'local'],
  ['--json', '--', '--target', 'local'],
];

const ENVS: Record<string, string>[] = [
  {},
  { SENSORPIPE_TARGET: 'local' },
  { SENSORPIPE_TARGET: 'local', SENSORPIPE_STACK: 'from-env', SENSORPIPE_DATA_DIR: '/env/dir' },
  { SENSORPIPE_TARGET: 'gcp' },
  { SENSORPIPE_TARGET: '' },
];

describe('cli/fast-json: the parser of the fast path agrees with oclif', () => {
  for (const command of [Show, Status, Aggregate]) {
    it(`${command.name.toLowerCase()}: whatever it takes, oclif parses to the same flags; what it is unsure of, it leaves to oclif`, async () => {
      const flags = flagsOf(command);
      let taken = 0;
      for (const env of ENVS) {
        for (const argv of ARGVS) {
          const label = `${JSON.stringify(env)} ${argv.join(' ')}`;
          await withEnv(env, async () => {
            const fast = parseFastJson(argv, flags as unknown as Record<string, FlagDefinition>);
            if (fast === undefined) return;
            taken++;
            const parsed = await Parser.parse(argv, { flags, strict: true });
            const values = parsed.flags as Record<string, unknown>;
            const selected = Object.fromEntries(
              SELECTOR.filter((name) => values[name] !== undefined).map((name) => [name, values[name]]),
            );
            expect(fast, label).to.deep.equal(selected);
            const others = Object.entries(parsed.flags).filter(
              ([name, value]) => !SELECTOR.includes(name) && value,
            );
            expect(others, label).to.deep.equal([]);
            expect(parsed.args, label).to.deep.equal({});
          });
        }
      }
      // It does take the common invocations.
      expect(taken).to.be.at.least(20);
    });
  }

  it('takes only --json invocations, and leaves --debug, other flags and arguments to oclif', () => {
    const flags = flagsOf(Aggregate) as unknown as Record<string, FlagDefinition>;
    const env = {};
    expect(parseFastJson(['--target', 'local'], flags, env)).to.equal(undefined);
    expect(parseFastJson(['--json', '--debug', '--target', 'local'], flags, env)).to.equal(undefined);
    expect(parseFastJson(['--json', '--watch', '5'], flags, env)).to.equal(undefined);
    expect(parseFastJson(['--json', 'extra'], flags, env)).to.equal(undefined);
    expect(parseFastJson(['--json', '--target', 'local'], flags, env)).to.deep.include({
      json: true,
      target: 'local',
      'stack-name': 'sensorpipe',
    });
  });
});
