import type { Clock } from './clock.js';
import type { OutgoingEvent } from './event.js';
import { uuidv7 } from './id.js';
import { InFlightLimit } from './in-flight.js';
import { PacingSchedule } from './pacing.js';
import { type RateLimit, type RateSample, RateWatch } from './rate-watch.js';

export type { RateLimit } from './rate-watch.js';

/**
 * What a source yields, in chunks (one await per chunk, not per row): a row to send (its columns as
 * a JSON object), or a row it skipped (with why).
 */
export type SourceItem =
  | { kind: 'row'; line: number; county: string; dataJson: string }
  | { kind: 'skip'; line: number; reason: string };

export interface SendOutcome {
  /** Events the queue accepted. */
  sent: number;
  /** Events that could not be sent after retries. */
  failed: number;
  /** A short reason for the failures, if any. */
  error?: string;
  /**
   * When some failed: their indexes in the events passed to send, so that a caller that keeps what
   * the queue accepted (verify) keeps the rest of a batch taken in part. Absent: none failed, or all.
   */
  failedIndexes?: readonly number[];
}

/** A queue producer. `send` rejects only on errors that must stop the stream (e.g. the stack is gone). */
export interface EventSender {
  /** The most events one `send` takes (SQS SendMessageBatch: 10). */
  readonly maxBatchSize: number;
  /**
   * The most sends in flight at once. Between minInFlight and this, the stream keeps as many as the
   * rate asked for needs over the measured round trip.
   */
  readonly maxInFlight: number;
  /** The fewest the stream allows, and what it starts with (default: maxInFlight, a fixed number). */
  readonly minInFlight?: number;
  send(events: OutgoingEvent[]): Promise<SendOutcome>;
  /** Requests the queue has throttled so far, retried ones included (to say why a rate is not held). */
  throttles?(): number;
}

/**
 * A sender with `send` replaced and everything else kept (its batch size, its in-flight range, its
 * throttle count), for a caller that wraps the sends (to see what was accepted, or to say why one failed).
 */
export function withSend(sender: EventSender, send: EventSender['send']): EventSender {
  return {
    maxBatchSize: sender.maxBatchSize,
    maxInFlight: sender.maxInFlight,
    minInFlight: sender.minInFlight,
    throttles: sender.throttles && (() => sender.throttles?.() ?? 0),
    send,
  };
}

export interface StreamStats {
  sent: number;
  skipped: number;
  failed: number;
  elapsedMs: number;
  /** Events accepted per second since the start. */
  ratePerSecond: number;
}

/** How a stream keeps to its schedule, and how its sends go. */
export interface StreamPacing {
  /** 1000 / intervalMs; null when unthrottled. */
  askedRatePerSecond: number | null;
  /** Events accepted per second over the last second. */
  holdingRatePerSecond: number;
  /**
   * Whether the stream keeps to its schedule, within a second: while it runs, now; in the result,
   * all along. Null when unthrottled.
   */
  rateHeld: boolean | null;
  /** When it does not: what holds it back now; in the result, what held it back for longest. */
  limitedBy: RateLimit | null;
  /** How long the oldest event due but not sent has been due, ms; null when unthrottled. */
  behindMs: number | null;
  /** The most the stream fell behind its schedule so far, ms; null when unthrottled. */
  maxBehindMs: number | null;
  /** Sends in flight now, the limit sized from the round trip, and the most there were at once. */
  inFlight: number;
  inFlightLimit: number;
  maxInFlight: number;
  /** Mean time from a send to its answer, ms; null before the first answer. */
  roundTripMs: number | null;
  /** Requests the queue throttled so far. */
  throttles: number;
  /** Share of the last second the sending thread was busy (0-1); null when not measured. */
  busyShare: number | null;
}

/** What a stream reports as it goes, and at its end. */
export type StreamProgress = StreamStats & StreamPacing;

export interface StreamOptions {
  intervalMs: number;
  limit?: number;
  signal?: AbortSignal;
  clock: Clock;
  /**
   * The time the sending thread has spent busy so far, ms (Node: eventLoopUtilization().active): a
   * thread busy all the time is the limit. Without it, the CPU is named only when nothing else is.
   */
  busyMs?: () => number;
  onProgress?: (stats: StreamProgress) => void;
  onSkip?: (item: { line: number; reason: string }) => void;
  onFailure?: (error: string) => void;
  /**
   * Called once when the stream has ended, however it ended (the source ran out, the limit, the
   * signal, an error), after its sends settled: what it sent in all, to report even on an error.
   */
  onEnd?: (stats: StreamProgress) => void;
}

/** While every send slot is taken, progress is still reported this often, so a stall shows. */
const HEARTBEAT_MS = 500;

/**
 * Streams a source into a queue on the pacing schedule. Events that fall due together go in one
 * batch; a read happens only when an event is due and a send slot is free (backpressure), so memory
 * stays flat whatever the file size. The send slots follow the round trip (InFlightLimit), and a
 * stream that cannot keep to its schedule says so and why (RateWatch). Returns when the source ends,
 * the limit is reached or the signal aborts, always after the sends in flight have settled.
 */
