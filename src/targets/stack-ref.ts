import { StackStateError } from '../core/errors.js';
import type { TargetKind } from '../core/parameters.js';

/** Which stack a command works on, and how to select it again. */
export interface StackRef {
  readonly kind: TargetKind;
  readonly stackName: string;
  /** A human-readable place: a file path, or a region (and endpoint). */
  readonly location: string;
  /**
   * The flags that selected this stack (--target, --stack-name, and --data-dir, --region, --profile
   * or --endpoint-url when given), so that a suggested command works on the same stack.
   */
  readonly selector: readonly string[];
}

/** A shell word: quoted when it holds anything a shell would read. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A sensorpipe command line on the same stack, to suggest: `sensorpipe deploy --target local ...`. */
export function suggest(ref: Pick<StackRef, 'selector'>, command: string, ...args: string[]): string {
  return ['sensorpipe', command, ...ref.selector, ...args].map(shellWord).join(' ');
}

/** The selector flags the AWS CLI takes as they are: where and as whom (the stack's name is an argument). */
const AWS_CLI_FLAGS = new Set(['--region', '--profile', '--endpoint-url']);

/**
 * An AWS CLI command line for the same account and region as the stack's selector, to suggest:
 * `aws cloudformation describe-stacks --stack-name x --region eu-west-1 --profile ops`.
 */
export function suggestAws(ref: Pick<StackRef, 'selector'>, service: string, ...args: string[]): string {
  const where: string[] = [];
  for (let i = 0; i + 1 < ref.selector.length; i += 2) {
    const flag = ref.selector[i] ?? '';
    if (AWS_CLI_FLAGS.has(flag)) where.push(flag, ref.selector[i + 1] ?? '');
  }
  return ['aws', service, ...args, ...where].map(shellWord).join(' ');
}

/** The selector flags of a stack: the target and name always, the rest when given. */
export function selectorFlags(
  kind: TargetKind,
  stackName: string,
  given: Record<string, string | undefined>,
): string[] {
  const flags = ['--target', kind, '--stack-name', stackName];
  for (const [flag, value] of Object.entries(given)) if (value !== undefined) flags.push(`--${flag}`, value);
  return flags;
}

/** The one wording of "not deployed", with the command that deploys it. */
export function notDeployedError(ref: StackRef, state?: string): StackStateError {
  return new StackStateError(`${notDeployedMessage(ref, state)}.`, 'NOT_DEPLOYED', {
    suggestions: [`Run: ${suggest(ref, 'deploy')}`],
  });
}

/** `Stack "x" is not deployed on the local target (/path/x.sqlite)`, without a full stop. */
export function notDeployedMessage(ref: Omit<StackRef, 'selector'>, state?: string): string {
  return `Stack "${ref.stackName}" is not deployed on the ${ref.kind} target (${ref.location}${state ? `; it is ${state}` : ''})`;
}

/** A stack as results name it: its name, target and place. */
export function stackIdentity(ref: Omit<StackRef, 'selector'>): {
  stackName: string;
  target: TargetKind;
  location: string;
} {
  return { stackName: ref.stackName, target: ref.kind, location: ref.location };
}

/**
 * The stack was destroyed (or destroyed and deployed again) while this process worked on it: it
 * stops, rather than go on with a stack nobody can see. Exit 3.
 */
export class StackGoneError extends StackStateError {
  constructor(
    readonly ref: Omit<StackRef, 'selector'>,
    readonly how: 'destroyed' | 'replaced',
    /** What was running, and what it did before it stopped ("this stream was running", "stopped after ..."). */
    readonly activity = 'this command was using it',
    readonly outcome?: string,
  ) {
    super(
      `Stack "${ref.stackName}" was ${how === 'destroyed' ? 'destroyed' : 'destroyed and deployed again'} (${ref.location}) while ${activity}${outcome ? `: ${outcome}` : ''}.`,
      'STACK_DESTROYED',
    );
  }

  /** The same loss, told for what was running and how far it got. */
  during(activity: string, outcome?: string): StackGoneError {
    return new StackGoneError(this.ref, this.how, activity, outcome);
  }
}
