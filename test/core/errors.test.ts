import { expect } from 'chai';
import {
  causeChain,
  EnvironmentError,
  ExitCode,
  InputError,
  InvalidEventError,
  isSensorpipeError,
  SensorpipeError,
  StackStateError,
  UsageError,
} from '../../src/core/errors.js';

describe('core/errors', () => {
  describe('exit codes', () => {
    it('uses the documented process exit codes', () => {
      expect(ExitCode).to.deep.equal({
        ok: 0,
        failed: 1,
        usage: 2,
        state: 3,
        environment: 4,
        interrupted: 130,
      });
    });

    const cases: Array<[string, SensorpipeError, string, number]> = [
      ['UsageError', new UsageError('bad flag'), 'USAGE', 2],
      ['InputError', new InputError('bad csv'), 'INPUT', 2],
      ['StackStateError', new StackStateError('not deployed'), 'STACK_STATE', 3],
      ['EnvironmentError', new EnvironmentError('offline'), 'ENVIRONMENT', 4],
    ];
    for (const [name, error, code, exitCode] of cases) {
      it(`${name} exits with ${exitCode} and code ${code}`, () => {
        expect(error.exitCode).to.equal(exitCode);
        expect(error.code).to.equal(code);
        expect(error.name).to.equal(name);
        expect(error).to.be.instanceOf(SensorpipeError);
        expect(error).to.be.instanceOf(Error);
        expect(isSensorpipeError(error)).to.equal(true);
      });
    }

    it('lets state and environment errors carry their own code', () => {
      expect(new StackStateError('too new', 'STACK_TOO_NEW').code).to.equal('STACK_TOO_NEW');
      expect(new StackStateError('too new', 'STACK_TOO_NEW').exitCode).to.equal(ExitCode.state);
      expect(new EnvironmentError('no creds', 'NO_CREDENTIALS').code).to.equal('NO_CREDENTIALS');
      expect(new EnvironmentError('no creds', 'NO_CREDENTIALS').exitCode).to.equal(ExitCode.environment);
    });
  });

  describe('details', () => {
    it('keeps suggestions and the cause', () => {
      const cause = new Error('ENOENT');
      const error = new UsageError('no such file', { suggestions: ['check the path'], cause });
      expect(error.message).to.equal('no such file');
      expect(error.suggestions).to.deep.equal(['check the path']);
      expect(error.cause).to.equal(cause);
    });

    it('has no suggestions and no cause when none are given', () => {
      const error = new InputError('bad csv');
      expect(error.suggestions).to.deep.equal([]);
      expect(error.cause).to.equal(undefined);
      expect('cause' in error).to.equal(false);
    });
  });

  describe('isSensorpipeError', () => {
    it('is false for plain errors, invalid events and non-errors', () => {
      expect(isSensorpipeError(new Error('boom'))).to.equal(false);
      expect(isSensorpipeError(new InvalidEventError('not JSON'))).to.equal(false);
      expect(isSensorpipeError('USAGE')).to.equal(false);
      expect(isSensorpipeError(undefined)).to.equal(false);
    });
  });

  describe('InvalidEventError', () => {
    it('is an Error named InvalidEventError', () => {
      const error = new InvalidEventError('message body is not JSON');
      expect(error).to.be.instanceOf(Error);
      expect(error.name).to.equal('InvalidEventError');
      expect(error.message).to.equal('message body is not JSON');
    });
  });

  describe('causeChain', () => {
    it('lists the messages outermost first', () => {
      const root = new Error('connect ECONNREFUSED');
      const middle = new Error('request failed', { cause: root });
      const outer = new EnvironmentError('cannot reach the queue', 'ENVIRONMENT', { cause: middle });
      expect(causeChain(outer)).to.deep.equal([
        'cannot reach the queue',
        'request failed',
        'connect ECONNREFUSED',
      ]);
    });

    it('stops at a non-Error cause, stringified', () => {
      const error = new Error('outer', { cause: 42 });
      expect(causeChain(error)).to.deep.equal(['outer', '42']);
    });

    it('handles a thrown string and nothing at all', () => {
      expect(causeChain('plain text')).to.deep.equal(['plain text']);
      expect(causeChain(undefined)).to.deep.equal([]);
    });

    it('stops after 10 levels of a cyclic chain', () => {
      const a = new Error('a');
      const b = new Error('b', { cause: a });
      (a as { cause?: unknown }).cause = b;
      const chain = causeChain(b);
      expect(chain).to.have.length(10);
      expect(chain.slice(0, 3)).to.deep.equal(['b', 'a', 'b']);
    });
  });
});
