/**
 * Terminal behaviour on a real pseudo-terminal (tmux), through the built CLI, at 60, 80 and 120
 * columns: tables fit, the watch view redraws in place (no copy of a frame left in the scrollback,
 * a resize followed), bounded streams show a bar, colour only where allowed, TERM=dumb gets plain
 * lines. What is asserted is what a person would see in the terminal.
 */
import { expect } from 'chai';
import { ensureBuilt } from '../../testkit/build.js';
import { run, sleep } from '../../testkit/cli.js';
import { addDeadLetters, goodBody } from '../../testkit/dead-letters.js';
import { Sandbox } from '../../testkit/sandbox.js';
import { TmuxTerminal, tmuxMissing } from '../../testkit/tmux.js';

const WIDTHS = [60, 80, 120] as const;
const SGR_COLOUR = /\x1b\[(3[12]|2)m/;
/** The header row of the snapshot table: once per frame. */
const HEADER = /^│ County +│ Count │/;

/** 55 counties, like the dataset, one with a long name. */
function countiesCsv(): string {
  const rows: string[] = [];
  for (let i = 0; i < 55; i++) {
    const county = i === 3 ? `County with a rather long name, number ${i}` : `County ${i}`;
    for (let k = 0; k <= i % 9; k++) rows.push(`Creek ${i}-${k},"${county}",42.${k}`);
  }
  return `Name,County,Latitude\n${rows.join('\n')}\n`;
}

describe('terminal behaviour on a real pseudo-terminal (tmux)', function () {
  this.timeout(120_000);
  let box: Sandbox;
  let file: string;
  const terminals: TmuxTerminal[] = [];

  before(async function () {
    const missing = tmuxMissing();
    if (missing) {
      console.warn(`      (skipped: ${missing})`);
      this.skip();
    }
    await ensureBuilt.call(this);
    box = new Sandbox();
    file = box.write('counties.csv', countiesCsv());
    await box.cli('deploy');
    await box.cli('stream', ['--once', '--interval-ms', '0', '--file', file]);
    await box.cli('aggregate');
    // A stack of a few counties, whose frame is small enough to survive a reflow on the screen.
    await box.cli('deploy', [], { stack: 'small' });
    await box.cli('stream', ['--once', '--interval-ms', '0', '--file', box.fixture()], { stack: 'small' });
    addDeadLetters(box.dataDir, [
      { body: goodBody('Erie'), error: 'event county is too long: the storing function refused it' },
      { body: `{"broken": "${'x'.repeat(300)}`, error: 'message body is not JSON' },
    ]);
  });

  afterEach(() => {
    for (const terminal of terminals.splice(0)) terminal.kill();
  });

  after(() => box?.remove());

  function open(args: readonly string[], columns: number, rows = 40, env: Record<string, string> = {}) {
    const terminal = TmuxTerminal.start([...args, ...box.stackArgs()], { columns, rows, cwd: box.dir, env });
    terminals.push(terminal);
    return terminal;
  }

  function expectFits(lines: readonly string[], columns: number): void {
    for (const line of lines) expect(line.length, `wider than ${columns}: ${line}`).to.be.at.most(columns);
  }

  for (const columns of WIDTHS) {
    describe(`at ${columns} columns`, () => {
      for (const command of [
        ['aggregate'],
        ['show'],
        ['status'],
        ['dead-letters'],
        ['verify', '--file', 'counties.csv'],
      ]) {
        it(`${command[0]}: every line fits, nothing wraps`, async () => {
          const terminal = open(command, columns, 40, { NO_COLOR: '1' });
          expect(await terminal.waitForExit()).to.equal(0);
          const lines = terminal.lines();
          expectFits(lines, columns);
          // The table is whole: its bottom border is there.
          expect(lines.some((l) => l.startsWith('└'))).to.equal(true);
        });
      }

      it('aggregate --watch 1: redraws in place, leaving no copy of a frame in the scrollback', async () => {
        const terminal = open(['aggregate', '--watch', '1'], columns, 24);
        await terminal.waitFor(/Every 1s, by count; q quits/);
        // Four more refreshes.
        await sleep(4_300);
        const lines = terminal.lines();
        expect(
          lines.filter((l) => HEADER.test(l)),
          lines.join('\n'),
        ).to.have.length(1);
        expect(lines.filter((l) => l.includes('Every 1s'))).to.have.length(1);
        expectFits(lines, columns);
        // The frame fits the screen: the folded counties are counted, not scrolled away.
        expect(lines.some((l) => /\(\d+ more\)/.test(l))).to.equal(true);
        terminal.interrupt();
        expect(await terminal.waitForExit()).to.equal(0);
      });
    });
  }

  /**
   * Resizes the pane, then checks that one frame is shown, drawn for the new size, in the scrollback
   * too unless `screenOnly`. After a narrower pane, only the screen is checked: tmux reflows the old
   * frame's lines and keeps the cursor's row, so what no longer fits above it goes to the scrollback
   * before any program hears of the resize (the README says so).
   */
  async function resizeTo(
    terminal: TmuxTerminal,
    columns: number,
    rows: number,
    screenOnly = false,
  ): Promise<string[]> {
    terminal.resize(columns, rows);
    await sleep(800);
    const lines = terminal.lines({ screenOnly });
    const screen = `${columns}x${rows}:\n${lines.join('\n')}`;
    expect(
      lines.filter((l) => HEADER.test(l)),
      screen,
    ).to.have.length(1);
    expectFits(lines, columns);
    // Drawn again at once for the new width (not at the next run, 30 s later): wider than the old
    // pane when it grew, within the new one when it shrank.
    const widest = Math.max(...lines.map((l) => l.length));
    if (columns > terminal.columns) expect(widest, screen).to.be.above(terminal.columns);
    terminal.columns = columns;
    return lines;
  }

  it('aggregate --watch follows a resize (SIGWINCH): drawn again at once at the new size, one frame', async () => {
    const small = open(['aggregate', '--watch', '30', '--stack-name', 'small'], 120, 30);
    await small.waitFor(/Every 30s/);
    // Narrower: the terminal reflows the old frame (still on the screen), then it is drawn over.
    // (At the same height: a taller pane would bring back onto the screen what tmux's reflow put
    // in the scrollback.)
    await resizeTo(small, 60, 30, true);
    await resizeTo(small, 80, 30, true);
    await resizeTo(small, 120, 30, true);
    small.interrupt();
    expect(await small.waitForExit()).to.equal(0);

    // A frame that fills the screen: a taller, wider terminal shows more counties, and no copy of
    // an earlier frame is left, scrollback included.
    const full = open(['aggregate', '--watch', '30'], 60, 20);
    await full.waitFor(/Every 30s/);
    const folded = (lines: string[]) => Number(lines.join('\n').match(/\((\d+) more\)/)?.[1] ?? 0);
    const before = folded(full.lines());
    await resizeTo(full, 80, 30);
    const after = folded(await resizeTo(full, 120, 40));
    expect(after).to.be.below(before);
    full.interrupt();
    expect(await full.waitForExit()).to.equal(0);
  });

  it('aggregate --watch on a terminal smaller than 60 x 20: says so instead of a frame that wraps, then draws at the new size', async () => {
    const terminal = open(['aggregate', '--watch', '1'], 40, 12);
    await terminal.waitFor(/Terminal too small \(40 x 12\):/);
    await sleep(1_500); // a refresh or two: still one message, nothing wrapped, nothing scrolled
    const small = terminal.lines();
    expect(
      small.filter((l) => /Terminal too small/.test(l)),
      small.join('\n'),
    ).to.have.length(1);
    expect(small.some((l) => HEADER.test(l))).to.equal(false);
    expectFits(small, 40);
    terminal.resize(80, 24);
    await terminal.waitFor(/│ County +│ Count │/);
    const after = terminal.lines();
    expect(after.filter((l) => HEADER.test(l))).to.have.length(1);
    expect(after.some((l) => /Terminal too small/.test(l))).to.equal(false);
    expectFits(after, 80);
    terminal.press('q');
    expect(await terminal.waitForExit()).to.equal(0);
  });

  describe('the dashboard (aggregate --watch) with a stream running in parallel', () => {
    let stream: ReturnType<Sandbox['startCli']> | undefined;

    beforeEach(() => {
      stream = box.startCli('stream', ['--interval-ms', '2', '--file', 'counties.csv']);
    });

    afterEach(async () => {
      stream?.child.kill('SIGINT');
      await stream?.done;
    });

    /** Waits for a refresh that saw the stream: rates, changes and trends drawn. */
    async function moving(terminal: TmuxTerminal): Promise<string[]> {
      await terminal.waitFor(/In [\d,.]+\/s, stored [\d,.]+\/s[\s\S]*│ +\+\d+ │ +[\d.]+% │ [▁▂▃▄▅▆▇█]{2,}/);
      return terminal.lines();
    }

    for (const [columns, rows] of [
      [60, 20],
      [80, 24],
      [160, 50],
    ] as const) {
      it(`at ${columns}x${rows}: health, changes and trends, one frame within the screen; s, space and q`, async () => {
        const terminal = open(['aggregate', '--watch', '1'], columns, rows);
        const lines = await moving(terminal);
        // One frame, never a copy in the scrollback (each frame written in one piece over the last).
        expect(
          lines.filter((l) => HEADER.test(l)),
          lines.join('\n'),
        ).to.have.length(1);
        expect(lines.length, lines.join('\n')).to.be.at.most(rows);
        expectFits(lines, columns);
        const text = lines.join('\n');
        expect(text).to.match(/Queue \d+ visible, \d+ in flight, 2 dead\./);
        expect(text).to.match(/Lag [\d.]+ s\./);
        // The pointer to the dead letters the stack holds, above the footer.
        expect(text).to.match(/2 messages failed to store: see/);
        expect(text).to.match(/\(\d+ more\)/);
        // s: sorted by name at once; space: paused, then resumed; q: quits, the frame left on screen.
        terminal.press('s');
        await terminal.waitFor(/Every 1s, by name; q quits, space pauses, s sorts by change\./);
        const byName = terminal
          .lines()
          .filter((l) => /^│ County \d/.test(l))
          .map((l) => l.split('│')[1]!.trim());
        expect(byName).to.deep.equal([...byName].sort());
        terminal.press('Space');
        await terminal.waitFor(/Paused, by name; q quits, space resumes/);
        terminal.press('Space');
        await terminal.waitFor(/Every 1s, by name/);
        terminal.press('q');
        expect(await terminal.waitForExit()).to.equal(0);
        const last = terminal.lines();
        expect(last.filter((l) => HEADER.test(l))).to.have.length(1);
        expect(last.join('\n')).to.match(/Every 1s, by name/);
      });
    }

    it('follows a resize while the stream moves it: 80x24 to 160x50, more counties and a wider trend, one frame', async () => {
      const terminal = open(['aggregate', '--watch', '1'], 80, 24);
      const before = await moving(terminal);
      const folded = (lines: string[]) => Number(lines.join('\n').match(/\((\d+) more\)/)?.[1] ?? 0);
      terminal.resize(160, 50);
      await sleep(2_500);
      const after = terminal.lines();
      expect(
        after.filter((l) => HEADER.test(l)),
        after.join('\n'),
      ).to.have.length(1);
      expectFits(after, 160);
      expect(after.length).to.be.at.most(50);
      expect(folded(after)).to.be.below(folded(before));
      expect(Math.max(...after.map((l) => l.length))).to.be.above(80);
      terminal.interrupt();
      expect(await terminal.waitForExit()).to.equal(0);
    });
  });

  it('stream --limit shows a bar with percentage, rate and ETA; an endless stream keeps its spinner', async () => {
    const bounded = open(
      ['stream', '--limit', '4000', '--interval-ms', '1', '--file', 'counties.csv'],
      80,
      24,
    );
    const shown = await bounded.waitFor(/\d+% [█░]+ [\d,]+\/4,000 events, .*\/s, ETA \d+/);
    expectFits(shown.split('\n'), 80);
    expect(await bounded.waitForExit()).to.equal(0);
    expect(bounded.capture()).to.match(/Done: sent 4,000/);

    const endless = open(['stream', '--interval-ms', '5', '--file', 'counties.csv'], 60, 24);
    const spinning = await endless.waitFor(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] sent [\d,]+, skipped/);
    expect(spinning).not.to.match(/\d+% [█░]/);
    endless.interrupt();
    expect(await endless.waitForExit()).to.equal(0);
  });

  it('colour: PASS green on a terminal; none with NO_COLOR; none on a pipe unless FORCE_COLOR', async () => {
    const coloured = open(['verify', '--file', 'counties.csv', '--limit', '100'], 80);
    expect(await coloured.waitForExit()).to.equal(0);
    expect(coloured.capture({ escapes: true })).to.match(/\x1b\[32mPASS/);

    const plain = open(['verify', '--file', 'counties.csv', '--limit', '100'], 80, 40, { NO_COLOR: '1' });
    expect(await plain.waitForExit()).to.equal(0);
    const text = plain.capture({ escapes: true });
    expect(text).to.include('PASS');
    expect(text).not.to.match(SGR_COLOUR);

    const piped = await run(['verify', ...box.stackArgs(), '--file', 'counties.csv', '--limit', '100'], {
      cwd: box.dir,
    });
    expect(piped.stdout).not.to.match(SGR_COLOUR);
    const forced = await run(['verify', ...box.stackArgs(), '--file', 'counties.csv', '--limit', '100'], {
      cwd: box.dir,
      env: { FORCE_COLOR: '1' },
    });
    expect(forced.stdout).to.match(/\x1b\[32mPASS/);
  });

  it('TERM=dumb: the plain progress lines that CI gets (not a spinner stuck on "starting"), frames appended', async () => {
    const stream = open(
      ['stream', '--limit', '1200', '--interval-ms', '5', '--file', 'counties.csv'],
      80,
      24,
      {
        TERM: 'dumb',
      },
    );
    expect(await stream.waitForExit()).to.equal(0);
    const text = stream.capture({ escapes: true });
    expect(text).to.match(/^streaming: \d+% of 1,200 events, sent [\d,]+/m);
    expect(text).not.to.match(/starting|[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
    expect(text).not.to.match(SGR_COLOUR);

    const watch = open(['aggregate', '--watch', '1'], 80, 24, { TERM: 'dumb' });
    await watch.waitFor(/Every 1s[\s\S]*Every 1s/);
    watch.interrupt();
    expect(await watch.waitForExit()).to.equal(0);
    expect(watch.lines().filter((l) => HEADER.test(l)).length).to.be.at.least(2);
  });
});
