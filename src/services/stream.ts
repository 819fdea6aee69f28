import { performance } from 'node:perf_hooks';
import { type Clock, systemClock } from '../core/clock.js';
import { InputError } from '../core/errors.js';
import { type SendOutcome, type StreamProgress, streamEvents, withSend } from '../core/streamer.js';
import { threadedCsvSource } from '../source/threaded.js';
import { StackGoneError } from '../targets/stack-ref.js';
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
  /**
   * The stream stopped on an error (a source that failed midway, the stack destroyed, a full disk)
   * after it sent, or tried to send, events: what it did, to report before the error, which runStream
   * then throws. `drain` is what became of them, when the stack could still tell.
   */
  onStopped?: (report: StoppedStream) => void;
}

export interface StreamReport {
  stats: StreamProgress;
  drain: DrainResult;
  interrupted: boolean;
}

/** A stream that stopped on an error: what it had done. */
export interface StoppedStream {
  stats: StreamProgress;
  drain: DrainResult | undefined;
  interrupted: boolean;
}

/**
 * Streams a CSV file into a stack's queue and, when the stream ends, waits until what it queued has
 * been processed (locally the runtime plays the storing Lambda).
 */
export async function runStream(request: StreamRequest): Promise<StreamReport> {
  const session = await request.target.openStream(request.signal);
  // Ends the stream when the stack is destroyed under it, as Ctrl-C would, and says why.
  const watch = request.target.watchStack(request.signal);
  let stats: StreamProgress | undefined;
  let failure: unknown;
  // Ctrl-C (or the stack gone) stops the source's read, and so does the stream's end (a read it left
  // waiting on a FIFO).
  const sourceStop = new AbortController();
  const stopSource = () => sourceStop.abort();
  watch.signal.addEventListener('abort', stopSource, { once: true });
  if (watch.signal.aborted) stopSource();
  try {
    const sender = request.onAccepted
      ? withSend(session.sender, async (events) => {
          const outcome = await session.sender.send(events);
          if (outcome.sent > 0) request.onAccepted?.(acceptedOf(events, outcome));
          return outcome;
        })
      : session.sender;
    const source = threadedCsvSource({ file: request.file, loop: request.loop, signal: sourceStop.signal });
    await streamEvents(source, sender, {
      intervalMs: request.intervalMs,
      limit: request.limit,
      signal: watch.signal,
      clock: request.clock ?? systemClock,
      busyMs: () => performance.eventLoopUtilization().active,
      onProgress: request.onProgress,
      onSkip: request.onSkip,
      onFailure: request.onFailure,
      onEnd: (end) => {
        stats = end;
      },
    });
  } catch (error) {
    failure = error;
  } finally {
    watch.signal.removeEventListener('abort', stopSource);
    stopSource();
    watch.dispose();
  }
  failure ??= watch.gone;
  // On errors too: stop the local runtime and process what the queue already accepted. When the
  // stream failed, the stack may be unusable (gone, its disk full): that error is the one to report.
  let drain: DrainResult | undefined;
  try {
    drain = await session.finish();
  } catch (error) {
    failure ??= error;
  }
  const interrupted = request.signal?.aborted ?? false;
  if (failure !== undefined || stats === undefined || drain === undefined) {
    if (stats && stats.sent + stats.failed > 0) request.onStopped?.({ stats, drain, interrupted });
    throw failure instanceof StackGoneError && stats
      ? failure.during(
          'this stream was running',
          `stopped after sending ${stats.sent.toLocaleString('en-US')} events`,
        )
      : failure;
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

/** The events of a send that the queue accepted: all of them, or those not listed as failed. */
function acceptedOf<T>(events: readonly T[], outcome: SendOutcome): readonly T[] {
  if (outcome.failed === 0) return events;
  const failed = new Set(outcome.failedIndexes);
  if (failed.size !== outcome.failed) {
    throw new Error(
      `a send failed ${outcome.failed} events but listed ${failed.size}: cannot tell which went`,
    );
  }
  return events.filter((_, index) => !failed.has(index));
}
