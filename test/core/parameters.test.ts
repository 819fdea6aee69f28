import { expect } from 'chai';
import { UsageError } from '../../src/core/errors.js';
import {
  DEFAULT_PARAMETERS,
  defaultParameters,
  INTEGER_RULES,
  refuseForeignParameters,
  resolveParameters,
  type StackParameters,
  validateParameters,
} from '../../src/core/parameters.js';

/** Valid parameters: the defaults with some changes. */
const params = (changes: Partial<StackParameters> = {}): StackParameters => ({
  ...DEFAULT_PARAMETERS,
  ...changes,
});

function rejection(changes: Partial<StackParameters>): UsageError {
  try {
    validateParameters(params(changes));
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error(`expected ${JSON.stringify(changes)} to be rejected`);
}

describe('core/parameters', () => {
  describe('DEFAULT_PARAMETERS', () => {
    it('are the template defaults', () => {
      expect(DEFAULT_PARAMETERS).to.deep.equal({
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 1,
        StoringTimeoutSeconds: 30,
        VisibilityTimeoutSeconds: 180,
        MessageRetentionSeconds: 345_600,
        MaxReceiveCount: 5,
        WindowMinutes: 5,
        EventTtlMinutes: 60,
        ScheduleEnabled: true,
        ScheduleExpression: 'rate(1 minute)',
      });
    });

    it('are valid and cannot be changed by accident', () => {
      expect(() => validateParameters(params())).not.to.throw();
      expect(Object.isFrozen(DEFAULT_PARAMETERS)).to.equal(true);
    });
  });

  describe('integer bounds', () => {
    const flags: Record<keyof typeof INTEGER_RULES, string> = {
      BatchSize: '--batch-size',
      MaximumBatchingWindowInSeconds: '--batching-window',
      StoringTimeoutSeconds: '--storing-timeout',
      VisibilityTimeoutSeconds: '--visibility-timeout',
      MessageRetentionSeconds: '--queue-retention',
      MaxReceiveCount: '--max-receive-count',
      WindowMinutes: '--window-minutes',
      EventTtlMinutes: '--event-ttl',
      LogRetentionDays: '--log-retention-days',
      StoringMaximumConcurrency: '--storing-max-concurrency',
      AggregationReservedConcurrency: '--aggregation-reserved-concurrency',
      AggregationMemorySize: '--aggregation-memory',
    };

    for (const [name, flag] of Object.entries(flags) as Array<[keyof typeof INTEGER_RULES, string]>) {
      const rule = INTEGER_RULES[name];
      it(`${name}: outside ${rule.min}..${rule.max} or fractional is rejected, naming ${flag}`, () => {
        for (const bad of [rule.min - 1, rule.max + 1, rule.min + 0.5, Number.NaN]) {
          const error = rejection({ [name]: bad });
          expect(error.message, `${name}=${bad}`).to.match(new RegExp(`^${flag} must be a whole number`));
          expect(error.message).to.include(`from ${rule.min} to ${rule.max}`);
          expect(error.message).to.include(`got ${bad}`);
        }
      });
    }

    it('accepts the AWS limits themselves', () => {
      expect(() =>
        validateParameters(params({ BatchSize: 10_000, MaximumBatchingWindowInSeconds: 300 })),
      ).not.to.throw();
      expect(() =>
        validateParameters(params({ BatchSize: 1, MaximumBatchingWindowInSeconds: 0 })),
      ).not.to.throw();
      expect(() =>
        validateParameters(params({ StoringTimeoutSeconds: 900, VisibilityTimeoutSeconds: 43_200 })),
      ).not.to.throw();
      expect(() => validateParameters(params({ MessageRetentionSeconds: 60 }))).not.to.throw();
      expect(() => validateParameters(params({ MessageRetentionSeconds: 1_209_600 }))).not.to.throw();
      expect(() => validateParameters(params({ WindowMinutes: 1, EventTtlMinutes: 1 }))).not.to.throw();
    });

    it('bounds the AWS concurrency settings as Lambda does: a mapping at 2 or more, a reservation of 0 or 1', () => {
      expect(INTEGER_RULES.StoringMaximumConcurrency).to.include({ min: 2, max: 1000 });
      expect(INTEGER_RULES.AggregationReservedConcurrency).to.include({ min: 0, max: 1 });
      expect(defaultParameters('aws')).to.include({
        StoringMaximumConcurrency: 5,
        AggregationReservedConcurrency: 0,
        PointInTimeRecovery: false,
        KmsKey: '',
      });
    });

    it("bounds the aggregation function's memory as Lambda does, 128 MB to 10,240 MB, 1,024 MB by default", () => {
      expect(INTEGER_RULES.AggregationMemorySize).to.include({ min: 128, max: 10_240 });
      expect(defaultParameters('aws')).to.include({ AggregationMemorySize: 1024 });
      expect(defaultParameters('local')).to.not.have.property('AggregationMemorySize');
      expect(() => refuseForeignParameters('local', { AggregationMemorySize: 2048 })).to.throw(
        '--aggregation-memory is for --target aws: a local stack runs its functions in the sensorpipe process.',
      );
    });

    it('rejects a number given as a string', () => {
      const error = rejection({ BatchSize: '10' as unknown as number });
      expect(error.message).to.include('--batch-size');
    });
  });

  describe('rules between parameters', () => {
    it('BatchSize above 10 needs a batching window of at least 1 second', () => {
      const error = rejection({ BatchSize: 11, MaximumBatchingWindowInSeconds: 0 });
      expect(error.message).to.include('--batch-size 11');
      expect(error.message).to.include('--batching-window');
      expect(() =>
        validateParameters(params({ BatchSize: 10, MaximumBatchingWindowInSeconds: 0 })),
      ).not.to.throw();
      expect(() =>
        validateParameters(params({ BatchSize: 11, MaximumBatchingWindowInSeconds: 1 })),
      ).not.to.throw();
    });

    it('the visibility timeout must be at least 6x the storing timeout', () => {
      const error = rejection({ StoringTimeoutSeconds: 30, VisibilityTimeoutSeconds: 179 });
      expect(error.message).to.include('--visibility-timeout 179');
      expect(error.message).to.include('--storing-timeout');
      expect(error.message).to.include('180 s');
      expect(() =>
        validateParameters(params({ StoringTimeoutSeconds: 30, VisibilityTimeoutSeconds: 180 })),
      ).not.to.throw();
      expect(() =>
        validateParameters(params({ StoringTimeoutSeconds: 10, VisibilityTimeoutSeconds: 60 })),
      ).not.to.throw();
    });

    it('a TTL shorter than the window is rejected; equal is fine', () => {
      const error = rejection({ WindowMinutes: 10, EventTtlMinutes: 9 });
      expect(error.message).to.include('--event-ttl 9');
      expect(error.message).to.include('--window-minutes 10');
      expect(() => validateParameters(params({ WindowMinutes: 10, EventTtlMinutes: 10 }))).not.to.throw();
    });

    it('a bad schedule expression is rejected', () => {
      expect(rejection({ ScheduleExpression: 'rate(1 minutes)' }).message).to.include('rate(1 minute)');
      rejection({ ScheduleExpression: 'every minute' });
      expect(() => validateParameters(params({ ScheduleExpression: 'cron(0/5 * * * ? *)' }))).not.to.throw();
    });
  });

  describe('KmsKey', () => {
    const kms = (KmsKey: string) => () => validateParameters({ ...params(), KmsKey });

    it('takes empty (AWS-owned keys), "create" (a key of the stack) or a key ARN, in any partition', () => {
      for (const ok of [
        '',
        'create',
        'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        'arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab',
      ])
        expect(kms(ok), ok).not.to.throw();
    });

    it("refuses an alias, a key id alone, another service's ARN or text around an ARN, naming --kms-key", () => {
      for (const bad of [
        'alias/mine',
        '1234abcd-12ab-34cd-56ef-1234567890ab',
        'arn:aws:kms:eu-west-1:123456789012:alias/mine',
        'arn:aws:sqs:eu-west-1:123456789012:key/x',
        ' create',
        'arn:aws:kms:eu-west-1:123456789012:key/x\nmore',
        'Create',
      ]) {
        expect(kms(bad), JSON.stringify(bad)).to.throw(
          UsageError,
          /^--kms-key must be empty, "create", or a KMS key ARN/,
        );
      }
    });
  });

  describe('resolveParameters', () => {
    it('keeps every value not given from the base', () => {
      const base = params({ BatchSize: 50, WindowMinutes: 15, EventTtlMinutes: 120, ScheduleEnabled: false });
      const resolved = resolveParameters(base, { MaxReceiveCount: 3 });
      expect(resolved).to.deep.equal({ ...base, MaxReceiveCount: 3 });
    });

    it('ignores changes that are explicitly undefined', () => {
      const base = params({ BatchSize: 50 });
      expect(resolveParameters(base, { BatchSize: undefined, WindowMinutes: 7 })).to.deep.equal({
        ...base,
        WindowMinutes: 7,
      });
    });

    it('does not modify the base', () => {
      const base = params();
      const copy = { ...base };
      resolveParameters(base, { BatchSize: 5, ScheduleEnabled: false });
      expect(base).to.deep.equal(copy);
    });

    it('checks the merged result as a whole', () => {
      // GIVEN a base with a 0-second batching window, WHEN only the batch size grows past 10, THEN it is rejected
      const base = params({ BatchSize: 10, MaximumBatchingWindowInSeconds: 0 });
      expect(() => resolveParameters(base, { BatchSize: 20 })).to.throw(UsageError, '--batching-window');
      // ... and a change to a TTL below the base's window is rejected too
      expect(() => resolveParameters(params({ WindowMinutes: 30 }), { EventTtlMinutes: 20 })).to.throw(
        UsageError,
        '--event-ttl 20',
      );
    });
  });
});
