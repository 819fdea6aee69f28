/**
 * A function's environment variables: `process.env` on Lambda, and locally what the runtime builds
 * from the stack parameters as templates/pipeline.yaml does. Both go through the same parsers.
 */
export type FunctionEnvironment = Readonly<Record<string, string | undefined>>;

/** A positive integer from the environment, or the stack parameter's default when it is unset. */
export function positiveIntegerEnv(env: FunctionEnvironment, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

export function requiredEnv(env: FunctionEnvironment, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
