import { InterruptedError } from '../core/errors.js';
import { type StackRef, suggest } from '../targets/stack-ref.js';
import type { DeployResult } from '../targets/target.js';

/**
 * Ctrl-C came while a deploy could not stop: a local deploy is one transaction, all or nothing, and
 * runs to its end (a wait for another process's lock included); on AWS, the end came first. What the
 * user asked to stop is done, so the message says exactly what was and was not created.
 */
export function interruptedAfterDeploy(
  result: DeployResult,
  ref: Pick<StackRef, 'selector'>,
): InterruptedError {
  const stack = `stack "${result.stackName}" (${result.location})`;
  const changes = result.changes
    .map((c) => `${c.parameter} ${c.from === null ? '' : `${String(c.from)} -> `}${String(c.to)}`)
    .join(', ');
  const done =
    result.action === 'created'
      ? `${stack} was created, with its parameters; nothing else was. Remove it with: ${suggest(ref, 'destroy')}`
      : result.action === 'updated'
        ? `${stack} was updated (${changes}); nothing else was changed`
        : `nothing was changed (${stack} was up to date)`;
  return new InterruptedError(`Interrupted, but the deploy had finished when Ctrl-C came: ${done}.`);
}
