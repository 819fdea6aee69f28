/**
 * `show`, `status` and `aggregate` with `--json` on a local stack, without oclif: what scripts and
 * dashboards poll, so their start-up is most of their cost, and oclif's load alone is more than
 * Node's own start-up. bin/run.js comes here first for these commands; this module runs the
 * invocation only when it understands it completely (`--json` and the flags that select the stack, with
 * values oclif would accept as they are) and hands everything else back to oclif, which then gives its
 * own answer or its own error. What each runner prints is what the command prints with --json:
 * test/cli/fast-json.e2e.ts runs every runner and the command side by side and compares them byte for
 * byte, and test/cli/fast-json.test.ts compares this parser with oclif's.
 * Nothing here imports oclif, a renderer or the AWS SDK.
 */
import { readFileSync } from 'node:fs';
import { createTarget } from '../targets/index.js';
import type { Target } from '../targets/target.js';
import { reportError } from './errors.js';
import { guardOutput } from './output.js';
import { readLatestSnapshot, readStatus, runAggregation } from './reads.js';

/** What each command returns with --json, from the one definition the commands use too (reads.ts). */
export const FAST_JSON_RUNNERS: Record<string, (target: Target) => Promise<unknown>> = {
  show: async (target) => (await readLatestSnapshot(target)).json,
  status: async (target) => (await readStatus(target)).json,
  aggregate: async (target) => (await runAggregation(target)).json,
};

/**
 * The flags this path takes: the stack selector of every PipelineCommand, all plain strings or a
 * list of options in oclif (no parse function of ours), and --json. Any other flag, --debug
 * included (its output is oclif's), sends the invocation to oclif.
 */
const FAST_FLAGS = ['json', 'target', 'stack-name', 'data-dir', 'region', 'profile', 'endpoint-url'] as const;

/** A flag's definition as oclif's manifest (and oclif's flag objects) carry it. */
export interface FlagDefinition {
  type: string;
  env?: string;
  default?: unknown;
  options?: readonly string[];
  multiple?: boolean;
}

export type FastFlags = { json: true; target: string; 'stack-name': string; 'data-dir': string } & {
  region?: string;
  profile?: string;
  'endpoint-url'?: string;
};

/**
 * The flags oclif would parse from `argv` (the words after the command), or undefined when this
 * parser is not sure to agree with oclif: an unknown or repeated flag, an argument, a value that is
 * empty, starts with `-` or is not among a flag's options, a default that is not a plain string.
 */
export function parseFastJson(
  argv: readonly string[],
  definitions: Record<string, FlagDefinition>,
  env: NodeJS.ProcessEnv = process.env,
): FastFlags | undefined {
  const given = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    const match = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(word);
    const name = match?.[1] as (typeof FAST_FLAGS)[number] | undefined;
    if (!name || !FAST_FLAGS.includes(name) || given.has(name)) return undefined;
    const definition = definitions[name];
    if (!definition || definition.multiple) return undefined;
    if (definition.type === 'boolean') {
      if (match?.[2] !== undefined) return undefined;
      given.set(name, true);
      continue;
    }
    if (definition.type !== 'option') return undefined;
    const value = match?.[2] ?? argv[++i];
    if (value === undefined || value === '' || value.startsWith('-')) return undefined;
    if (definition.options && !definition.options.includes(value)) return undefined;
    given.set(name, value);
  }
  if (given.get('json') !== true) return undefined;
  const flags: Record<string, unknown> = { json: true };
  for (const name of FAST_FLAGS.filter((n) => n !== 'json')) {
    const definition = definitions[name];
    if (!definition) return undefined;
    const fromEnv = definition.env ? env[definition.env] : undefined;
    const value = given.get(name) ?? (fromEnv ? fromEnv : definition.default);
    if (value === undefined) continue;
    if (typeof value !== 'string') return undefined;
    if (definition.options && !definition.options.includes(value)) return undefined;
    flags[name] = value;
  }
  return flags as FastFlags;
}

interface Manifest {
  commands: Record<string, { flags: Record<string, FlagDefinition> }>;
}

/**
 * Runs `args` (the command first) here when it can, with the flags of the package's oclif manifest: true when it ran (its exit code is set), false
 * when oclif should run it instead. Only the local target: on AWS the network, not the start, is the cost.
 */
export async function runFastJson(args: readonly string[], manifestUrl: URL): Promise<boolean> {
  const [id, ...argv] = args;
  const runner = id === undefined ? undefined : FAST_JSON_RUNNERS[id];
  if (!runner || process.env.DEBUG || process.env.SENSORPIPE_DEBUG) return false;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestUrl, 'utf8'));
  } catch {
    return false;
  }
  const definitions = manifest.commands[id as string]?.flags;
  const flags = definitions && parseFastJson(argv, definitions);
  if (flags?.target !== 'local') return false;
  // As every command: a reader that closes stdout early (| head) ends this quietly, exit 0.
  guardOutput();
  let target: Target | undefined;
  try {
    target = await createTarget({
      target: 'local',
      stackName: flags['stack-name'],
      dataDir: flags['data-dir'],
      aws: { region: flags.region, profile: flags.profile, endpointUrl: flags['endpoint-url'] },
    });
    process.stdout.write(`${JSON.stringify(await runner(target))}\n`);
  } catch (error) {
    process.exitCode = reportError(error, { json: true, argv: args, commandId: id });
  } finally {
    await target?.close();
  }
  return true;
}
