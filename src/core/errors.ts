/**
 * One error base class for everything a user can cause or fix. Commands turn these into one line
 * plus suggestions; anything else is a bug and keeps its stack trace (shown with --debug).
 */
export const ExitCode = {
  ok: 0,
  /** The operation ran and failed: a verify mismatch, events that could not be sent, a failed deploy. */
  failed: 1,
  /** The input is wrong: a flag value, a file, a CSV without a County column. */
  usage: 2,
  /** The stack is not in a state that allows the operation: not deployed, corrupted, too new. */
  state: 3,
  /** The environment stopped us: no network, no credentials, a target that is not available. */
  environment: 4,
  /** Ctrl-C (SIGINT) or SIGTERM stopped it, as a shell reports a SIGINT (128 + 2). */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorDetails {
  suggestions?: string[];
  cause?: unknown;
  /** Lines of a log that explain the failure (a function's last log lines), shown under the message. */
  log?: string[];
}

export class SensorpipeError extends Error {
  readonly suggestions: string[];
  readonly log: string[];

  constructor(
    message: string,
    readonly code: string,
    readonly exitCode: ExitCodeValue,
    details: ErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.suggestions = details.suggestions ?? [];
    this.log = details.log ?? [];
  }
}

/** A flag value or argument the user can correct. */
export class UsageError extends SensorpipeError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, 'USAGE', ExitCode.usage, details);
  }
}

/** The input data (a CSV file) cannot be used. */
export class InputError extends SensorpipeError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, 'INPUT', ExitCode.usage, details);
  }
}

/** The stack is missing, broken or from a newer version. */
export class StackStateError extends SensorpipeError {
  constructor(message: string, code = 'STACK_STATE', details?: ErrorDetails) {
    super(message, code, ExitCode.state, details);
  }
}

/** Network, credentials, or a target that is not available here. */
export class EnvironmentError extends SensorpipeError {
  constructor(message: string, code = 'ENVIRONMENT', details?: ErrorDetails) {
    super(message, code, ExitCode.environment, details);
  }
}

/** An operation that ran and failed: a deploy that rolled back, a function that threw. Exit 1. */
export class OperationError extends SensorpipeError {
  constructor(message: string, code = 'FAILED', details?: ErrorDetails) {
    super(message, code, ExitCode.failed, details);
  }
}

/** Ctrl-C stopped an operation part-way: the message says what was and was not done. Exit 130. */
export class InterruptedError extends SensorpipeError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, 'INTERRUPTED', ExitCode.interrupted, details);
  }
}

/** Ctrl-C at a question (destroy's, deploy's): the command stops where it asked, before any change. */
export class CancelledError extends InterruptedError {
  constructor(message = 'Cancelled: nothing was changed.') {
    super(message);
  }
}

/** A message body that the storing function cannot store; it goes back to the queue. */
export class InvalidEventError extends Error {
  override name = 'InvalidEventError';
}

export function isSensorpipeError(error: unknown): error is SensorpipeError {
  return error instanceof SensorpipeError;
}

/** The messages of an error and its causes, outermost first. */
export function causeChain(error: unknown): string[] {
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 10; depth++) {
    if (current instanceof Error) {
      messages.push(current.message);
      current = current.cause;
    } else {
      messages.push(String(current));
      break;
    }
  }
  return messages;
}
