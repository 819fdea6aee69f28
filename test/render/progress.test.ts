import { expect } from 'chai';
import type { StreamStats } from '../../src/core/streamer.js';
import { createProgress, formatDuration, formatStreamStats } from '../../src/render/progress.js';

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
});
