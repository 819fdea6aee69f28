import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import sinon from 'sinon';
import { resolveDatasetWithProgress } from '../../src/cli/dataset.js';
import { EnvironmentError } from '../../src/core/errors.js';
import { DATASET_FILE } from '../../src/source/dataset.js';
import { rejection } from '../../testkit/rejection.js';

const CSV = 'Waterbody_Name,County\nCayuta Creek,Chemung\nOwego Creek,Tioga\n';

describe('cli/dataset', () => {
  let dir: string;
  let stderr: string[];
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-services-dataset-'));
    env = { ...process.env };
    delete process.env.SENSORPIPE_DATASET;
    process.env.SENSORPIPE_CACHE_DIR = path.join(dir, 'cache');
    stderr = [];
    sinon.stub(process.stderr, 'write').callsFake((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
  });

  afterEach(() => {
    sinon.restore();
    for (const key of ['SENSORPIPE_DATASET', 'SENSORPIPE_CACHE_DIR']) {
      if (env[key] === undefined) delete process.env[key];
      else process.env[key] = env[key];
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uses --file as given, downloading nothing and printing nothing', async () => {
    const fetch = sinon.stub(globalThis, 'fetch').rejects(new Error('no network in tests'));
    expect(await resolveDatasetWithProgress('rivers.csv', false)).to.equal('rivers.csv');
    expect(fetch.called).to.equal(false);
    expect(stderr).to.deep.equal([]);
  });

  it('uses SENSORPIPE_DATASET when there is no --file', async () => {
    process.env.SENSORPIPE_DATASET = path.join(dir, 'env.csv');
    expect(await resolveDatasetWithProgress(undefined, false)).to.equal(path.join(dir, 'env.csv'));
  });

  it('uses the cached copy silently', async () => {
    const fetch = sinon.stub(globalThis, 'fetch').rejects(new Error('no network in tests'));
    fs.mkdirSync(path.join(dir, 'cache'));
    fs.writeFileSync(path.join(dir, 'cache', DATASET_FILE), CSV);
    expect(await resolveDatasetWithProgress(undefined, false)).to.equal(
      path.join(dir, 'cache', DATASET_FILE),
    );
    expect(fetch.called).to.equal(false);
    expect(stderr).to.deep.equal([]);
  });

  it('downloads once into the cache, with progress and the cached path on stderr', async () => {
    const fetch = sinon
      .stub(globalThis, 'fetch')
      .callsFake(async () => new Response(CSV, { headers: { 'content-length': String(CSV.length) } }));
    const file = await resolveDatasetWithProgress(undefined, false);
    expect(file).to.equal(path.join(dir, 'cache', DATASET_FILE));
    expect(fs.readFileSync(file, 'utf8')).to.equal(CSV);
    expect(fetch.calledOnce).to.equal(true);
    const text = stderr.join('');
    expect(text).to.match(/^Downloading the dataset: 0\.0 of 0\.0 MB\n/);
    expect(text).to.include(`Dataset cached at ${file}\n`);
    // The next run finds the cache.
    stderr.length = 0;
    expect(await resolveDatasetWithProgress(undefined, false)).to.equal(file);
    expect(fetch.calledOnce).to.equal(true);
    expect(stderr).to.deep.equal([]);
  });

  it('prints nothing when quiet (--json)', async () => {
    sinon.stub(globalThis, 'fetch').callsFake(async () => new Response(CSV));
    await resolveDatasetWithProgress(undefined, true);
    expect(stderr).to.deep.equal([]);
  });

  it('fails with an environment error (exit 4) that suggests --file when the download fails', async () => {
    sinon.stub(globalThis, 'fetch').rejects(Object.assign(new Error('fetch failed'), { code: 'ENOTFOUND' }));
    const error = await rejection(resolveDatasetWithProgress(undefined, false));
    expect(error).to.be.instanceOf(EnvironmentError);
    expect((error as EnvironmentError).exitCode).to.equal(4);
    expect(error.message).to.include('--file');
    expect(fs.existsSync(path.join(dir, 'cache', DATASET_FILE))).to.equal(false);
  });
});
