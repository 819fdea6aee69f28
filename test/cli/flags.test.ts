import { Parser } from '@oclif/core';
import { expect } from 'chai';
import { integerFlag, numberFlag, parameterChanges, stackParameterFlags } from '../../src/cli/flags.js';
import {
  INTEGER_RULES,
  PARAMETER_NAMES,
  PARAMETERS,
  type ParameterDefinition,
  type ParameterName,
} from '../../src/core/parameters.js';
import { rejection } from '../../testkit/rejection.js';

async function parse<F extends Parameters<typeof Parser.parse>[1]['flags']>(argv: string[], flags: F) {
  return (await Parser.parse(argv, { flags, strict: true })).flags;
}

describe('cli/flags', () => {
  describe('numberFlag', () => {
    const flags = { 'interval-ms': numberFlag({ description: 'ms', min: 0, default: 100 }) };

    it('accepts fractions, zero and whole numbers', async () => {
      expect((await parse(['--interval-ms', '0.1'], flags))['interval-ms']).to.equal(0.1);
      expect((await parse(['--interval-ms', '0'], flags))['interval-ms']).to.equal(0);
      expect((await parse(['--interval-ms=250'], flags))['interval-ms']).to.equal(250);
    });

    it('takes its default when the flag is absent', async () => {
      expect((await parse([], flags))['interval-ms']).to.equal(100);
    });

    for (const bad of ['-1', 'abc', '', '  ', 'Infinity', 'NaN', '1e999']) {
      it(`rejects ${JSON.stringify(bad)} as a usage error (exit 2) that names the flag and the value`, async () => {
        const error = await rejection<Error & { oclif?: { exit?: number } }>(
          parse([`--interval-ms=${bad}`], flags),
        );
        expect(error.message).to.include('--interval-ms');
        expect(error.message).to.include(`Expected a number of at least 0 but received: ${bad}`);
        expect(error.oclif?.exit).to.equal(2);
      });
    }

    it('applies its minimum inclusively', async () => {
      const min = { n: numberFlag({ description: 'n', min: 0.5 }) };
      expect((await parse(['--n', '0.5'], min)).n).to.equal(0.5);
      expect(
        (await rejection<Error & { oclif?: { exit?: number } }>(parse(['--n', '0.49'], min))).message,
      ).to.include('at least 0.5');
    });
  });

  describe('integerFlag', () => {
    const flags = {
      limit: integerFlag({ description: 'n', min: 1 }),
      size: integerFlag({ description: 's', min: 1, max: 10 }),
    };

    it('accepts whole numbers in range, bounds included', async () => {
      expect(await parse(['--limit', '1', '--size', '10'], flags)).to.include({ limit: 1, size: 10 });
    });

    for (const [argv, range] of [
      [['--limit', '0'], 'at least 1'],
      [['--limit', '1.5'], 'at least 1'],
      [['--limit', 'ten'], 'at least 1'],
      [['--size', '11'], 'from 1 to 10'],
      [['--size', '-3'], 'from 1 to 10'],
    ] as const) {
      it(`rejects ${argv.join(' ')} with a message that states the range`, async () => {
        const error = await rejection<Error & { oclif?: { exit?: number } }>(parse([...argv], flags));
        expect(error.message).to.include(argv[0]);
        expect(error.message).to.include(`Expected a whole number ${range} but received: ${argv[1]}`);
        expect(error.oclif?.exit).to.equal(2);
      });
    }
  });

  describe('stackParameterFlags', () => {
    it('has one deploy flag per integer parameter, with the parameter range', async () => {
      for (const [name, rule] of Object.entries(INTEGER_RULES)) {
        if ((PARAMETERS[name as ParameterName] as ParameterDefinition & { allowed?: unknown }).allowed)
          continue;
        expect(stackParameterFlags, rule.flag).to.have.property(rule.flag);
        const f = { [rule.flag]: stackParameterFlags[rule.flag as keyof typeof stackParameterFlags] };
        expect((await parse([`--${rule.flag}`, String(rule.max)], f))[rule.flag]).to.equal(rule.max);
        const error = await rejection<Error & { oclif?: { exit?: number } }>(
          parse([`--${rule.flag}`, String(rule.max + 1)], f),
        );
        expect(error.message).to.include(`from ${rule.min} to ${rule.max}`);
      }
    });

    it('has a flag for every parameter, showing its default on create, and its allowed values', async () => {
      for (const name of PARAMETER_NAMES) {
        const definition: ParameterDefinition = PARAMETERS[name];
        const flag = stackParameterFlags[definition.flag as keyof typeof stackParameterFlags];
        expect(flag, name).to.not.equal(undefined);
        const shown =
          definition.type === 'boolean'
            ? definition.default
              ? 'on'
              : 'off'
            : definition.default === ''
              ? '""'
              : String(definition.default);
        expect(flag.description, name).to.include(`[default on create: ${shown}]`);
        if (definition.type !== 'boolean' && definition.allowed)
          expect((flag as { options?: string[] }).options, name).to.deep.equal(
            definition.allowed.map(String),
          );
      }
      const f = { 'log-retention-days': stackParameterFlags['log-retention-days'] };
      expect((await parse(['--log-retention-days', '30'], f))['log-retention-days']).to.equal(30);
      await rejection(parse(['--log-retention-days', '31'], f));
    });

    it('leaves unset flags undefined, so a redeploy keeps their deployed values', async () => {
      const flags = await parse(['--batch-size', '10'], stackParameterFlags);
      expect(flags['window-minutes']).to.equal(undefined);
      expect(flags.schedule).to.equal(undefined);
    });
  });

  describe('parameterChanges', () => {
    it('maps the flags given to parameters and nothing else', async () => {
      const flags = await parse(['--batch-size', '10', '--batching-window', '0'], stackParameterFlags);
      expect(parameterChanges(flags)).to.deep.equal({ BatchSize: 10, MaximumBatchingWindowInSeconds: 0 });
    });

    it('maps --no-schedule and --schedule-expression', async () => {
      const flags = await parse(
        ['--no-schedule', '--schedule-expression', 'rate(5 minutes)'],
        stackParameterFlags,
      );
      expect(parameterChanges(flags)).to.deep.equal({
        ScheduleEnabled: false,
        ScheduleExpression: 'rate(5 minutes)',
      });
      expect(parameterChanges(await parse(['--schedule'], stackParameterFlags))).to.deep.equal({
        ScheduleEnabled: true,
      });
    });

    it('maps the hardening flags, an empty --kms-key (back to AWS-owned keys) included', async () => {
      const flags = await parse(
        ['--kms-key', '', '--point-in-time-recovery', '--aggregation-reserved-concurrency', '1'],
        stackParameterFlags,
      );
      expect(parameterChanges(flags)).to.deep.equal({
        KmsKey: '',
        PointInTimeRecovery: true,
        AggregationReservedConcurrency: 1,
      });
      const off = await parse(['--no-point-in-time-recovery', '--kms-key', 'create'], stackParameterFlags);
      expect(parameterChanges(off)).to.deep.equal({ PointInTimeRecovery: false, KmsKey: 'create' });
    });

    it('is empty without flags', () => {
      expect(parameterChanges({})).to.deep.equal({});
      // The text and boolean ones: the schedule and its expression, the runtime, PITR and the KMS key.
      expect(PARAMETER_NAMES).to.have.length(Object.keys(INTEGER_RULES).length + 5);
    });
  });
});
