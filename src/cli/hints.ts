import { printable } from '../render/printable.js';
import { type StackRef, suggest } from '../targets/stack-ref.js';
import type { DeadLetterCount, DeadLetterQueue } from '../targets/target.js';

/**
 * The line that points from a symptom to its cause: messages that failed to store wait in the dead
 * letters, and why each failed is in the storing function's log. `aggregate`, `show` and `status`
 * end with it (never with --json), with the flags that selected the stack. Undefined when there are none.
 */
export function deadLetterHint(dead: DeadLetterCount, ref: Pick<StackRef, 'selector'>): string | undefined {
  if (dead.count <= 0) return undefined;
  const count = `${dead.approximate ? 'About ' : ''}${dead.count.toLocaleString('en-US')} message${dead.count === 1 ? '' : 's'}`;
  return printable(
    `${count} failed to store: see ${suggest(ref, 'dead-letters')} and ${suggest(ref, 'logs', '--function', 'storing')}`,
  );
}

/**
 * The hint as the stack tells it now, or undefined: a hint never fails the command it ends (an
 * identity that may read the snapshot but not the dead-letter queue's depth gets its snapshot).
 */
export async function readDeadLetterHint(
  target: Pick<DeadLetterQueue, 'deadLetterCount'> & Pick<StackRef, 'selector'>,
): Promise<string | undefined> {
  try {
    return deadLetterHint(await target.deadLetterCount(), target);
  } catch {
    return undefined;
  }
}
