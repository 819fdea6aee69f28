import { Flags, Parser } from '@oclif/core';
import { expect } from 'chai';
import { commandNotFound, debugEnabled, formatError } from '../../src/cli/errors.js';
import { integerFlag, numberFlag } from '../../src/cli/flags.js';
import {
  EnvironmentError,
  ExitCode,
  InputError,
  StackStateError,
  UsageError,
} from '../../src/core/errors.js';

/** The error oclif's parser throws for these argv and flags. */
async function parseError(
  argv: string[],
  flags: Parameters<typeof Parser.parse>[1]['flags'],
): Promise<Error> {
  try {
    await Parser.parse(argv, { flags, strict: true });
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the parser to throw');
}

describe('cli/errors', () => {
  describe('formatError for sensorpipe errors', () => {
    it('is one line with the suggestions appended, and the error exit code', () => {
      const error = new StackStateError('Stack "s" is not deployed.', 'NOT_DEPLOYED', {
        suggestions: ['Run: sensorpipe deploy --target local --stack-name s', 'Or pick another stack.'],
      });
      const formatted = formatError(error, 'stream');
      expect(formatted.line).to.equal(
        'Stack "s" is not deployed. Run: sensorpipe deploy --target local --stack-name s Or pick another stack.',
      );
      expect(formatted.line).not.to.include('\n');
      expect(formatted.exitCode).to.equal(3);
      expect(formatted.json).to.deep.equal({
        error: {
          code: 'NOT_DEPLOYED',
          message: 'Stack "s" is not deployed.',
          suggestions: ['Run: sensorpipe deploy --target local --stack-name s', 'Or pick another stack.'],
          exitCode: 3,
        },
      });
    });

    it('maps each kind of user error to its exit code', () => {
      expect(formatError(new UsageError('bad flag')).exitCode)
        .to.equal(ExitCode.usage)
        .and.equal(2);
      expect(formatError(new InputError('bad file')).exitCode).to.equal(2);
      expect(formatError(new StackStateError('gone')).exitCode).to.equal(3);
      expect(formatError(new EnvironmentError('no aws')).exitCode).to.equal(4);
      expect(formatError(new InputError('bad file')).json.error.code).to.equal('INPUT');
    });

    it('keeps the stack and the causes for --debug only', () => {
      const cause = new Error('ENOENT: no such file');
      const formatted = formatError(new InputError('missing.csv does not exist.', { cause }));
      expect(formatted.line).to.equal('missing.csv does not exist.');
      expect(formatted.detail).to.match(/^\s+at /m);
      expect(formatted.detail).to.include('caused by: ENOENT: no such file');
    });
  });

  describe('formatError for oclif parse errors', () => {
    it('keeps the first line and points at the command help, exit 2', async () => {
      const error = await parseError(['--bogus'], {});
      const formatted = formatError(error, 'stream');
      expect(formatted.line).to.equal('Nonexistent flag: --bogus. See: sensorpipe stream --help');
      expect(formatted.exitCode).to.equal(2);
      expect(formatted.json.error).to.include({ code: 'USAGE', exitCode: 2 });
    });

    it("says what the flags' relations want (dependsOn, exclusive, exactlyOne), every reason on the one line", async () => {
      const watch = Flags.integer();
      const cases: [string[], Parameters<typeof Parser.parse>[1]['flags'], string][] = [
        [
          ['--sort', 'name'],
          { watch, sort: Flags.string({ dependsOn: ['watch'] }) },
          'All of the following must be provided when using --sort: --watch',
        ],
        [
          ['--watch', '1', '--json'],
          { watch, json: Flags.boolean({ exclusive: ['watch'] }) },
          '--watch=1 cannot also be provided when using --json',
        ],
        [
          ['--a', 'x', '--b', 'y'],
          { a: Flags.string({ exactlyOne: ['a', 'b'] }), b: Flags.string({ exactlyOne: ['a', 'b'] }) },
          '--b cannot also be provided when using --a',
        ],
      ];
      for (const [argv, flags, reason] of cases) {
        const formatted = formatError(await parseError(argv, flags), 'aggregate');
        expect(formatted.line, argv.join(' ')).to.include(reason);
        expect(formatted.line).not.to.match(/occurred:|\n/);
        expect(formatted.line).to.match(/\. See: sensorpipe aggregate --help$/);
        expect(formatted.exitCode).to.equal(2);
      }
      // Two failures at once: both said, one after the other.
      const both = await parseError(['--sort', 'name', '--order', 'x'], {
        watch,
        sort: Flags.string({ dependsOn: ['watch'] }),
        order: Flags.string({ dependsOn: ['watch'] }),
      });
      const line = formatError(both, 'aggregate').line;
      expect(line).to.include('--sort: --watch').and.to.include('--order: --watch');
      expect(line.split('; ')).to.have.length(2);
    });

    it('names the flag and the reason of an option outside its choices', async () => {
      const error = await parseError(['--target', 'gcp'], {
        target: Flags.option({ options: ['local', 'aws'] as const })(),
      });
      const formatted = formatError(error, 'deploy');
      expect(formatted.line).to.equal(
        'Expected --target=gcp to be one of: local, aws. See: sensorpipe deploy --help',
      );
      expect(formatted.exitCode).to.equal(2);
    });

    it('reports a value our own flag parsers reject as a usage error on one line, with the flag and the reason', async () => {
      const interval = await parseError(['--interval-ms', '-1'], {
        'interval-ms': numberFlag({ description: 'd', min: 0 }),
      });
      const formatted = formatError(interval, 'stream');
      expect(formatted.exitCode).to.equal(2);
      expect(formatted.line).to.equal(
        'Parsing --interval-ms: Expected a number of at least 0 but received: -1. See: sensorpipe stream --help',
      );
      const limit = formatError(
        await parseError(['--limit', '0'], { limit: integerFlag({ description: 'd', min: 1 }) }),
        'stream',
      );
      expect(limit.exitCode).to.equal(2);
      expect(limit.line).to.match(/^Parsing --limit: Expected a whole number at least 1 but received: 0\./);
      expect(limit.line).not.to.include('\n');
    });

    it('names the flag an unknown one was meant to be, from the flags the command has', async () => {
      const flags = {
        'interval-ms': numberFlag({ description: 'd', min: 0 }),
        schedule: Flags.boolean({ allowNo: true }),
        yes: Flags.boolean({ char: 'y' }),
      };
      const cases: [string[], string][] = [
        [['--intervl-ms', '3'], '--interval-ms'],
        [['--interval-m=3'], '--interval-ms'],
        [['--no-schedul'], '--no-schedule'],
        [['--shcedule'], '--schedule'],
        [['--ys'], '--yes'],
      ];
      for (const [argv, meant] of cases) {
        const formatted = formatError(await parseError(argv, flags), 'deploy');
        expect(formatted.line, argv.join(' ')).to.equal(
          `Nonexistent flag: ${argv[0]}. Did you mean ${meant}? See: sensorpipe deploy --help`,
        );
        expect(formatted.exitCode).to.equal(2);
      }
      // Nothing close: no guess.
      expect(formatError(await parseError(['--frobnicate'], flags), 'deploy').line).to.equal(
        'Nonexistent flag: --frobnicate. See: sensorpipe deploy --help',
      );
    });

    it('points at the top-level help without a command', async () => {
      const formatted = formatError(await parseError(['--bogus'], {}));
      expect(formatted.line).to.equal('Nonexistent flag: --bogus. See: sensorpipe --help');
    });
  });

  describe('commandNotFound', () => {
    const ids = ['aggregate', 'deploy', 'destroy', 'show', 'status', 'stream'];

    it('names the command meant, as a usage error (exit 2) with the help to see', () => {
      const formatted = formatError(commandNotFound('strem', ids));
      expect(formatted.line).to.equal(
        '"strem" is not a sensorpipe command. Did you mean: sensorpipe stream? See: sensorpipe --help',
      );
      expect(formatted.exitCode).to.equal(2);
      expect(formatted.json.error).to.deep.equal({
        code: 'USAGE',
        message: '"strem" is not a sensorpipe command.',
        suggestions: ['Did you mean: sensorpipe stream?', 'See: sensorpipe --help'],
        exitCode: 2,
      });
      expect(formatError(commandNotFound('deplyo', ids)).line).to.include('Did you mean: sensorpipe deploy?');
    });

    it('guesses nothing when no command is close', () => {
      expect(formatError(commandNotFound('xyzzy', ids)).line).to.equal(
        '"xyzzy" is not a sensorpipe command. See: sensorpipe --help',
      );
    });
  });

  describe('formatError for anything else', () => {
    it('says it is unexpected, exit 1, with the stack kept for --debug', () => {
      const formatted = formatError(
        new TypeError("Cannot read properties of undefined (reading 'x')"),
        'aggregate',
      );
      expect(formatted.line).to.match(/^Unexpected error: Cannot read properties of undefined/);
      expect(formatted.line).to.include('--debug');
      expect(formatted.line).not.to.include('\n');
      expect(formatted.exitCode).to.equal(1);
      expect(formatted.json.error.code).to.equal('INTERNAL');
      expect(formatted.detail).to.match(/^TypeError: Cannot read/);
      expect(formatted.detail).to.match(/^\s+at /m);
    });

    it('copes with a thrown value that is not an Error', () => {
      const formatted = formatError('just a string');
      expect(formatted.line).to.match(/^Unexpected error: just a string/);
      expect(formatted.exitCode).to.equal(1);
      expect(formatted.detail).to.equal('just a string');
    });
  });

  describe('debugEnabled', () => {
    it('is on with --debug', () => {
      expect(debugEnabled(['--target', 'local', '--debug'], {})).to.equal(true);
      expect(debugEnabled(['--target', 'local'], {})).to.equal(false);
    });

    it('is on with DEBUG=sensorpipe, sensorpipe* or sensorpipe:… among other namespaces', () => {
      for (const value of [
        'sensorpipe',
        'sensorpipe*',
        'sensorpipe:*',
        'express,sensorpipe*',
        'a, sensorpipe',
      ])
        expect(debugEnabled([], { DEBUG: value }), value).to.equal(true);
    });

    it('is off for other namespaces', () => {
      for (const value of ['', 'express', 'sensorpipes', 'mysensorpipe', 'oclif:*'])
        expect(debugEnabled([], { DEBUG: value }), value).to.equal(false);
      expect(debugEnabled([], {})).to.equal(false);
    });
  });
});
