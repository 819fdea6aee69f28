import { parentPort, workerData } from 'node:worker_threads';
import { isSensorpipeError } from '../core/errors.js';
import type { SourceItem } from '../core/streamer.js';
import { type CsvSourceOptions, csvSource } from './csv.js';

/** What the reading thread posts: a chunk of items, then `done`, or the error that ended the read. */
export type ThreadMessage =
  | { items: SourceItem[]; done: boolean }
  | { items: SourceItem[]; error: { message: string; input: boolean } };

// Worker side: parses the CSV off the main thread and answers each 'next' with a batch.
if (parentPort && workerData?.sensorpipeCsv) {
  const port = parentPort;
  const options = workerData.sensorpipeCsv as Pick<CsvSourceOptions, 'file' | 'loop'>;
  const chunks = csvSource(options);
  port.on('message', async (request: 'next' | 'stop') => {
    if (request === 'stop') {
      await chunks.return(undefined);
      port.close();
      return;
    }
    try {
      const next = await chunks.next();
      port.postMessage({
        items: next.done ? [] : next.value,
        done: next.done === true,
      } satisfies ThreadMessage);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      port.postMessage({
        items: [],
        error: { message, input: isSensorpipeError(error) },
      } satisfies ThreadMessage);
    }
  });
}
