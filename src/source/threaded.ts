import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InputError } from '../core/errors.js';
import type { SourceItem } from '../core/streamer.js';
import { type CsvSourceOptions, csvSource } from './csv.js';
import type { ThreadMessage } from './csv-thread.js';

const threadScript = new URL('./csv-thread.js', import.meta.url);

/**
 * Files smaller than this are parsed on the main thread: starting a thread (~100 ms before its first
 * row) costs more than parsing them, and a looped small file is parsed only once anyway.
 */
export const THREAD_MIN_BYTES = 1024 * 1024;

export interface ThreadedCsvOptions extends Pick<CsvSourceOptions, 'file' | 'loop' | 'signal'> {
  /** Parse in a thread only from this file size on (default THREAD_MIN_BYTES). */
  threadMinBytes?: number;
}

/**
 * The same items as csvSource; a large file is parsed on a worker thread so that CSV parsing runs on
 * the second core while the main thread sends. One batch is always requested ahead, so memory stays
 * at two batches. Where the compiled thread script is absent (running from TypeScript sources), it
 * reads in-thread.
 */
export async function* threadedCsvSource(options: ThreadedCsvOptions): AsyncGenerator<SourceItem[]> {
  const { threadMinBytes = THREAD_MIN_BYTES, signal, ...source } = options;
  // Only a big regular file goes to the thread: a FIFO or a device is read by the event loop (csvSource).
  if (!existsSync(fileURLToPath(threadScript)) || (await regularFileSize(source.file)) < threadMinBytes) {
    yield* csvSource({ ...source, signal });
    return;
  }
  // A small young generation: the thread only ever holds two batches, and RSS is a target.
  const worker = new Worker(threadScript, {
    workerData: { sensorpipeCsv: source },
    resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 24 },
  });
  const inbox: ThreadMessage[] = [];
  let wake: (() => void) | undefined;
  let crashed: Error | undefined;
  worker.on('message', (message: ThreadMessage) => {
    inbox.push(message);
    wake?.();
  });
  worker.on('error', (error) => {
    crashed = error;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort, { once: true });
  /** The thread's next message; undefined once the signal aborted (the source ends). */
  const receive = async (): Promise<ThreadMessage | undefined> => {
    while (inbox.length === 0) {
      if (crashed) throw crashed;
      if (signal?.aborted) return undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    return inbox.shift() as ThreadMessage;
  };
  try {
    worker.postMessage('next');
    for (;;) {
      const message = await receive();
      if (message === undefined) return;
      const last = 'error' in message || message.done;
      if (!last) worker.postMessage('next'); // read ahead while this batch is sent
      if (message.items.length > 0) yield message.items;
      if ('error' in message) {
        throw message.error.input ? new InputError(message.error.message) : new Error(message.error.message);
      }
      if (last) return;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await worker.terminate();
  }
}

/** The size of a regular file; 0 for anything else, and infinity when it cannot be read (csvSource then reports why). */
async function regularFileSize(file: string): Promise<number> {
  try {
    const info = await stat(file);
    return info.isFile() ? info.size : 0;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
