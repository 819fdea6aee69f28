import { onOutputClosed } from './output.js';

/**
 * The first SIGINT or SIGTERM asks the operation to stop (it finishes in-flight work and reports);
 * a second one exits at once with 130, for a user who does not want to wait. A reader that closes
 * our output (`| head`) asks the same first stop, quietly (see output.ts).
 */
export function interruptSignal(onFirst?: (signal: NodeJS.Signals) => void): {
  signal: AbortSignal;
  dispose: () => void;
} {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    onFirst?.(name);
    controller.abort(name);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  const stopListening = onOutputClosed(() => controller.abort('EPIPE'));
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      stopListening();
    },
  };
}
