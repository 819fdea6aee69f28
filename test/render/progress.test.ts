import { expect } from 'chai';
import type { StreamStats } from '../../src/core/streamer.js';
import {
  createProgress,
  formatDuration,
  formatLiveLine,
  formatStreamStats,
  type ProgressTotal,
  progressOf,
  renderStreamSummary,
} from '../../src/render/progress.js';
import { displayWidth } from '../../src/render/width.js';
import { HOSTILE_STRINGS, RAW_CONTROL } from '../../testkit/hostile.js';

/** Collects what is written; `isTTY` as given. */
function fakeStream(isTTY = false) {
  const writes: string[] = [];
  const stream = {
    isTTY,
    columns: 80,
    write(chunk: string) {
      writes.push(String(chunk));
      return true;
    },
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
    on: () => stream,
    once: () => stream,
    removeListener: () => stream,
    off: () => stream,
  };
  return { stream: stream as unknown as NodeJS.WriteStream, writes };
}

function stats(sent: number, elapsedMs = 1000): StreamStats {
  return { sent, skipped: 1, failed: 0, elapsedMs, ratePerSecond: (sent * 1000) / elapsedMs };
}

describe('render/progress', () => {
  describe('formatDuration', () => {
    it('shows seconds with a decimal under a minute, then m/s, then h/m', () => {
      expect(formatDuration(0)).to.equal('0.0s');
      expect(formatDuration(1_250)).to.equal('1.3s');
      expect(formatDuration(59_900)).to.equal('59.9s');
      expect(formatDuration(65_000)).to.equal('1m05s');
      expect(formatDuration(3_600_000 + 60_000 * 2 + 5_000)).to.equal('1h02m');
    });
  });

  describe('renderStreamSummary', () => {
    const stats = { sent: 800, skipped: 0, failed: 0, elapsedMs: 4_000, ratePerSecond: 200 };
    const drain = {
      stored: 736,
      storedByOthers: 0,
      failedDeliveries: 0,
      inFlight: 0,
      deadLetters: 0,
      approximate: false,
    };
    const status = 'sensorpipe status --target local';

    it('says what became of the events sent: stored here, with the queue left', () => {
      expect(renderStreamSummary('Done', { stats, drain }, status).split('\n')).to.deep.equal([
        'Done: sent 800, skipped 0, failed 0, 200/s, 4.0s.',
        'Stored 736 events; queue in flight 0, dead letters 0.',
      ]);
    });

    it('says what other consumers of the stack stored of them, so that it never reads as a loss', () => {
      const shared = { ...drain, storedByOthers: 64 };
      expect(renderStreamSummary('Done', { stats, drain: shared }, status).split('\n')[1]).to.equal(
        'Stored 736 events here, 64 more by other consumers; queue in flight 0, dead letters 0.',
      );
    });

    it('points to status where another runtime stores them (Lambda), approximate counts marked', () => {
      const lambda = { ...drain, stored: null, storedByOthers: null, approximate: true };
      expect(renderStreamSummary('Stopped', { stats, drain: lambda }, status).split('\n')[1]).to.equal(
        'The storing function stores them from the queue; queue in flight 0, dead letters 0 (approximate). See: sensorpipe status --target local',
      );
    });

    it('has no drain line when the stack could no longer tell', () => {
      expect(renderStreamSummary('Stopped by an error', { stats, drain: undefined }, status)).to.equal(
        'Stopped by an error: sent 800, skipped 0, failed 0, 200/s, 4.0s.',
      );
    });
  });

  describe('formatStreamStats', () => {
    it('gives the counts with separators, the rounded rate and the duration', () => {
      expect(
        formatStreamStats({ sent: 12_345, skipped: 2, failed: 1, elapsedMs: 2_000, ratePerSecond: 6172.5 }),
      ).to.equal('sent 12,345, skipped 2, failed 1, 6,173/s, 2.0s');
    });
  });

  describe('createProgress, not live', () => {
    it('prints a plain line at most every plainEveryMs', async () => {
      let t = 10_000;
      const { stream, writes } = fakeStream();
      const progress = await createProgress(stream, { live: false, plainEveryMs: 1000, now: () => t });
      progress.update(stats(1));
      t += 999;
      progress.update(stats(2));
      expect(writes).to.deep.equal([]);
      t += 1;
      progress.update(stats(3));
      expect(writes).to.deep.equal([`streaming: ${formatStreamStats(stats(3))}\n`]);
      t += 500;
      progress.update(stats(4));
      t += 499;
      progress.update(stats(5));
      expect(writes).to.have.length(1);
      t += 1;
      progress.update(stats(6));
      expect(writes).to.have.length(2);
      expect(writes[1]).to.match(/^streaming: sent 6, /);
      progress.stop();
      expect(writes).to.have.length(2);
    });

    it('prints notes at once, one per line, with no escape codes', async () => {
      const { stream, writes } = fakeStream();
      const progress = await createProgress(stream, { live: false, now: () => 0 });
      progress.note('Skipped line 4: empty County');
      progress.note('Skipped line 6: empty County');
      expect(writes.join('')).to.equal('Skipped line 4: empty County\nSkipped line 6: empty County\n');
    });

    it('is not live on a TTY when CI is set, nor on a pipe', async () => {
      const ci = process.env.CI;
      process.env.CI = 'true';
      try {
        let t = 0;
        const tty = fakeStream(true);
        const progress = await createProgress(tty.stream, { plainEveryMs: 10, now: () => t });
        t = 10;
        progress.update(stats(7));
        expect(tty.writes).to.deep.equal([`streaming: ${formatStreamStats(stats(7))}\n`]);
      } finally {
        if (ci === undefined) delete process.env.CI;
        else process.env.CI = ci;
      }
      const pipe = fakeStream(false);
      let t = 0;
      const progress = await createProgress(pipe.stream, { plainEveryMs: 10, now: () => t });
      t = 10;
      progress.update(stats(8));
      expect(pipe.writes.join('')).to.match(/^streaming: sent 8,/);
    });
  });

  describe('createProgress, live', () => {
    it('keeps notes as whole lines above the status line', async () => {
      const { stream, writes } = fakeStream(true);
      const progress = await createProgress(stream, { live: true, now: () => 0 });
      progress.note('Skipped line 4: empty County');
      progress.stop();
      expect(writes.join('')).to.include('Skipped line 4: empty County\n');
    });
  });

  describe('bounded work: a bar with percentage, rate and ETA', () => {
    const limit: ProgressTotal = { count: 10_000, exact: true, unit: 'events' };
    const rows: ProgressTotal = { count: 2_000, exact: false, unit: 'rows' };

    it('progressOf: done of total, and the time left at the rate so far', () => {
      const at = { sent: 2_500, skipped: 0, failed: 0, elapsedMs: 5_000, ratePerSecond: 500 };
      expect(progressOf(at, limit)).to.deep.equal({ done: 2_500, fraction: 0.25, etaMs: 15_000 });
      // Rows count the skipped ones too.
      expect(progressOf({ ...at, sent: 900, skipped: 100 }, rows).done).to.equal(1_000);
      // An estimate that turns out low never shows 100 % before the end.
      expect(progressOf({ ...at, sent: 2_100 }, rows).fraction).to.equal(0.99);
      expect(progressOf({ ...at, elapsedMs: 0 }, limit).etaMs).to.equal(undefined);
    });

    it('draws the bar, the percentage, the counts, the rate and the ETA', () => {
      const line = formatLiveLine(
        { sent: 2_500, skipped: 3, failed: 0, elapsedMs: 5_000, ratePerSecond: 500 },
        limit,
        undefined,
      );
      expect(line).to.equal(` 25% █████${'░'.repeat(15)} 2,500/10,000 events, skipped 3, 500/s, ETA 15s`);
      expect(
        formatLiveLine(
          { sent: 1_000, skipped: 0, failed: 0, elapsedMs: 60_000, ratePerSecond: 16.7 },
          rows,
          undefined,
        ),
      ).to.match(/^ 50% █+░+ 1,000\/~2,000 rows, sent 1,000, 17\/s, ETA 1m00s$/);
    });

    for (const columns of [60, 80, 120]) {
      it(`fits ${columns} columns, with room kept for one more note`, () => {
        const stats = {
          sent: 1_234_567,
          skipped: 12_345,
          failed: 1_234,
          elapsedMs: 4_000_000,
          ratePerSecond: 308.6,
        };
        for (const total of [limit, rows, undefined]) {
          const line = formatLiveLine(stats, total, columns);
          expect(displayWidth(line), line).to.be.at.most(columns);
          const noted = formatLiveLine(stats, total, columns, 'asked 1,000/s, holding 309/s');
          expect(displayWidth(noted), noted).to.be.at.most(columns);
        }
        if (columns >= 80) {
          const typical = { sent: 12_345, skipped: 0, failed: 0, elapsedMs: 40_000, ratePerSecond: 308.6 };
          expect(formatLiveLine(typical, limit, columns, 'asked 1,000/s, holding 309/s')).to.include(
            'holding 309/s',
          );
        }
      });
    }

    it('prints the percentage, total and ETA on the plain lines of CI and pipes', async () => {
      let t = 0;
      const { stream, writes } = fakeStream();
      const progress = await createProgress(stream, {
        live: false,
        plainEveryMs: 10,
        now: () => t,
        total: () => limit,
      });
      t = 10;
      progress.update({ sent: 2_500, skipped: 0, failed: 0, elapsedMs: 5_000, ratePerSecond: 500 });
      expect(writes).to.deep.equal([
        'streaming: 25% of 10,000 events, sent 2,500, skipped 0, failed 0, 500/s, 5.0s, ETA 15s\n',
      ]);
    });

    // Whether the terminal is live is decided once (isLiveTerminal), whatever CI or TERM the suite
    // itself runs under: the spinner library must not decide again and draw nothing.
    for (const ci of [undefined, 'true']) {
      it(`shows the bar on a live terminal${ci ? ', with CI set in the environment' : ''}`, async () => {
        const saved = process.env.CI;
        if (ci === undefined) delete process.env.CI;
        else process.env.CI = ci;
        try {
          const { stream, writes } = fakeStream(true);
          let t = 1_000;
          const progress = await createProgress(stream, { live: true, now: () => t, total: () => limit });
          t += 200;
          progress.update({ sent: 5_000, skipped: 0, failed: 0, elapsedMs: 1_000, ratePerSecond: 5_000 });
          // ora draws on its own timer; a note draws the line again at once.
          progress.note('a note');
          progress.stop();
          expect(writes.join('')).to.include('50%');
        } finally {
          if (saved === undefined) delete process.env.CI;
          else process.env.CI = saved;
        }
      });
    }
  });

  it('makes notes printable: a skipped row quotes the data', async () => {
    for (const live of [false, true]) {
      const { stream, writes } = fakeStream(live);
      const progress = await createProgress(stream, { live, now: () => 0 });
      for (const h of HOSTILE_STRINGS) progress.note(`Skipped line 2: county ${h.value}`);
      progress.stop();
      // ora's own cursor codes go; what is left is the notes and the spinner's text.
      const notes = writes.join('').replace(/\x1b\[[?0-9;]*[A-Za-z]/g, '');
      expect(notes).not.to.match(RAW_CONTROL);
      for (const h of HOSTILE_STRINGS) expect(notes).to.include(`county ${h.shown}`);
    }
  });
});
