import { parentPort, workerData } from 'node:worker_threads';
import { isSensorpipeError } from '../core/errors.js';
import type { SourceItem } from '../core/streamer.js';
import { type CsvSourceOptions, csvSource } from './csv.js';

/** What the reading thread posts: a batch of items, then `done`, or the error that ended the read. */
export type ThreadMessage =
  | { items: SourceItem[]; done: boolean }
  | { items: SourceItem[]; error: { message: string; input: boolean } };

export const THREAD_BATCH = 512;

// Worker side: parses the CSV off the main thread and answers each 'next' with a batch.
if (parentPort && workerData?.sensorpipeCsv) {
  const port = parentPort;
  const options = workerData.sensorpipeCsv as Pick<CsvSourceOptions, 'file' | 'loop'>;
  const items = csvSource(options);
  port.on('message', async (request: 'next' | 'stop') => {
    if (request === 'stop') {
      await items.return(undefined);
      port.close();
      return;
    }
    const batch: SourceItem[] = [];
    try {
      while (batch.length < THREAD_BATCH) {
        const next = await items.next();
        if (next.done) {
          port.postMessage({ items: batch, done: true } satisfies ThreadMessage);
          return;
        }
        batch.push(next.value);
      }
      port.postMessage({ items: batch, done: false } satisfies ThreadMessage);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      port.postMessage({
        items: batch,
        error: { message, input: isSensorpipeError(error) },
      } satisfies ThreadMessage);
    }
  });
}
