import { UsageError } from './errors.js';

const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/**
 * On AWS the functions are named `<stack>-storing` and `<stack>-aggregation`, and a Lambda function
 * name has at most 64 characters.
 */
export const MAX_AWS_STACK_NAME = 64 - '-aggregation'.length;

/** CloudFormation's rule for stack names, applied on both targets so a name works on either. */
export function checkStackName(name: string): void {
  if (!STACK_NAME.test(name)) {
    throw new UsageError(
      `Invalid stack name "${name}": use 1-128 letters, digits and hyphens, starting with a letter.`,
    );
  }
}

/** The AWS target's stricter length, from the function names it derives. */
export function checkAwsStackName(name: string): void {
  checkStackName(name);
  if (name.length > MAX_AWS_STACK_NAME) {
    throw new UsageError(
      `Stack name "${name}" is ${name.length} characters; on AWS it can have at most ${MAX_AWS_STACK_NAME}, because the function names are made from it. Pass a shorter --stack-name.`,
    );
  }
}
