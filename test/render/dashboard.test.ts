import { expect } from 'chai';
import { DashboardHistory, type PipelineHealth } from '../../src/core/dashboard.js';
import { buildSnapshot } from '../../src/core/snapshot.js';
import { renderDashboard, renderHealth, renderTooSmall, sparkline } from '../../src/render/dashboard.js';
import { displayWidth } from '../../src/render/width.js';
import { HOSTILE_STRINGS, RAW_CONTROL } from '../../testkit/hostile.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const SGR = /\x1b\[[0-9;]*m/g;

function snapshotOf(counts: Record<string, number>, at = T0) {
  return buildSnapshot(new Map(Object.entries(counts)), { start: at - 300_000, end: at, minutes: 5 }, at);
}

function health(at: number, deadLetters = 0): PipelineHealth {
  return {
    at,
    sentCount: at / 10,
    storedCount: at / 20,
    queue: { visible: 3, inFlight: 40, deadLetters, approximate: false },
    newestEventTime: at - 1200,
    lastScheduledRun: new Date(T0 - 60_000).toISOString(),
    nextScheduledRun: new Date(T0 + 60_000).toISOString(),
  };
}

/** Two refreshes of 55 counties, the second with changes, one county with a long name. */
function frames(refreshes = 2) {
  const history = new DashboardHistory();
  let frame: ReturnType<DashboardHistory['update']> | undefined;
  for (let k = 0; k < refreshes; k++) {
    const counts = Object.fromEntries(
      Array.from({ length: 55 }, (_, i) => [
        i === 3 ? `A county with a rather long name ${i}` : `County ${i}`,
        100 - i + k * (i % 3),
      ]),
    );
    frame = history.update(snapshotOf(counts, T0 + k * 5000), health(T0 + k * 5000, k));
  }
  return frame!;
}

describe('render/dashboard', () => {
  it('draws a sparkline with the eight blocks, scaled to its own range, the latest values at the width', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8)).to.equal('▁▂▃▄▅▆▇█');
    expect(sparkline([100, 107, 103], 2)).to.equal('█▁');
    expect(sparkline([5, 5], 10)).to.equal('▄▄');
    expect(sparkline([0, 0], 10)).to.equal('▁▁');
    expect(sparkline([], 10)).to.equal('');
  });

  for (const [columns, maxLines] of [
    [60, 19],
    [80, 23],
    [160, 49],
  ] as const) {
    it(`keeps to ${columns} columns and ${maxLines} lines: health, table, folded tail, footer`, () => {
      const text = renderDashboard(frames(), {
        columns,
        maxLines,
        sort: 'count',
        everySeconds: 5,
        keys: true,
      });
      const lines = text.split('\n');
      expect(lines.length, text).to.be.at.most(maxLines);
      for (const line of lines) expect(displayWidth(line), line).to.be.at.most(columns);
      expect(text).to.match(/^In 100\/s, stored 50\/s\./);
      expect(text).to.include('Lag 1.2 s.');
      expect(text).to.match(/\(\d+ more\)/);
      expect(lines.at(-1)).to.equal('Every 5s, by count; q quits, space pauses, s sorts by name.');
      // Room for the trend at every size from 60 columns: a sparkline in each county's row.
      expect(text).to.match(/│ County 0 +│ +\d+ │ +\+?\d+ │ +[\d.]+% │ [▁▂▃▄▅▆▇█]+ +│/);
    });
  }

  it('leaves the trend column out, and only it, where even its narrowest does not fit', () => {
    const wide = renderDashboard(frames(), { columns: 120, sort: 'count', everySeconds: 5 });
    expect(wide).to.include('Trend');
    // Narrower than any terminal the renderers fit (60): the one way to leave no room for 8 blocks.
    const narrow = renderDashboard(frames(), { columns: 44, sort: 'count', everySeconds: 5 });
    expect(narrow).to.not.include('Trend');
    expect(narrow).to.match(/│ County +│ Count │ Change │ +Share │/);
  });

  it('shows the change since the previous refresh, signed, green and red only where colour is allowed', () => {
    const plain = renderDashboard(frames(), { sort: 'change', everySeconds: 5 });
    expect(plain).to.match(/│ County 2 +│ +100 │ +\+2 │/);
    expect(plain).to.not.match(SGR);
    const coloured = renderDashboard(frames(), { sort: 'change', everySeconds: 5, color: true });
    expect(coloured).to.include('\x1b[32m');
    expect(coloured.replace(SGR, '')).to.equal(plain);
  });

  it('marks dead letters that grew, in red where colour is allowed, and says n/a where a figure is not known', () => {
    const frame = frames();
    expect(renderHealth(frame.health, frame.snapshot.updated).join(' ')).to.include('1 dead ▲.');
    expect(renderHealth(frame.health, frame.snapshot.updated, { color: true }).join(' ')).to.include(
      '\x1b[31m▲',
    );
    const unknown = renderHealth(
      {
        ...frame.health,
        sentPerSecond: null,
        storedPerSecond: null,
        storingLagSeconds: null,
        lastScheduledRun: null,
      },
      frame.snapshot.updated,
    ).join(' ');
    expect(unknown).to.include('In n/a, stored n/a.').and.include('Lag n/a.').and.include('last n/a');
  });

  it('sorts by name or change, and says paused and which sort comes next', () => {
    const byName = renderDashboard(frames(), { sort: 'name', everySeconds: 5, paused: true, keys: true });
    expect(byName).to.match(/│ A county with a rather long name 3 │/);
    expect(byName.split('\n').at(-1)).to.equal('Paused, by name; q quits, space resumes, s sorts by change.');
  });

  it('says, in short lines, when the terminal is too small for a frame, and how to go on', () => {
    const text = renderTooSmall(40, 12, true);
    expect(text.split('\n')).to.deep.equal([
      'Terminal too small (40 x 12):',
      'the dashboard needs 60 x 20.',
      'Enlarge it, or use --json.',
      'q quits.',
    ]);
    expect(Math.max(...text.split('\n').map(displayWidth))).to.be.at.most(30);
    expect(renderTooSmall(undefined, undefined, false)).not.to.match(/q quits|\(/);
  });

  it('escapes every name in a frame (the dashboard on a terminal is data too)', () => {
    const history = new DashboardHistory();
    const counts = Object.fromEntries(HOSTILE_STRINGS.map((h, i) => [h.value, i + 1]));
    history.update(snapshotOf(counts), null);
    const frame = history.update(snapshotOf(counts, T0 + 1000), null);
    for (const sort of ['count', 'name', 'change'] as const) {
      const text = renderDashboard(frame, { columns: 120, sort, everySeconds: 1, notes: ['\x1b[2J note'] });
      expect(text).to.not.match(RAW_CONTROL);
      for (const h of HOSTILE_STRINGS) expect(text).to.include(h.shown);
    }
  });
});
