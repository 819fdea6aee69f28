import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { InputError } from '../../src/core/errors.js';
import type { OutgoingEvent } from '../../src/core/event.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { checkPipeline, compare, type VerifyRequest } from '../../src/services/verify.js';
import { LocalTarget } from '../../src/targets/local/local-target.js';
import { type Pipeline, signalOnlyWatch } from '../../src/targets/target.js';
import { fakeClock } from '../../testkit/clock.js';
import { expectedCounts, fixtureCsv, total } from '../../testkit/fixtures.js';
import { rejection } from '../../testkit/rejection.js';

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

  describe('checkPipeline on the local target', () => {
    let dir: string;
    let tmpdir: string | undefined;

    /** What verify does locally: a fresh temporary stack, checked, then removed whatever happens. */
    async function verifyLocal(request: Omit<VerifyRequest, 'waitMs'>) {
      const mine = new LocalTarget({ dataDir: dir, stackName: 'mine' });
      const verification = await mine.openVerification({ onStage: request.onStage });
      try {
        return await checkPipeline(verification, { waitMs: 0, ...request });
      } finally {
        await verification.dispose();
        await mine.close();
      }
    }

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-services-verify-'));
      // The temporary stack is made in os.tmpdir(): point that at a directory of our own.
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

    it('on a stack of its own, counts older events there as differences', async () => {
      const target = new LocalTarget({ dataDir: dir, stackName: 'given' });
      try {
        await target.deploy({ ScheduleEnabled: false });
        const file = path.join(dir, 'f.csv');
        fs.writeFileSync(file, fixtureCsv({ counts: { Albany: 2, Kings: 1 } }));
        const own = { pipeline: target, exclusive: true, dispose: async () => {} };
        expect((await checkPipeline(own, { file, intervalMs: 0, waitMs: 0 })).match).to.equal(true);
        // The first run's events are in the window too but were not sent by the second run.
        const second = await checkPipeline(own, { file, intervalMs: 0, waitMs: 0 });
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

/**
 * A deployed stack as verify sees it: a queue that accepts everything, a storing function that has
 * stored `storedAfterPolls` more of the accepted events at each look, and an aggregation that
 * counts the stored events plus `otherTraffic` in the window.
 */
class FakeDeployedStack {
  readonly accepted: OutgoingEvent[] = [];
  readonly stored = new Set<string>();
  looks = 0;
  storedPerLook = Number.POSITIVE_INFINITY;
  otherTraffic: Record<string, number> = {};
  /** Events the storing function never stores (lost). */
  lose = 0;
  /** Events of these counties the aggregation leaves out (a county counted short). */
  undercount: Record<string, number> = {};
  /** Events the queue refuses, alone in their batch: a batch SQS takes only in part. */
  refuse: (event: OutgoingEvent) => boolean = () => false;
  readonly kind = 'aws' as const;
  readonly stackName = 'shared';
  readonly location = 'AWS test';

  watchStack(signal?: AbortSignal) {
    return signalOnlyWatch(signal);
  }

  async openStream() {
    return {
      sender: {
        maxBatchSize: 10,
        maxInFlight: 1,
        send: async (events: OutgoingEvent[]) => {
          const failedIndexes = events.flatMap((e, i) => (this.refuse(e) ? [i] : []));
          this.accepted.push(...events.filter((_, i) => !failedIndexes.includes(i)));
          const failed = failedIndexes.length;
          return failed === 0
            ? { sent: events.length, failed }
            : { sent: events.length - failed, failed, error: `${failed} refused`, failedIndexes };
        },
      },
      finish: async () => ({
        stored: null,
        failedDeliveries: null,
        inFlight: 0,
        deadLetters: 0,
        approximate: true,
      }),
    };
  }

  async countStored(events: readonly { id: string }[]) {
    this.looks++;
    const storable = this.accepted.slice(0, this.accepted.length - this.lose);
    for (const e of storable.slice(0, this.looks * this.storedPerLook)) this.stored.add(e.id);
    return events.filter((e) => this.stored.has(e.id)).length;
  }

  async aggregate(): Promise<Snapshot> {
    const times = this.accepted.map((e) => e.time);
    const end = Math.max(...times);
    const counts = new Map<string, number>(Object.entries(this.otherTraffic));
    for (const e of this.accepted)
      if (this.stored.has(e.id)) counts.set(e.county, (counts.get(e.county) ?? 0) + 1);
    for (const [county, n] of Object.entries(this.undercount))
      counts.set(county, (counts.get(county) ?? 0) - n);
    const counties = [...counts].map(([county, count]) => ({ county, count }));
    return {
      updated: new Date(end).toISOString(),
      windowStart: new Date(end - 5 * 60_000).toISOString(),
      windowEnd: new Date(end).toISOString(),
      windowMinutes: 5,
      total: counties.reduce((s, c) => s + c.count, 0),
      counties,
    };
  }
}

describe('services/verify: checkPipeline on a shared stack (AWS)', () => {
  let dir: string;
  let file: string;
  let stack: FakeDeployedStack;
  const run = (waitMs = 60_000) =>
    checkPipeline(
      { pipeline: stack as unknown as Pipeline, exclusive: false, dispose: async () => {} },
      { file, intervalMs: 0, waitMs, pollMs: 1, clock: fakeClock(END) },
    );

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-verify-deployed-'));
    file = path.join(dir, 'f.csv');
    fs.writeFileSync(file, fixtureCsv({ counts: { Albany: 6, Kings: 4 } }));
    stack = new FakeDeployedStack();
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('waits until every event sent is stored, then passes', async () => {
    stack.storedPerLook = 3;
    const report = await run();
    expect(stack.looks).to.equal(4);
    expect(report).to.deep.include({ match: true, sent: 10, stored: 10, expectedTotal: 10, otherEvents: 0 });
  });

  it('is not fooled by other traffic in the window: it reports it and still passes', async () => {
    stack.otherTraffic = { Albany: 2, Erie: 5 };
    const report = await run();
    expect(report).to.deep.include({ match: true, expectedTotal: 10, actualTotal: 17, otherEvents: 7 });
    expect(report.counties).to.deep.include({ county: 'Erie', expected: 0, actual: 5, difference: 5 });
  });

  it('fails when a county counts short, even if other traffic makes up the total elsewhere', async () => {
    // GIVEN every event stored, but the snapshot one short for Kings while another county has one more
    stack.undercount = { Kings: 1 };
    stack.otherTraffic = { Erie: 1 };
    const report = await run();
    // THEN the shortfall is a failure: other traffic may only add, never excuse a missing event
    expect(report).to.deep.include({ match: false, expectedTotal: 10, actualTotal: 10 });
    expect(report.counties).to.deep.include({ county: 'Kings', expected: 4, actual: 3, difference: -1 });
  });

  it('expects the events of a batch the queue took only in part, and not the ones it refused', async () => {
    // GIVEN a queue that refuses one Kings event and takes the rest of its batch
    let refused = 0;
    stack.refuse = (e) => e.county === 'Kings' && refused++ === 0;
    const report = await run();
    // THEN the report fails on the event not sent, and counts every event that went as expected
    expect(report).to.deep.include({ match: false, sent: 9, failed: 1, stored: 9, expectedTotal: 9 });
    expect(report.counties).to.deep.equal([
      { county: 'Albany', expected: 6, actual: 6, difference: 0 },
      { county: 'Kings', expected: 3, actual: 3, difference: 0 },
    ]);
  });

  it('fails when events sent are never stored, even if other traffic makes up the counts', async () => {
    stack.lose = 2;
    stack.otherTraffic = { Albany: 2, Kings: 2 };
    const report = await run(50);
    expect(report).to.deep.include({ match: false, sent: 10, stored: 8 });
  });
});
