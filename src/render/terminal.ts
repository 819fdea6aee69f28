/**
 * Whether output to `stream` may be drawn live (spinners, redraws in place): a terminal, and not CI,
 * whose logs keep every byte and would show each redraw as garbage.
 */
export function isLiveTerminal(
  stream: Pick<NodeJS.WriteStream, 'isTTY'>,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return Boolean(stream.isTTY) && !env.CI;
}
