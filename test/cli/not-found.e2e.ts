import { expect } from 'chai';
import { ensureBuilt } from '../../testkit/build.js';
import { run } from '../../testkit/cli.js';
import { expectOneLineError } from '../../testkit/expect.js';

describe('cli/not-found: did you mean, in the one-line error style', function () {
  this.timeout(60_000);

  before(ensureBuilt);

  it('suggests the command meant for a mistyped one, exit 2, one line', async () => {
    const result = await run(['strem', '--target', 'local']);
    expectOneLineError(
      result,
      2,
      'Error: "strem" is not a sensorpipe command. Did you mean: sensorpipe stream?',
    );
    expect(result.stdout).to.equal('');
    expectOneLineError(await run(['deplyo']), 2, 'Did you mean: sensorpipe deploy?');
    expectOneLineError(await run(['help', 'statsu']), 2, 'Did you mean: sensorpipe status?');
  });

  it('guesses nothing when no command is close, and points at the help', async () => {
    const result = await run(['xyzzy']);
    expectOneLineError(result, 2, 'Error: "xyzzy" is not a sensorpipe command. See: sensorpipe --help');
    expect(result.stderr).not.to.include('Did you mean');
  });

  it('suggests the flag meant for a mistyped one, on every command', async () => {
    expectOneLineError(
      await run(['stream', '--intervl-ms', '5']),
      2,
      'Error: Nonexistent flag: --intervl-ms. Did you mean --interval-ms? See: sensorpipe stream --help',
    );
    expectOneLineError(await run(['deploy', '--no-schedul']), 2, 'Did you mean --no-schedule?');
    expectOneLineError(await run(['status', '--stack-nmae', 'x']), 2, 'Did you mean --stack-name?');
  });

  it('with --json, prints the error envelope on stdout instead', async () => {
    for (const [args, message, suggestion] of [
      [['strem', '--json'], '"strem" is not a sensorpipe command.', 'Did you mean: sensorpipe stream?'],
      [['stream', '--intervl-ms', '5', '--json'], 'Did you mean --interval-ms?', undefined],
    ] as const) {
      const result = await run(args);
      expect(result.code).to.equal(2);
      expect(result.stderr).to.equal('');
      const { error } = JSON.parse(result.stdout) as {
        error: { code: string; message: string; suggestions: string[] };
      };
      expect(error.code).to.equal('USAGE');
      expect(error.message).to.include(message);
      if (suggestion) expect(error.suggestions).to.include(suggestion);
    }
  });
});
