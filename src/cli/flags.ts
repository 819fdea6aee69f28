import { Flags } from '@oclif/core';
import { ExitCode } from '../core/errors.js';
import { INTEGER_RULES, type StackParameters } from '../core/parameters.js';

/**
 * A bad flag value. oclif wraps what a flag's parse throws but marks it as a usage error only when
 * the error carries an exit code, so it has one: without it the CLI reports an "Unexpected error".
 */
function invalidValue(message: string): Error {
  return Object.assign(new Error(message), { oclif: { exit: ExitCode.usage } });
}

/** A number flag that accepts fractions (`--interval-ms 0.1`); `min` is inclusive. */
export function numberFlag(options: {
  description: string;
  min: number;
  default?: number;
  helpValue?: string;
}) {
  return Flags.custom<number>({
    description: options.description,
    default: options.default,
    helpValue: options.helpValue ?? 'N',
    parse: async (input) => {
      const value = Number(input);
      if (input.trim() === '' || !Number.isFinite(value) || value < options.min) {
        throw invalidValue(`Expected a number of at least ${options.min} but received: ${input}`);
      }
      return value;
    },
  })();
}

/** A whole-number flag with an inclusive range, with a message that says the range. */
export function integerFlag(options: {
  description: string;
  min: number;
  max?: number;
  default?: number;
  env?: string;
}) {
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  return Flags.custom<number>({
    description: options.description,
    default: options.default,
    env: options.env,
    helpValue: 'N',
    parse: async (input) => {
      const value = Number(input);
      if (!/^\s*-?\d+\s*$/.test(input) || value < options.min || value > max) {
        const range = options.max === undefined ? `at least ${options.min}` : `from ${options.min} to ${max}`;
        throw invalidValue(`Expected a whole number ${range} but received: ${input}`);
      }
      return value;
    },
  })();
}

const parameterFlags = Object.fromEntries(
  Object.entries(INTEGER_RULES).map(([name, rule]) => [
    rule.flag,
    integerFlag({ description: `${name}: ${rule.description}.`, min: rule.min, max: rule.max }),
  ]),
) as Record<(typeof INTEGER_RULES)[keyof typeof INTEGER_RULES]['flag'], ReturnType<typeof integerFlag>>;

/** The stack parameters as deploy flags; unset flags leave the deployed value as it is. */
export const stackParameterFlags = {
  ...parameterFlags,
  schedule: Flags.boolean({
    allowNo: true,
    description: 'ScheduleEnabled: run the aggregation on the schedule (--no-schedule turns it off).',
  }),
  'schedule-expression': Flags.string({
    description: 'ScheduleExpression: EventBridge rate() or cron(), e.g. "rate(1 minute)".',
    helpValue: 'EXPR',
  }),
};

export function parameterChanges(flags: Record<string, unknown>): Partial<StackParameters> {
  const changes: Partial<StackParameters> = {};
  for (const [name, rule] of Object.entries(INTEGER_RULES)) {
    const value = flags[rule.flag];
    if (typeof value === 'number') (changes as Record<string, number>)[name] = value;
  }
  if (typeof flags.schedule === 'boolean') changes.ScheduleEnabled = flags.schedule;
  if (typeof flags['schedule-expression'] === 'string')
    changes.ScheduleExpression = flags['schedule-expression'];
  return changes;
}
