import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import sinon from 'sinon';
import { EnvironmentError, UsageError } from '../../src/core/errors.js';
import {
  cacheDir,
  DATASET_FILE,
  DATASET_URL,
  type DownloadProgress,
  resolveDataset,
} from '../../src/source/dataset.js';
import { rejection } from '../../testkit/rejection.js';

const CSV = 'Waterbody_Name,County\r\nCayuta Creek,Chemung\r\nOwego Creek,Tioga\r\n';

/** A fetch that answers with the chunks as a streamed body; never the network. */
function fakeFetch(chunks: Array<string | Error>, init: ResponseInit = {}) {
  return sinon.spy(async (_url: string | URL | Request, _init?: RequestInit) => {
    const encoder = new TextEncoder();
    let next = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = chunks[next++];
        if (chunk === undefined) controller.close();
        else if (chunk instanceof Error) controller.error(chunk);
        else controller.enqueue(encoder.encode(chunk));
      },
    });
    return new Response(body, init);
  }) as sinon.SinonSpy & typeof fetch;
}

describe('source/dataset', () => {
  describe('cacheDir', () => {
    it('follows XDG on Linux, ignoring a relative XDG_CACHE_HOME', () => {
      expect(cacheDir({}, 'linux', '/home/ana')).to.equal('/home/ana/.cache/sensorpipe');
      expect(cacheDir({ XDG_CACHE_HOME: '/var/cache/ana' }, 'linux', '/home/ana')).to.equal(
        '/var/cache/ana/sensorpipe',
      );
      expect(cacheDir({ XDG_CACHE_HOME: 'cache' }, 'linux', '/home/ana')).to.equal(
        '/home/ana/.cache/sensorpipe',
      );
    });

    it('uses ~/Library/Caches on macOS', () => {
      expect(cacheDir({}, 'darwin', '/Users/ana')).to.equal('/Users/ana/Library/Caches/sensorpipe');
    });

    it('uses %LOCALAPPDATA% on Windows', () => {
      expect(
        cacheDir({ LOCALAPPDATA: 'C:\\Users\\ana\\AppData\\Local' }, 'win32', 'C:\\Users\\ana'),
      ).to.equal('C:\\Users\\ana\\AppData\\Local\\sensorpipe\\Cache');
      expect(cacheDir({}, 'win32', 'C:\\Users\\ana')).to.equal(
        'C:\\Users\\ana\\AppData\\Local\\sensorpipe\\Cache',
      );
    });

    it('lets SENSORPIPE_CACHE_DIR override every platform', () => {
      for (const platform of ['linux', 'darwin', 'win32'] as const) {
        expect(cacheDir({ SENSORPIPE_CACHE_DIR: '/tmp/sp', XDG_CACHE_HOME: '/x' }, platform, '/h')).to.equal(
          '/tmp/sp',
        );
      }
    });
  });

  describe('resolveDataset', () => {
    let root: string;
    let dir: string;

    beforeEach(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'sensorpipe-dataset-'));
      dir = path.join(root, 'cache', 'sensorpipe');
    });

    afterEach(() => {
      fs.rmSync(root, { recursive: true, force: true });
    });

    const cached = () => path.join(dir, DATASET_FILE);
    const writeCache = (text: string) => {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(cached(), text);
    };

    it('prefers --file, then SENSORPIPE_DATASET, then the cache, without downloading', async () => {
      writeCache(CSV);
      const fetch = fakeFetch([CSV]);
      const env = { SENSORPIPE_DATASET: '/data/env.csv' };
      expect(await resolveDataset({ file: 'mine.csv', env, cacheDir: dir, fetch })).to.deep.equal({
        path: 'mine.csv',
        source: 'file',
      });
      expect(await resolveDataset({ env, cacheDir: dir, fetch })).to.deep.equal({
        path: '/data/env.csv',
        source: 'env',
      });
      expect(await resolveDataset({ env: {}, cacheDir: dir, fetch })).to.deep.equal({
        path: cached(),
        source: 'cache',
      });
      expect(fetch.called).to.equal(false);
    });

    it('downloads once into the cache, then reuses the cached copy', async () => {
      // GIVEN an empty cache
      const fetch = fakeFetch([CSV.slice(0, 10), CSV.slice(10)]);
      // WHEN the dataset is resolved twice
      const first = await resolveDataset({ env: {}, cacheDir: dir, fetch });
      const second = await resolveDataset({ env: {}, cacheDir: dir, fetch });
      // THEN the first downloads from data.ny.gov, the second reads the cache
      expect(first).to.deep.equal({ path: cached(), source: 'download' });
      expect(second).to.deep.equal({ path: cached(), source: 'cache' });
      expect(fetch.calledOnce).to.equal(true);
      expect(String(fetch.firstCall.args[0])).to.equal(DATASET_URL);
      expect(fs.readFileSync(cached(), 'utf8')).to.equal(CSV);
      expect(fs.readdirSync(dir)).to.deep.equal([DATASET_FILE]);
      if (process.platform !== 'win32') {
        expect(fs.statSync(cached()).mode & 0o777).to.equal(0o600);
        expect(fs.statSync(dir).mode & 0o777).to.equal(0o700);
      }
    });

    it('finds the cache directory from the environment', async () => {
      const fetch = fakeFetch([CSV]);
      const result = await resolveDataset({ env: { SENSORPIPE_CACHE_DIR: dir }, fetch });
      expect(result).to.deep.equal({ path: cached(), source: 'download' });
    });

    it('reports progress with the size the server announced', async () => {
      const chunks = ['Name,County\n', 'A,Erie\n', 'B,Kings\n'];
      const total = chunks.join('').length;
      const progress: DownloadProgress[] = [];
      const fetch = fakeFetch(chunks, { headers: { 'content-length': String(total) } });
      await resolveDataset({ env: {}, cacheDir: dir, fetch, onProgress: (p) => progress.push(p) });
      expect(progress).to.deep.equal([
        { receivedBytes: 12, totalBytes: total },
        { receivedBytes: 19, totalBytes: total },
        { receivedBytes: total, totalBytes: total },
      ]);
    });

    it('refuses a download the server announces as too large, before reading it', async () => {
      const fetch = fakeFetch([CSV], { headers: { 'content-length': '2000' } });
      const error = await rejection(resolveDataset({ env: {}, cacheDir: dir, fetch, maxBytes: 1000 }));
      expect(error).to.be.instanceOf(EnvironmentError);
      expect((error as EnvironmentError).code).to.equal('DOWNLOAD_TOO_LARGE');
      expect(error.message).to.equal(
        'The dataset download is larger than 1000 bytes and was stopped. Pass --file PATH to stream a local CSV.',
      );
      expect(fs.readdirSync(dir)).to.deep.equal([]);
    });

    it('stops a download that grows past the cap, leaving nothing behind', async () => {
      // GIVEN a server that sends no length and more than the cap
      const fetch = fakeFetch(['Name,County\n', 'x'.repeat(600), 'y'.repeat(600), 'z'.repeat(600)]);
      const progress: number[] = [];
      // WHEN the dataset is downloaded with a 1000-byte cap
      const error = await rejection(
        resolveDataset({
          env: {},
          cacheDir: dir,
          fetch,
          maxBytes: 1000,
          onProgress: (p) => progress.push(p.receivedBytes),
        }),
      );
      // THEN it stops at the chunk that crosses the cap and neither a cache nor a temp file remains
      expect((error as EnvironmentError).code).to.equal('DOWNLOAD_TOO_LARGE');
      expect(progress).to.deep.equal([12, 612]);
      expect(fs.readdirSync(dir)).to.deep.equal([]);
    });

    it('fails with DOWNLOAD_FAILED on a non-2xx status', async () => {
      const fetch = fakeFetch(['<html>busy</html>'], { status: 503, statusText: 'Service Unavailable' });
      const error = await rejection(resolveDataset({ env: {}, cacheDir: dir, fetch }));
      expect(error).to.be.instanceOf(EnvironmentError);
      expect(error.message).to.equal(
        'Could not download the dataset from data.ny.gov (HTTP 503 Service Unavailable). ' +
          'Pass --file PATH to stream a local CSV.',
      );
      expect((error as EnvironmentError).code).to.equal('DOWNLOAD_FAILED');
      expect((error as EnvironmentError).exitCode).to.equal(4);
      expect(fs.readdirSync(dir)).to.deep.equal([]);
    });

    it('fails with DOWNLOAD_FAILED when fetch throws, naming the cause', async () => {
      const fetch = sinon.stub().rejects(
        new TypeError('fetch failed', {
          cause: Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' }),
        }),
      ) as unknown as typeof globalThis.fetch;
      const error = await rejection(resolveDataset({ env: {}, cacheDir: dir, fetch }));
      expect(error.message).to.equal(
        'Could not download the dataset from data.ny.gov (fetch failed: ENOTFOUND). ' +
          'Pass --file PATH to stream a local CSV.',
      );
      expect((error as EnvironmentError).code).to.equal('DOWNLOAD_FAILED');
    });

    it('fails with DOWNLOAD_FAILED when the connection breaks mid-body, leaving no temp file', async () => {
      const fetch = fakeFetch(['Name,County\nA,Erie\n', new Error('socket hang up')]);
      const error = await rejection(resolveDataset({ env: {}, cacheDir: dir, fetch }));
      expect((error as EnvironmentError).code).to.equal('DOWNLOAD_FAILED');
      expect(error.message).to.include('(socket hang up)');
      expect(fs.readdirSync(dir)).to.deep.equal([]);
    });

    it('never replaces a good cached copy with a download without County', async () => {
      // GIVEN a good cached copy, refreshed from a server that now sends something else
      writeCache(CSV);
      const fetch = fakeFetch(['<!DOCTYPE html>\n<html><body>Maintenance</body></html>\n']);
      // WHEN the refresh runs
      const error = await rejection(resolveDataset({ env: {}, cacheDir: dir, fetch, refresh: true }));
      // THEN it fails and the good copy is still there, alone
      expect((error as EnvironmentError).code).to.equal('DOWNLOAD_INVALID');
      expect(error.message).to.match(
        /^The dataset downloaded from data\.ny\.gov is not usable: .*no County column/,
      );
      expect(fs.readFileSync(cached(), 'utf8')).to.equal(CSV);
      expect(fs.readdirSync(dir)).to.deep.equal([DATASET_FILE]);
    });

    it('does not cache an empty download', async () => {
      const error = await rejection(resolveDataset({ env: {}, cacheDir: dir, fetch: fakeFetch([]) }));
      expect((error as EnvironmentError).code).to.equal('DOWNLOAD_INVALID');
      expect(fs.readdirSync(dir)).to.deep.equal([]);
    });

    it('replaces the cached copy on refresh when the new download is good', async () => {
      writeCache(CSV);
      const fresh = 'Name,County\nNew,Erie\n';
      const result = await resolveDataset({
        env: {},
        cacheDir: dir,
        fetch: fakeFetch([fresh]),
        refresh: true,
      });
      expect(result.source).to.equal('download');
      expect(fs.readFileSync(cached(), 'utf8')).to.equal(fresh);
    });

    it('refuses anything but HTTPS, before fetching', async () => {
      const fetch = fakeFetch([CSV]);
      for (const url of ['http://data.ny.gov/rows.csv', 'file:///etc/passwd', 'not a url']) {
        const error = await rejection(resolveDataset({ env: {}, cacheDir: dir, fetch, url }));
        expect(error).to.be.instanceOf(UsageError);
        expect(error.message).to.include('only https:// URLs are allowed');
      }
      expect(fetch.called).to.equal(false);
    });

    it('refuses a response that was redirected to plain HTTP', async () => {
      const fetch = (async () => {
        const response = new Response(CSV);
        Object.defineProperty(response, 'url', { value: 'http://mirror.example/rows.csv' });
        return response;
      }) as typeof globalThis.fetch;
      const error = await rejection(resolveDataset({ env: {}, cacheDir: dir, fetch }));
      expect((error as EnvironmentError).code).to.equal('DOWNLOAD_FAILED');
      expect(error.message).to.include('redirected to http://mirror.example/rows.csv');
      expect(fs.existsSync(cached())).to.equal(false);
    });

    it('fails with CACHE_UNWRITABLE when the cache directory cannot be made', async () => {
      const blocker = path.join(root, 'file');
      fs.writeFileSync(blocker, '');
      const error = await rejection(
        resolveDataset({ env: {}, cacheDir: path.join(blocker, 'sensorpipe'), fetch: fakeFetch([CSV]) }),
      );
      expect((error as EnvironmentError).code).to.equal('CACHE_UNWRITABLE');
      expect(error.message).to.include('Set SENSORPIPE_CACHE_DIR');
    });
  });
});
