import type { Clock } from './clock.js';
import type { OutgoingEvent } from './event.js';
import { uuidv7 } from './id.js';
import { PacingSchedule } from './pacing.js';

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
}

/** A queue producer. `send` rejects only on errors that must stop the stream (e.g. the stack is gone). */
export interface EventSender {
  /** The most events one `send` takes (SQS SendMessageBatch: 10). */
  readonly maxBatchSize: number;
  /** How many sends may be in flight at once (enough to hold the rate on a remote queue). */
  readonly maxInFlight: number;
  send(events: OutgoingEvent[]): Promise<SendOutcome>;
}

export interface StreamStats {
  sent: number;
  skipped: number;
  failed: number;
  elapsedMs: number;
  ratePerSecond: number;
}

export interface StreamOptions {
  intervalMs: number;
  limit?: number;
  signal?: AbortSignal;
  clock: Clock;
  onProgress?: (stats: StreamStats) => void;
  onSkip?: (item: { line: number; reason: string }) => void;
  onFailure?: (error: string) => void;
  /**
   * Called once when the stream has ended, however it ended (the source ran out, the limit, the
   * signal, an error), after its sends settled: what it sent in all, to report even on an error.
   */
  onEnd?: (stats: StreamStats) => void;
}

/**
 * Streams a source into a queue on the pacing schedule. Events that fall due together go in one
 * batch; a read happens only when an event is due and a send slot is free (backpressure), so memory
 * stays flat whatever the file size. Returns when the source ends, the limit is reached or the
 * signal aborts, always after the sends in flight have settled.
 */
export async function streamEvents(
  source: AsyncIterable<readonly SourceItem[]>,
  sender: EventSender,
  options: StreamOptions,
): Promise<StreamStats> {
  const { clock, signal } = options;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const schedule = new PacingSchedule(clock.now(), options.intervalMs);
  const stats: StreamStats = { sent: 0, skipped: 0, failed: 0, elapsedMs: 0, ratePerSecond: 0 };
  const inFlight = new Set<Promise<void>>();
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
  let sourceError: unknown;

  /** The next row, reading the source when the chunk is used up; undefined at the end of the source. */
  const nextRow = async (): Promise<Row | undefined> => {
    for (;;) {
      const row = takeBuffered();
      if (row) return row;
      reading ??= iterator.next();
      const next = await reading.finally(() => {
        reading = undefined;
      });
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

  const snapshot = (): StreamStats => {
    stats.elapsedMs = clock.now() - schedule.startMs;
    stats.ratePerSecond = stats.elapsedMs > 0 ? (stats.sent * 1000) / stats.elapsedMs : 0;
    return { ...stats };
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
      void send.finally(() => inFlight.delete(send));
      if (inFlight.size >= sender.maxInFlight) await Promise.race(inFlight);
      options.onProgress?.(snapshot());
    }
  } catch (error) {
    fatal ??= error;
  } finally {
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
  const final = snapshot();
  options.onEnd?.(final);
  if (fatal !== undefined) throw fatal;
  if (sourceError !== undefined) throw sourceError;
  return final;
}
