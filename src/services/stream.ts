import { performance } from 'node:perf_hooks';
import { type Clock, systemClock } from '../core/clock.js';
import { InputError } from '../core/errors.js';
import { type EventSender, type StreamProgress, streamEvents } from '../core/streamer.js';
import { threadedCsvSource } from '../source/threaded.js';
import type { DrainResult, Pipeline } from '../targets/target.js';

export interface StreamRequest {
  target: Pipeline;
  file: string;
  loop: boolean;
  intervalMs: number;
  limit?: number;
  signal?: AbortSignal;
  clock?: Clock;
  onProgress?: (stats: StreamProgress) => void;
  onSkip?: (skip: { line: number; reason: string }) => void;
  onFailure?: (error: string) => void;
  /** Sees every event the queue accepted (verify counts them). */
  onAccepted?: (events: readonly { id: string; county: string; time: number }[]) => void;
}

export interface StreamReport {
  stats: StreamProgress;
  drain: DrainResult;
  interrupted: boolean;
}

/**
 * Streams a CSV file into a stack's queue and, when the stream ends, waits until what it queued has
 * been processed (locally the runtime plays the storing Lambda).
 */
export async function runStream(request: StreamRequest): Promise<StreamReport> {
  const session = await request.target.openStream();
  let stats: StreamProgress | undefined;
  let failure: unknown;
  try {
    const inner = session.sender;
    const sender: EventSender = request.onAccepted
      ? {
          maxBatchSize: inner.maxBatchSize,
          maxInFlight: inner.maxInFlight,
          minInFlight: inner.minInFlight,
          throttles: inner.throttles && (() => inner.throttles?.() ?? 0),
          send: async (events: Parameters<typeof session.sender.send>[0]) => {
            const outcome = await session.sender.send(events);
            if (outcome.failed === 0) request.onAccepted?.(events);
            return outcome;
          },
        }
      : session.sender;
    stats = await streamEvents(threadedCsvSource({ file: request.file, loop: request.loop }), sender, {
      intervalMs: request.intervalMs,
      limit: request.limit,
      signal: request.signal,
      clock: request.clock ?? systemClock,
      busyMs: () => performance.eventLoopUtilization().active,
      onProgress: request.onProgress,
      onSkip: request.onSkip,
      onFailure: request.onFailure,
    });
  } catch (error) {
    failure = error;
  }
  // On errors too: stop the local runtime and process what the queue already accepted.
  const drain = await session.finish();
  if (failure !== undefined || stats === undefined) throw failure;
  const interrupted = request.signal?.aborted ?? false;
  if (!interrupted && stats.sent + stats.failed === 0) {
    throw new InputError(
      stats.skipped === 0
        ? `${request.file} has a header but no data rows: nothing to send. Pass a CSV with at least one row.`
        : `None of the ${stats.skipped} rows of ${request.file} could be sent (each was skipped, see above). Fix the rows or pass another file.`,
    );
  }
  return { stats, drain, interrupted };
}
