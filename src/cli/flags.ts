import { Flags, type Interfaces } from '@oclif/core';
import { ExitCode } from '../core/errors.js';
import { parseSince } from '../core/logs.js';
import {
  PARAMETER_NAMES,
  PARAMETERS,
  type ParameterChanges,
  type ParameterDefinition,
  type ParameterName,
} from '../core/parameters.js';

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

/**
 * A deploy flag made from a parameter's definition. No flag has a default: a flag not given keeps the
 * deployed value (or the definition's default on create), so help shows that default in the text.
 */
function parameterFlag(name: ParameterName) {
  const d: ParameterDefinition = PARAMETERS[name];
  const onlyOn = d.targets.length === 1 ? ` (--target ${d.targets[0]})` : '';
  const shownDefault =
    d.type === 'boolean' ? (d.default ? 'on' : 'off') : d.default === '' ? '""' : String(d.default);
  // First, as oclif puts its own [default: x], so that it is never broken across lines.
  const description = `[default on create: ${shownDefault}] ${name}${onlyOn}: ${d.description}.`;
  if (d.type === 'boolean') return Flags.boolean({ allowNo: true, description });
  if (d.allowed) {
    const options = d.allowed.map(String);
    return Flags.custom<number | string>({
      description,
      options,
      helpValue: d.type === 'integer' ? 'N' : undefined,
      parse: async (input) => (d.type === 'integer' ? Number(input) : input),
    })();
  }
  if (d.type === 'integer') return integerFlag({ description, min: d.min, max: d.max });
  return Flags.string({ description, helpValue: name === 'ScheduleExpression' ? 'EXPR' : 'TEXT' });
}

/** Every stack parameter as a deploy flag; unset flags leave the deployed value as it is. */
export const stackParameterFlags = Object.fromEntries(
  PARAMETER_NAMES.map((name) => [PARAMETERS[name].flag, parameterFlag(name)]),
) as Record<(typeof PARAMETERS)[ParameterName]['flag'], Interfaces.Flag<unknown>>;

/** The parameters the given flags set, and nothing for the flags not given. */
export function parameterChanges(flags: Record<string, unknown>): ParameterChanges {
  const changes: Record<string, unknown> = {};
  for (const name of PARAMETER_NAMES) {
    const value = flags[PARAMETERS[name].flag];
    if (value !== undefined) changes[name] = value;
  }
  return changes as ParameterChanges;
}

/**
 * A point in time as --since takes it: a duration back from now (10m, 2h, 1d, 1h30m) or an ISO 8601
 * time (UTC unless it says otherwise). The value is Unix ms.
 */
export function sinceFlag(options: { description: string; default: string }) {
  const parse = async (input: string) => {
    const time = parseSince(input, Date.now());
    if (time === undefined)
      throw invalidValue(
        `Expected a duration such as 30s, 10m, 2h, 1d or 1h30m, or an ISO 8601 time such as 2026-12-01T13:00:00Z, but received: ${input}`,
      );
    return time;
  };
  return Flags.custom<number>({
    description: options.description,
    helpValue: 'DURATION|TIME',
    default: async () => parse(options.default),
    defaultHelp: async () => options.default,
    parse,
  })();
}
