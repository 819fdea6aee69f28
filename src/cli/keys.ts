/**
 * Keys pressed on the terminal, one at a time, for a live view (aggregate --watch: q, space, s).
 * The terminal is raw while they are read, so Ctrl-C arrives as a key (\x03), not as SIGINT: the
 * caller decides what it does. Only where stdin is a terminal; elsewhere nothing is read.
 */
export const CTRL_C = '\x03';

export function readKeys(onKey: (key: string) => void, stdin: NodeJS.ReadStream = process.stdin): () => void {
  if (!stdin.isTTY) return () => {};
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  const listener = (data: string) => {
    for (const key of data) onKey(key);
  };
  stdin.on('data', listener);
  stdin.resume();
  return () => {
    stdin.off('data', listener);
    stdin.setRawMode(false);
    // A paused stdin no longer holds the process open.
    stdin.pause();
  };
}
