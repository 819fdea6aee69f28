import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { InputError } from '../../src/core/errors.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { compare, verifyLocal, verifyOn } from '../../src/services/verify.js';
import { LocalTarget } from '../../src/targets/local/local-target.js';
import { expectedCounts, fixtureCsv, total } from '../helpers/e2e.js';
import { rejection } from '../helpers/rejection.js';

const START = Date.UTC(2025, 0, 1, 12, 0, 0);
const END = START + 5 * 60_000;

function snapshot(counties: { county: string; count: number }[]): Snapshot {
  return {
    updated: new Date(END).toISOString(),
    windowStart: new Date(START).toISOString(),
    windowEnd: new Date(END).toISOString(),
    windowMinutes: 5,
    total: counties.reduce((s, c) => s + c.count, 0),
    counties,
  };
}

const stats = { sent: 0, skipped: 0, failed: 0 };

describe('services/verify', () => {
  describe('compare', () => {
    it('counts only the accepted events inside (windowStart, windowEnd]', () => {
      const accepted = [
        { county: 'Albany', time: START }, // exactly W old: out
        { county: 'Albany', time: START + 1 }, // in
        { county: 'Albany', time: END }, // stamped at the end: in
        { county: 'Kings', time: END + 1 }, // after the aggregation: out
        { county: 'Kings', time: START - 60_000 }, // long gone: out
        { county: 'Erie', time: START + 60_000 }, // in
      ];
      const report = compare(
        accepted,
        snapshot([
          { county: 'Albany', count: 2 },
          { county: 'Erie', count: 1 },
        ]),
        { ...stats, sent: 6 },
        6,
      );
      expect(report.match).to.equal(true);
      expect(report.expectedTotal).to.equal(3);
      expect(report.actualTotal).to.equal(3);
      expect(report.counties).to.deep.equal([
        { county: 'Albany', expected: 2, actual: 2, difference: 0 },
        { county: 'Erie', expected: 1, actual: 1, difference: 0 },
      ]);
      expect(report).to.include({
        sent: 6,
        stored: 6,
        windowStart: new Date(START).toISOString(),
        windowEnd: new Date(END).toISOString(),
      });
    });

    it('reports each county that differs, those missing on either side included, sorted by name', () => {
      const accepted = [
        { county: 'Kings', time: START + 10 },
        { county: 'Albany', time: START + 10 },
        { county: 'Albany', time: START + 20 },
      ];
      const report = compare(
        accepted,
        snapshot([
          { county: 'Albany', count: 3 },
          { county: 'Bronx', count: 1 },
        ]),
        stats,
        3,
      );
      expect(report.match).to.equal(false);
      expect(report.counties).to.deep.equal([
        { county: 'Albany', expected: 2, actual: 3, difference: 1 },
        { county: 'Bronx', expected: 0, actual: 1, difference: 1 },
        { county: 'Kings', expected: 1, actual: 0, difference: -1 },
      ]);
      expect(report.expectedTotal).to.equal(3);
      expect(report.actualTotal).to.equal(4);
    });

    it('is no match when events failed to send or the run was interrupted, even if counts agree', () => {
      const accepted = [{ county: 'Albany', time: END }];
      const snap = snapshot([{ county: 'Albany', count: 1 }]);
      expect(compare(accepted, snap, stats, 1).match).to.equal(true);
      expect(compare(accepted, snap, { ...stats, failed: 1 }, 1).match).to.equal(false);
      const interrupted = compare(accepted, snap, stats, 1, true);
      expect(interrupted.match).to.equal(false);
      expect(interrupted.interrupted).to.equal(true);
    });

    it('is no match when the snapshot total disagrees with its own counties', () => {
      const snap = { ...snapshot([{ county: 'Albany', count: 1 }]), total: 2 };
      expect(compare([{ county: 'Albany', time: END }], snap, stats, 1).match).to.equal(false);
    });
  });

  describe('verifyLocal and verifyOn', () => {
    let dir: string;
    let tmpdir: string | undefined;

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-services-verify-'));
      // verifyLocal makes its temporary stack in os.tmpdir(): point that at a directory of our own.
      tmpdir = process.env.TMPDIR;
      process.env.TMPDIR = path.join(dir, 'tmp');
      fs.mkdirSync(process.env.TMPDIR);
    });

    afterEach(() => {
      if (tmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmpdir;
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const leftovers = () => fs.readdirSync(path.join(dir, 'tmp'));

    it('matches on a good file, with the counts of the file, and removes its temporary stack', async () => {
      const file = path.join(dir, 'f.csv');
      fs.writeFileSync(file, fixtureCsv({ emptyCounty: 1 }));
      const expected = expectedCounts(file);
      const stages: string[] = [];
      let during: string[] = [];
      const report = await verifyLocal({
        file,
        intervalMs: 0,
        onStage: (stage) => {
          stages.push(stage);
          if (stage === 'streaming') during = leftovers();
        },
      });
      expect(report.match).to.equal(true);
      expect(report).to.include({ sent: total(expected), skipped: 1, failed: 0, stored: total(expected) });
      expect(new Map(report.counties.map((c) => [c.county, c.expected]))).to.deep.equal(expected);
      expect(report.counties.every((c) => c.difference === 0)).to.equal(true);
      expect(stages).to.deep.equal(['deploying a temporary local stack', 'streaming', 'aggregating']);
      expect(during).to.have.length(1);
      expect(during[0]).to.match(/^sensorpipe-verify-/);
      expect(leftovers()).to.deep.equal([]);
    });

    it('sends at most --limit events', async () => {
      const file = path.join(dir, 'f.csv');
      fs.writeFileSync(file, fixtureCsv());
      const report = await verifyLocal({ file, intervalMs: 0, limit: 4 });
      expect(report.match).to.equal(true);
      expect(report.sent).to.equal(4);
      expect(report.expectedTotal).to.equal(4);
    });

    it('removes its temporary stack when the stream fails too', async () => {
      const file = path.join(dir, 'nocounty.csv');
      fs.writeFileSync(file, 'Name,Town\na,b\n');
      const error = await rejection(verifyLocal({ file, intervalMs: 0 }));
      expect(error).to.be.instanceOf(InputError);
      expect(leftovers()).to.deep.equal([]);
    });

    it('verifyOn compares on a given stack, counting its older events as differences', async () => {
      const target = new LocalTarget({ dataDir: dir, stackName: 'given' });
      try {
        await target.deploy({ ScheduleEnabled: false });
        const file = path.join(dir, 'f.csv');
        fs.writeFileSync(file, fixtureCsv({ counts: { Albany: 2, Kings: 1 } }));
        expect((await verifyOn(target, { file, intervalMs: 0 })).match).to.equal(true);
        // The first run's events are in the window too but were not sent by the second run.
        const second = await verifyOn(target, { file, intervalMs: 0 });
        expect(second.match).to.equal(false);
        expect(second.counties).to.deep.equal([
          { county: 'Albany', expected: 2, actual: 4, difference: 2 },
          { county: 'Kings', expected: 1, actual: 2, difference: 1 },
        ]);
      } finally {
        await target.close();
      }
    });
  });
});
