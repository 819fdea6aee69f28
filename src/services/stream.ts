import { type Clock, systemClock } from '../core/clock.js';
import { InputError } from '../core/errors.js';
import { type StreamStats, streamEvents } from '../core/streamer.js';
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
  onProgress?: (stats: StreamStats) => void;
  onSkip?: (skip: { line: number; reason: string }) => void;
  onFailure?: (error: string) => void;
  /** Sees every event the queue accepted (verify counts them). */
  onAccepted?: (events: readonly { id: string; county: string; time: number }[]) => void;
}

export interface StreamReport {
  stats: StreamStats;
  drain: DrainResult;
  interrupted: boolean;
}

/** What streams that failed midway had done: the summary to show before the error (reportOfFailedStream). */
const failedStreams = new WeakMap<object, StreamReport>();

/**
 * What a stream that failed midway (a source that failed on a later pass, a send that must stop it)
 * did before it failed, sends settled and what they queued processed; undefined for any other error.
 */
export function reportOfFailedStream(error: unknown): StreamReport | undefined {
  return typeof error === 'object' && error !== null ? failedStreams.get(error) : undefined;
}

/**
 * Streams a CSV file into a stack's queue and, when the stream ends, waits until what it queued has
 * been processed (locally the runtime plays the storing Lambda). A failure is thrown as it came, and
 * reportOfFailedStream gives what the stream had done by then.
 */
export async function runStream(request: StreamRequest): Promise<StreamReport> {
  const session = await request.target.openStream();
  let stats: StreamStats | undefined;
  let statsAtEnd: StreamStats | undefined;
  let failure: unknown;
  const sourceStop = new AbortController();
  const stopSource = () => sourceStop.abort();
  try {
    const sender = request.onAccepted
      ? {
          maxBatchSize: session.sender.maxBatchSize,
          maxInFlight: session.sender.maxInFlight,
          send: async (events: Parameters<typeof session.sender.send>[0]) => {
            const outcome = await session.sender.send(events);
            if (outcome.failed === 0) request.onAccepted?.(events);
            return outcome;
          },
        }
      : session.sender;
    // Ctrl-C stops the source's read, and so does the stream's end (a read it left waiting on a FIFO).
    request.signal?.addEventListener('abort', stopSource, { once: true });
    if (request.signal?.aborted) stopSource();
    const source = threadedCsvSource({ file: request.file, loop: request.loop, signal: sourceStop.signal });
    stats = await streamEvents(source, sender, {
      intervalMs: request.intervalMs,
      limit: request.limit,
      signal: request.signal,
      clock: request.clock ?? systemClock,
      onProgress: request.onProgress,
      onSkip: request.onSkip,
      onFailure: request.onFailure,
      onEnd: (end) => {
        statsAtEnd = end;
      },
    });
  } catch (error) {
    failure = error;
  } finally {
    request.signal?.removeEventListener('abort', stopSource);
    stopSource();
  }
  // On errors too: stop the local runtime and process what the queue already accepted.
  const drain = await session.finish();
  const interrupted = request.signal?.aborted ?? false;
  if (failure !== undefined || stats === undefined) {
    if (statsAtEnd !== undefined && typeof failure === 'object' && failure !== null)
      failedStreams.set(failure, { stats: statsAtEnd, drain, interrupted });
    throw failure;
  }
  if (!interrupted && stats.sent + stats.failed === 0) {
    throw new InputError(
      stats.skipped === 0
        ? `${request.file} has a header but no data rows: nothing to send. Pass a CSV with at least one row.`
        : `None of the ${stats.skipped} rows of ${request.file} could be sent (each was skipped, see above). Fix the rows or pass another file.`,
    );
  }
  return { stats, drain, interrupted };
}
