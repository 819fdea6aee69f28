import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ensureBuilt, importBuilt } from '../../testkit/build.js';
import { collect, mixedCsv, sharedBehaviour, type ThreadedModule } from './threaded-behaviour.js';

describe('source/threaded, built', () => {
  sharedBehaviour('compiled (dist/, parsing on a worker thread)', async () => {
    const threaded = await importBuilt<ThreadedModule>('src/source/threaded.js');
    const csv = await importBuilt<typeof import('../../src/source/csv.js')>('src/source/csv.js');
    return {
      threaded: (options) => threaded.threadedCsvSource({ ...options, threadMinBytes: 0 }),
      reference: csv.csvSource,
    };
  });

  describe('compiled, on the thread', () => {
    before(ensureBuilt);

    it('parses on a worker thread (a message port is open while it reads)', async () => {
      const { threadedCsvSource: compiled } = await importBuilt<ThreadedModule>('src/source/threaded.js');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-threaded-'));
      try {
        const file = path.join(dir, 'f.csv');
        fs.writeFileSync(file, mixedCsv(10));
        let during: string[] = [];
        for await (const _ of compiled({ file, loop: false, threadMinBytes: 0 })) {
          during = process.getActiveResourcesInfo();
          break;
        }
        expect(during).to.include('MessagePort');
        // A file under the threshold is parsed on the main thread: no thread to start.
        for await (const _ of compiled({ file, loop: false })) {
          during = process.getActiveResourcesInfo();
          break;
        }
        expect(during).to.not.include('MessagePort');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('throws a SensorpipeError with exit code 2 for an input error from the thread', async () => {
      const { threadedCsvSource: compiled } = await importBuilt<ThreadedModule>('src/source/threaded.js');
      const { error } = await collect(compiled({ file: '/nonexistent/x.csv', loop: false }));
      expect(error).to.have.property('exitCode', 2);
      expect(error).to.have.property('code', 'INPUT');
    });
  });
});
