import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { InputError, StackStateError } from '../../src/core/errors.js';
import { reportOfFailedStream, runStream } from '../../src/services/stream.js';
import { LocalTarget } from '../../src/targets/local/local-target.js';
import { expectedCounts, fixtureCsv, total } from '../../testkit/fixtures.js';
import { rejection } from '../../testkit/rejection.js';

describe('services/stream', () => {
  let dir: string;
  let target: LocalTarget;

  const write = (name: string, content: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-services-stream-'));
    target = new LocalTarget({ dataDir: dir, stackName: 'svc' });
    await target.deploy({ ScheduleEnabled: false });
  });

  afterEach(async () => {
    await target.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('streams every row once and, when it ends, every accepted event is stored', async () => {
    const file = write('f.csv', fixtureCsv({ emptyCounty: 2 }));
    const expected = expectedCounts(file);
    const skips: { line: number; reason: string }[] = [];
    const report = await runStream({
      target,
      file,
      loop: false,
      intervalMs: 0,
      onSkip: (skip) => skips.push(skip),
    });
    expect(report.interrupted).to.equal(false);
    expect(report.stats).to.include({ sent: total(expected), skipped: 2, failed: 0 });
    expect(skips.map((s) => s.reason)).to.deep.equal(['empty County', 'empty County']);
    expect(report.drain).to.include({ stored: total(expected), inFlight: 0, deadLetters: 0 });
    const status = await target.status();
    expect(status.eventsStored).to.equal(total(expected));
    expect(status.queue).to.include({ visible: 0, inFlight: 0 });
    const snapshot = await target.aggregate();
    expect(new Map(snapshot.counties.map((c) => [c.county, c.count]))).to.deep.equal(expected);
  });

  it('tells onAccepted about exactly the events the queue accepted', async () => {
    const file = write('f.csv', fixtureCsv());
    const accepted: { county: string; time: number }[] = [];
    const report = await runStream({
      target,
      file,
      loop: false,
      intervalMs: 0,
      onAccepted: (events) => accepted.push(...events),
    });
    expect(accepted).to.have.length(report.stats.sent);
    const counts = new Map<string, number>();
    for (const e of accepted) counts.set(e.county, (counts.get(e.county) ?? 0) + 1);
    expect(counts).to.deep.equal(expectedCounts(file));
  });

  it('loops over a small file until the limit, and stores exactly the limit', async () => {
    const file = write('f.csv', fixtureCsv({ counts: { Albany: 2, Kings: 1 } }));
    const report = await runStream({ target, file, loop: true, intervalMs: 0, limit: 10 });
    expect(report.stats.sent).to.equal(10);
    expect(report.drain.stored).to.equal(10);
    expect((await target.status()).eventsStored).to.equal(10);
  });

  it('fails with an InputError on a header-only file, sending nothing', async () => {
    const file = write('header.csv', 'Waterbody_Name,County\n');
    const error = await rejection(runStream({ target, file, loop: false, intervalMs: 0 }));
    expect(error).to.be.instanceOf(InputError);
    expect(error.message).to.include('has a header but no data rows');
    expect((await target.status()).eventsStored).to.equal(0);
  });

  it('fails with an InputError when every row is skipped', async () => {
    const file = write('empty-counties.csv', 'Name,County\na,\nb,  \n');
    const error = await rejection(runStream({ target, file, loop: true, intervalMs: 0 }));
    expect(error).to.be.instanceOf(InputError);
    expect(error.message).to.match(/None of the 2 rows/);
  });

  it('fails with an InputError on a file without a County column, sending nothing', async () => {
    const file = write('nocounty.csv', 'Name,Town\na,b\n');
    const error = await rejection(runStream({ target, file, loop: false, intervalMs: 0 }));
    expect(error).to.be.instanceOf(InputError);
    expect(error.message).to.include('no County column');
    const status = await target.status();
    expect(status.eventsStored).to.equal(0);
    expect(status.queue?.visible).to.equal(0);
  });

  it('fails with an InputError on a missing file', async () => {
    const error = await rejection(
      runStream({ target, file: path.join(dir, 'missing.csv'), loop: false, intervalMs: 0 }),
    );
    expect(error).to.be.instanceOf(InputError);
    expect(error.message).to.include('does not exist');
  });

  it('stops when the signal aborts, reports itself interrupted, and stores what was sent', async () => {
    const file = write('f.csv', fixtureCsv());
    const controller = new AbortController();
    setTimeout(() => controller.abort('SIGINT'), 150);
    const report = await runStream({ target, file, loop: true, intervalMs: 5, signal: controller.signal });
    expect(report.interrupted).to.equal(true);
    expect(report.stats.sent).to.be.greaterThan(0);
    expect(report.drain.stored).to.equal(report.stats.sent);
    expect((await target.status()).eventsStored).to.equal(report.stats.sent);
  });

  it('is not an error to be interrupted before anything was sent', async () => {
    const file = write('f.csv', fixtureCsv());
    const controller = new AbortController();
    controller.abort('SIGINT');
    const report = await runStream({ target, file, loop: true, intervalMs: 0, signal: controller.signal });
    expect(report.interrupted).to.equal(true);
    expect(report.stats.sent).to.equal(0);
  });

  it('a file deleted mid-stream: the error comes out as it is, with what was sent and stored by then', async () => {
    // GIVEN a looped file that is deleted once some of it was sent
    const file = write('f.csv', fixtureCsv());
    const error = await rejection(
      runStream({
        target,
        file,
        loop: true,
        intervalMs: 1,
        onProgress: (stats) => {
          if (stats.sent >= 20 && fs.existsSync(file)) fs.rmSync(file);
        },
      }),
    );
    // THEN the stream fails on its next pass, as for any missing file (exit 2)...
    expect(error).to.be.instanceOf(InputError);
    expect(error.message).to.include('does not exist');
    // ...and says what it sent, all of it stored
    const partial = reportOfFailedStream(error);
    expect(partial?.stats.sent).to.be.at.least(20);
    expect(partial?.drain.stored).to.equal(partial?.stats.sent);
    expect((await target.status()).eventsStored).to.equal(partial?.stats.sent);
  });

  it('has no partial report for an error before anything was read, nor for other errors', async () => {
    const error = await rejection(
      runStream({ target, file: path.join(dir, 'nope.csv'), loop: false, intervalMs: 0 }),
    );
    expect(reportOfFailedStream(error)?.stats.sent ?? 0).to.equal(0);
    expect(reportOfFailedStream(new Error('x'))).to.equal(undefined);
    expect(reportOfFailedStream('x')).to.equal(undefined);
  });

  it('refuses a stack that is not deployed', async () => {
    const other = new LocalTarget({ dataDir: dir, stackName: 'missing' });
    const error = await rejection(
      runStream({ target: other, file: write('f.csv', fixtureCsv()), loop: false, intervalMs: 0 }),
    );
    expect(error).to.be.instanceOf(StackStateError);
    expect(error.message).to.include('not deployed');
    expect(fs.existsSync(other.location)).to.equal(false);
  });
});
