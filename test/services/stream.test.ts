import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { ExitCode, InputError, StackStateError } from '../../src/core/errors.js';
import type { StreamStats } from '../../src/core/streamer.js';
import { runStream, type StoppedStream } from '../../src/services/stream.js';
import { LocalTarget } from '../../src/targets/local/local-target.js';
import { StackGoneError } from '../../src/targets/stack-ref.js';
import { expectedCounts, fixtureCsv, total } from '../../testkit/fixtures.js';
import { auditLocalStack } from '../../testkit/local.js';
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

  describe('stopped by an error after it sent events: the summary first, then the error', () => {
    it('a full disk (a real SQLITE_FULL, injected with max_page_count): DISK_FULL, exit 4, and what was sent kept', async () => {
      await target.close();
      let pages = 0;
      const full = new LocalTarget({
        dataDir: dir,
        stackName: 'svc',
        // Room for a few sends, then the disk is full.
        connection: (db) => {
          pages = db.pragma('page_count', { simple: true }) as number;
          db.pragma(`max_page_count = ${pages + 40}`);
        },
      });
      const stopped: StreamStats[] = [];
      try {
        const file = write('f.csv', fixtureCsv());
        const error = await rejection(
          runStream({
            target: full,
            file,
            loop: true,
            intervalMs: 0,
            onStopped: (s) => stopped.push(s.stats),
          }),
        );
        expect(pages).to.be.greaterThan(0);
        expect(error).to.include({ code: 'DISK_FULL', exitCode: ExitCode.environment });
        expect(error.message).to.match(/is full \(SQLITE_FULL\): free some space/);
        expect(stopped).to.have.length(1);
        expect(stopped[0]?.sent).to.be.greaterThan(0);
      } finally {
        await full.close();
      }
      // Every event reported as sent is in the stack (stored, or queued for the next run).
      const audit = await auditLocalStack(dir, 'svc');
      expect(audit.eventsStored + audit.queued).to.equal(stopped[0]?.sent);
      expect(audit.integrity).to.equal('ok');
    });

    it('a stack destroyed under a slow stream: it stops before its next send, says how many it sent, exit 3', async () => {
      const file = write('f.csv', fixtureCsv());
      const stopped: StreamStats[] = [];
      // A connection that keeps the old stack's files open after they are deleted; it only reads.
      const reader = new Database(target.location);
      const held = () =>
        reader
          .prepare('SELECT (SELECT COUNT(*) FROM queue) + (SELECT COUNT(*) FROM events)')
          .pluck()
          .get() as number;
      try {
        held();
        // An event a minute: only the watch can notice the destroy before the next send is due.
        const run = rejection(
          runStream({
            target,
            file,
            loop: true,
            intervalMs: 60_000,
            onStopped: (s) => stopped.push(s.stats),
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        const destroyedAt = Date.now();
        await new LocalTarget({ dataDir: dir, stackName: 'svc' }).destroy();
        // What the old stack held when it went.
        const atDestroy = held();
        const error = await run;
        expect(Date.now() - destroyedAt).to.be.below(30_000); // not at the next send, a minute on
        expect(error).to.be.instanceOf(StackGoneError);
        expect(error).to.include({ code: 'STACK_DESTROYED', exitCode: ExitCode.state });
        const sent = stopped[0]?.sent ?? 0;
        expect(sent).to.be.greaterThan(0);
        expect(error.message).to.equal(
          `Stack "svc" was destroyed (${target.location}) while this stream was running: stopped after sending ${sent} events.`,
        );
        // Nothing reported as sent went into the deleted file after it was deleted.
        expect(sent).to.be.at.most(atDestroy);
        expect(held()).to.equal(atDestroy);
      } finally {
        reader.close();
      }
    });
  });

  it('a file deleted mid-stream: the error comes out as it is, with what was sent and stored by then', async () => {
    // GIVEN a looped file that is deleted once some of it was sent
    const file = write('f.csv', fixtureCsv());
    const stopped: StoppedStream[] = [];
    const error = await rejection(
      runStream({
        target,
        file,
        loop: true,
        intervalMs: 1,
        onProgress: (stats) => {
          if (stats.sent >= 20 && fs.existsSync(file)) fs.rmSync(file);
        },
        onStopped: (report) => stopped.push(report),
      }),
    );
    // THEN the stream fails on its next pass, as for any missing file (exit 2)...
    expect(error).to.be.instanceOf(InputError);
    expect(error.message).to.include('does not exist');
    // ...and says what it sent, all of it stored
    expect(stopped).to.have.length(1);
    const partial = stopped[0];
    expect(partial?.stats.sent).to.be.at.least(20);
    expect(partial?.drain?.stored).to.equal(partial?.stats.sent);
    expect((await target.status()).eventsStored).to.equal(partial?.stats.sent);
  });

  it('reports nothing stopped for an error before anything was read', async () => {
    const stopped: StoppedStream[] = [];
    await rejection(
      runStream({
        target,
        file: path.join(dir, 'nope.csv'),
        loop: false,
        intervalMs: 0,
        onStopped: (report) => stopped.push(report),
      }),
    );
    expect(stopped).to.deep.equal([]);
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