export async function streamEvents(
  source: AsyncIterable<readonly SourceItem[]>,
  sender: EventSender,
  options: StreamOptions,
): Promise<StreamProgress> {
  const { clock, signal } = options;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const schedule = new PacingSchedule(clock.now(), options.intervalMs);
  const asked = options.intervalMs > 0 ? 1000 / options.intervalMs : null;
  const slots = new InFlightLimit(
    {
      min: sender.minInFlight ?? sender.maxInFlight,
      max: sender.maxInFlight,
      batchSize: sender.maxBatchSize,
    },
    asked,
  );
  const watch = new RateWatch({
    startMs: schedule.startMs,
    askedPerSecond: asked,
    busyMs: options.busyMs?.(),
  });
  const stats: StreamProgress = {
    sent: 0,
    skipped: 0,
    failed: 0,
    elapsedMs: 0,
    ratePerSecond: 0,
    askedRatePerSecond: asked,
    holdingRatePerSecond: 0,
    rateHeld: asked === null ? null : true,
    limitedBy: null,
    behindMs: asked === null ? null : 0,
    maxBehindMs: asked === null ? null : 0,
    inFlight: 0,
    inFlightLimit: slots.limit,
    maxInFlight: 0,
    roundTripMs: null,
    throttles: 0,
    busyShare: null,
  };
  const inFlight = new Set<Promise<void>>();
  /** Resolves the wait for a free slot when a send settles (one waiter at a time: the loop). */
  let slotFreed: (() => void) | undefined;
  /** Ends the progress heartbeat's pending sleep when the stream is over. */
  const over = new AbortController();
  const beatSignal = signal ? AbortSignal.any([signal, over.signal]) : over.signal;
  let beat: Promise<false> | undefined;
  let beatFrom = 0;
  /** One heartbeat at a time, shared by the waits until it fires: no timer or signal per wait. */
  const nextBeat = (): Promise<false> => {
    if (!beat) {
      beatFrom = clock.now();
      beat = clock.sleep(HEARTBEAT_MS, beatSignal).then(() => {
        beat = undefined;
        return false as const;
      });
    }
    return beat;
  };
  const iterator = source[Symbol.asyncIterator]();
  let fatal: unknown;
  let queued = 0;
  let ended = false;
  type Row = Extract<SourceItem, { kind: 'row' }>;
  let lookahead: Row | undefined;
  let chunk: readonly SourceItem[] = [];
  let chunkAt = 0;

  /** The next row of the chunk in hand (skipped rows counted on the way), without waiting. */
  const takeBuffered = (): Row | undefined => {
    if (lookahead) {
      const row = lookahead;
      lookahead = undefined;
      return row;
    }
    while (chunkAt < chunk.length) {
      const item = chunk[chunkAt++] as SourceItem;
      if (item.kind === 'row') return item;
      stats.skipped++;
      options.onSkip?.(item);
    }
    return undefined;
  };

  /** A read of the source that has not been taken yet (readyRow may leave one waiting). */
  let reading: Promise<IteratorResult<readonly SourceItem[]>> | undefined;
  /** The source failed midway: the rows in hand still go out, then the stream ends with it. */
  let sourceError: unknown;

  /** The next row, reading the source when the chunk is used up; undefined at the end of the source. */
  const nextRow = async (): Promise<Row | undefined> => {
    for (;;) {
      const row = takeBuffered();
      if (row) return row;
      const waitedFrom = clock.now();
      const busyFrom = options.busyMs?.();
      reading ??= iterator.next();
      const next = await reading.finally(() => {
        reading = undefined;
      });
      watch.waited('source', clock.now() - waitedFrom, busySince(busyFrom));
      if (next.done) {
        ended = true;
        return undefined;
      }
      chunk = next.value;
      chunkAt = 0;
    }
  };

  /**
   * The next row if the source has one at hand (buffered, or a chunk it read ahead), without waiting
   * on its I/O: a batch goes out with the rows there are rather than waiting for a slow source (a
   * FIFO whose writer is slow) to fill it. A read still waiting is taken by the next nextRow.
   */
  const readyRow = async (): Promise<Row | undefined> => {
    const row = takeBuffered();
    if (row || ended) return row;
    reading ??= iterator.next();
    const settled = reading.then(
      () => true,
      () => true,
    );
    const ready = await Promise.race([
      settled,
      new Promise<false>((resolve) => setImmediate(resolve, false)),
    ]);
    return ready ? nextRow() : undefined;
  };

  const sample = (): RateSample => {
    const now = clock.now();
    const due = Math.min(schedule.dueBy(now), limit);
    return {
      now,
      sent: stats.sent,
      behindMs: asked !== null && due > queued ? now - schedule.dueAt(queued) : 0,
      throttles: sender.throttles?.() ?? 0,
      busyMs: options.busyMs?.(),
    };
  };

  /** Brings the stats up to date (the rate watch sees every send, reported or not). */
  const update = (): StreamProgress => {
    const now = sample();
    const windows = watch.windows;
    const state = watch.observe(now);
    if (watch.windows > windows) {
      slots.window({ perSecond: state.holdingPerSecond, busyShare: state.busyShare });
    }
    stats.elapsedMs = now.now - schedule.startMs;
    stats.ratePerSecond = stats.elapsedMs > 0 ? (stats.sent * 1000) / stats.elapsedMs : 0;
    stats.throttles = now.throttles;
    stats.inFlight = inFlight.size;
    stats.inFlightLimit = slots.limit;
    stats.roundTripMs = slots.roundTripMs;
    stats.holdingRatePerSecond = state.holdingPerSecond;
    stats.busyShare = state.busyShare;
    if (asked !== null) {
      stats.behindMs = state.behindMs;
      stats.maxBehindMs = Math.max(stats.maxBehindMs ?? 0, state.behindMs);
      stats.limitedBy = state.limitedBy;
      stats.rateHeld = state.limitedBy === null;
    }
    return stats;
  };

  /** How long the thread was busy since `from` (a busyMs reading): what ran while the stream waited. */
  const busySince = (from: number | undefined): number =>
    from === undefined ? 0 : (options.busyMs?.() ?? from) - from;

  const report = (): void => {
    const current = update();
    options.onProgress?.({ ...current });
  };

  /** Waits until a send slot is free (the limit can move), reporting progress meanwhile so that a stall shows. */
  const waitForSlot = async (): Promise<void> => {
    let from = clock.now();
    let busyFrom = options.busyMs?.();
    let heartbeat = true;
    while (inFlight.size >= slots.limit && fatal === undefined) {
      const answered = new Promise<true>((resolve) => {
        slotFreed = () => resolve(true);
      });
      const settled = heartbeat ? await Promise.race([answered, nextBeat()]) : await answered;
      slotFreed = undefined;
      const now = clock.now();
      // A clock whose sleeps return at once (a test's) would make this loop spin: wait for answers only.
      if (!settled && now - beatFrom < HEARTBEAT_MS / 2) heartbeat = false;
      watch.waited('slot', now - from, busySince(busyFrom));
      from = now;
      busyFrom = options.busyMs?.();
      if (signal?.aborted) break;
      // A send settled: wait on while the sends in flight are still at the limit, which may have
      // come down below them (the thread turned out to be the limit, not the round trip).
      if (!settled) report();
    }
  };

  try {
    while (!ended && !signal?.aborted && fatal === undefined && sourceError === undefined && queued < limit) {
      const now = clock.now();
      const due = Math.min(schedule.dueBy(now), limit);
      if (due <= queued) {
        // Read the next row before waiting for its due time: a source that has ended stops the
        // stream now, not one interval after its last event.
        lookahead ??= await nextRow();
        if (lookahead === undefined) break;
        await clock.sleep(schedule.dueAt(queued) - clock.now(), signal);
        continue;
      }
      const rows: Row[] = [];
      const want = Math.min(due - queued, sender.maxBatchSize);
      while (rows.length < want) {
        let row: Row | undefined;
        try {
          row = rows.length === 0 ? await nextRow() : await readyRow();
        } catch (error) {
          // The source failed midway (a file deleted, a FIFO empty on a later pass): the rows in
          // hand still go out, and the stream ends with the error once they settled.
          sourceError = error;
          break;
        }
        if (row === undefined) break;
        rows.push(row);
      }
      if (rows.length === 0) break;
      const time = clock.now();
      const events: OutgoingEvent[] = rows.map((row) => ({
        id: uuidv7(time),
        time,
        county: row.county,
        dataJson: row.dataJson,
      }));
      queued += events.length;
      const send: Promise<void> = sender.send(events).then(
        (outcome) => {
          slots.record(clock.now() - time, events.length);
          stats.sent += outcome.sent;
          stats.failed += outcome.failed;
          if (outcome.failed > 0) options.onFailure?.(outcome.error ?? `${outcome.failed} events not sent`);
        },
        (error: unknown) => {
          stats.failed += events.length;
          fatal ??= error;
        },
      );
      inFlight.add(send);
      stats.maxInFlight = Math.max(stats.maxInFlight, inFlight.size);
      void send.finally(() => {
        inFlight.delete(send);
        slotFreed?.();
      });
      if (inFlight.size >= slots.limit) await waitForSlot();
      report();
    }
  } catch (error) {
    fatal ??= error;
  } finally {
    over.abort();
    await Promise.all(inFlight);
    // A read still waiting (a FIFO with no writer) would hold return() up: it closes the source once
    // the read ends, which the caller brings about by aborting the source's signal.
    const pending: Promise<unknown> | undefined = reading;
    if (pending === undefined) {
      try {
        await iterator.return?.();
      } catch (error) {
        fatal ??= error;
      }
    } else
      void pending.then(
        () => iterator.return?.(),
        () => undefined,
      );
  }
  const result = { ...update() };
  const summary = watch.finish(sample());
  const final: StreamProgress = { ...result, ...summary, holdingRatePerSecond: watch.state.holdingPerSecond };
  options.onEnd?.(final);
  if (fatal !== undefined) throw fatal;
  if (sourceError !== undefined) throw sourceError;
  return final;
}
