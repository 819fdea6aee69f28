import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { EnvironmentError, isSensorpipeError, UsageError } from '../core/errors.js';
import { readCsv } from './csv.js';

export const DATASET_URL = 'https://data.ny.gov/api/views/jcxg-7gnm/rows.csv?accessType=DOWNLOAD';
export const DATASET_FILE = 'Recommended_Fishing_Rivers_And_Streams.csv';
/** About 100 times the real file (~160 KB): room to grow, no room for a runaway response. */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024;

export interface DownloadProgress {
  receivedBytes: number;
  /** From Content-Length, when the server sends one. */
  totalBytes?: number;
}

export interface ResolveDatasetOptions {
  /** A local CSV (`--file`): used as is, nothing downloaded. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  cacheDir?: string;
  fetch?: typeof fetch;
  /** Where to download from; only https:// is accepted. */
  url?: string;
  onProgress?(progress: DownloadProgress): void;
  maxBytes?: number;
  /** Download again even when a cached copy exists (which stays if the download fails). */
  refresh?: boolean;
}

export interface ResolvedDataset {
  path: string;
  source: 'file' | 'env' | 'cache' | 'download';
}

/** The per-user cache directory of each platform's convention; `SENSORPIPE_CACHE_DIR` overrides. */
export function cacheDir(env = process.env, platform = process.platform, home = os.homedir()): string {
  if (env.SENSORPIPE_CACHE_DIR) return env.SENSORPIPE_CACHE_DIR;
  if (platform === 'win32') {
    return path.win32.join(
      env.LOCALAPPDATA || path.win32.join(home, 'AppData', 'Local'),
      'sensorpipe',
      'Cache',
    );
  }
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Caches', 'sensorpipe');
  // The XDG spec says to ignore a relative XDG_CACHE_HOME.
  const xdg = env.XDG_CACHE_HOME;
  return xdg && path.posix.isAbsolute(xdg)
    ? path.posix.join(xdg, 'sensorpipe')
    : path.posix.join(home, '.cache', 'sensorpipe');
}

/**
 * Finds the CSV to stream: `file`, else `SENSORPIPE_DATASET`, else the cached copy, else a fresh
 * download into the cache. A download only replaces the cache once it is complete and has a County
 * column, so an interrupted or wrong download never costs a good copy.
 */
export async function resolveDataset(options: ResolveDatasetOptions = {}): Promise<ResolvedDataset> {
  if (options.file) return { path: options.file, source: 'file' };
  const env = options.env ?? process.env;
  if (env.SENSORPIPE_DATASET) return { path: env.SENSORPIPE_DATASET, source: 'env' };
  const dir = options.cacheDir ?? cacheDir(env);
  const cached = path.join(dir, DATASET_FILE);
  if (!options.refresh && (await isNonEmptyFile(cached))) return { path: cached, source: 'cache' };
  await download(dir, cached, options);
  return { path: cached, source: 'download' };
}

async function download(dir: string, target: string, options: ResolveDatasetOptions): Promise<void> {
  const url = options.url ?? DATASET_URL;
  if (!isHttps(url))
    throw new UsageError(`Refusing to download the dataset from ${url}: only https:// URLs are allowed.`);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;

  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw cacheError(dir, error);
  }
  const temp = path.join(dir, `.${DATASET_FILE}.${randomUUID()}.tmp`);
  const abort = new AbortController();
  try {
    let response: Response;
    try {
      response = await (options.fetch ?? fetch)(url, { signal: abort.signal, redirect: 'follow' });
    } catch (error) {
      throw downloadFailed(reasonOf(error), error);
    }
    // A redirect must not downgrade the transport either.
    if (response.url && !isHttps(response.url)) throw downloadFailed(`redirected to ${response.url}`);
    if (!response.ok)
      throw downloadFailed(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    if (response.body === null) throw downloadFailed('the response has no body');
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    const totalBytes = Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
    if (totalBytes !== undefined && totalBytes > maxBytes) throw tooLarge(maxBytes);

    await save(
      response.body as WebReadableStream<Uint8Array>,
      temp,
      maxBytes,
      totalBytes,
      options.onProgress,
    );
    await checkHasCounty(temp);
    await rename(temp, target);
  } catch (error) {
    abort.abort();
    await unlink(temp).catch(() => {});
    throw error;
  }
}

async function save(
  body: WebReadableStream<Uint8Array>,
  temp: string,
  maxBytes: number,
  totalBytes: number | undefined,
  onProgress: ResolveDatasetOptions['onProgress'],
): Promise<void> {
  let receivedBytes = 0;
  let overflow = false;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      receivedBytes += chunk.length;
      if (receivedBytes > maxBytes) {
        overflow = true;
        callback(tooLarge(maxBytes));
        return;
      }
      onProgress?.({ receivedBytes, totalBytes });
      callback(null, chunk);
    },
  });
  let writeFailed = false;
  const file = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
  file.on('error', () => {
    writeFailed = true;
  });
  try {
    await pipeline(Readable.fromWeb(body), meter, file);
  } catch (error) {
    if (overflow || isSensorpipeError(error)) throw error;
    if (writeFailed) throw cacheError(path.dirname(temp), error);
    throw downloadFailed(reasonOf(error), error);
  }
}

/** The header only: a server error page or a changed dataset must not become the cached copy. */
async function checkHasCounty(file: string): Promise<void> {
  const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
  try {
    // readCsv throws on an empty file or a header without County; past the header there is nothing to check.
    for await (const _ of readCsv(stream, { source: 'the downloaded file' })) break;
  } catch (error) {
    throw new EnvironmentError(
      `The dataset downloaded from data.ny.gov is not usable: ${(error as Error).message} ` +
        'Pass --file PATH to stream a local CSV.',
      'DOWNLOAD_INVALID',
      { cause: error },
    );
  } finally {
    stream.destroy();
  }
}

async function isNonEmptyFile(file: string): Promise<boolean> {
  try {
    const stats = await stat(file);
    return stats.isFile() && stats.size > 0;
  } catch {
    return false;
  }
}

function isHttps(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

function reasonOf(error: unknown): string {
  // undici reports `fetch failed` and keeps the useful part (ENOTFOUND, ECONNRESET…) in the cause.
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = (error as NodeJS.ErrnoException).code ?? cause?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${message}: ${code}` : message;
}

function downloadFailed(reason: string, cause?: unknown): EnvironmentError {
  return new EnvironmentError(
    `Could not download the dataset from data.ny.gov (${reason}). Pass --file PATH to stream a local CSV.`,
    'DOWNLOAD_FAILED',
    { cause },
  );
}

function tooLarge(maxBytes: number): EnvironmentError {
  return new EnvironmentError(
    `The dataset download is larger than ${formatBytes(maxBytes)} and was stopped. ` +
      'Pass --file PATH to stream a local CSV.',
    'DOWNLOAD_TOO_LARGE',
  );
}

function cacheError(dir: string, cause: unknown): EnvironmentError {
  return new EnvironmentError(
    `Could not write the dataset cache in ${dir} (${reasonOf(cause)}). ` +
      'Set SENSORPIPE_CACHE_DIR to a writable directory or pass --file PATH.',
    'CACHE_UNWRITABLE',
    { cause },
  );
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${+(bytes / 1024 / 1024).toFixed(1)} MiB` : `${bytes} bytes`;
}
