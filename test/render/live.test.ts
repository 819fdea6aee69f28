import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { LiveBlock } from '../../src/render/live.js';

function fakeStream(isTTY: boolean, rows?: number, columns?: number) {
  const writes: string[] = [];
  const emitter = new EventEmitter();
  const stream = Object.assign(emitter, {
    isTTY,
    rows,
    columns,
    write(chunk: string) {
      writes.push(chunk);
      return true;
    },
  }) as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

const CLEAR = /\x1b\[\d+A/;

describe('render/live', () => {
  it('on a terminal, redraws each frame in place over the previous one', () => {
    const { stream, writes } = fakeStream(true, 24);
    const block = new LiveBlock(stream, true);
    block.draw('a\nb\nc');
    expect(writes).to.deep.equal(['a\nb\nc\n']);
    block.draw('d\ne');
    // Up the three lines of the previous frame, each new line over an erased one, then what is left
    // below cleared. (An erase of the whole screen at once, \x1b[0J from the frame's top, is what
    // tmux scrolls into the scrollback: test/render/terminal.e2e.ts.)
    expect(writes.slice(1)).to.deep.equal(['\x1b[3A\x1b[2Kd\n\x1b[2Ke\n\x1b[J']);
    block.draw('f');
    expect(writes.slice(2)).to.deep.equal(['\x1b[2A\x1b[2Kf\n\x1b[J']);
  });

  it('otherwise appends every frame whole, separated by a blank line, without escape codes', () => {
    const { stream, writes } = fakeStream(false);
    const block = new LiveBlock(stream, false);
    block.draw('a\nb');
    block.draw('c');
    expect(writes.join('')).to.equal('a\nb\n\nc\n\n');
    expect(writes.join('')).not.to.match(CLEAR);
  });

  it('is live by default only on a TTY outside CI', () => {
    const ci = process.env.CI;
    const term = process.env.TERM;
    try {
      delete process.env.CI;
      // TERM=dumb is never live (test/render/terminal.test.ts); this runner's TERM must not decide.
      process.env.TERM = 'xterm';
      const tty = fakeStream(true, 24);
      const live = new LiveBlock(tty.stream);
      live.draw('x');
      live.draw('y');
      expect(tty.writes.join('')).to.match(CLEAR);

      const pipe = fakeStream(false);
      const appended = new LiveBlock(pipe.stream);
      appended.draw('x');
      appended.draw('y');
      expect(pipe.writes.join('')).to.equal('x\n\ny\n\n');

      process.env.CI = 'true';
      const ciTty = fakeStream(true, 24);
      const inCi = new LiveBlock(ciTty.stream);
      inCi.draw('x');
      inCi.draw('y');
      expect(ciTty.writes.join('')).not.to.match(CLEAR);
    } finally {
      if (ci === undefined) delete process.env.CI;
      else process.env.CI = ci;
      if (term === undefined) delete process.env.TERM;
      else process.env.TERM = term;
    }
  });

  it('offers the rows of the terminal (less one, at least 5) to a live frame, no limit otherwise', () => {
    expect(new LiveBlock(fakeStream(true, 30).stream, true).maxLines).to.equal(29);
    expect(new LiveBlock(fakeStream(true, 3).stream, true).maxLines).to.equal(5);
    expect(new LiveBlock(fakeStream(true).stream, true).maxLines).to.equal(39);
    expect(new LiveBlock(fakeStream(false, 30).stream, false).maxLines).to.equal(undefined);
  });

  it('counts a line wider than the terminal as the rows it wraps to, so no copy is left behind', () => {
    const { stream, writes } = fakeStream(true, 24, 60);
    const block = new LiveBlock(stream, true);
    // 130 columns of text wrap to 3 rows at 60 columns; a wide character takes two.
    block.draw(`head\n${'x'.repeat(130)}\n${'東'.repeat(31)}\nlast`);
    block.draw('next');
    expect(writes[1]).to.match(/^\x1b\[7A/);
  });

  it('does not count colour codes as columns', () => {
    const { stream, writes } = fakeStream(true, 24, 60);
    const block = new LiveBlock(stream, true);
    block.draw(`\x1b[2m${'x'.repeat(60)}\x1b[22m`);
    block.draw('next');
    expect(writes[1]).to.match(/^\x1b\[1A/);
  });

  it('follows a resize: the previous frame is counted at the new width, and the listener redraws', () => {
    const { stream, writes } = fakeStream(true, 24, 120);
    const block = new LiveBlock(stream, true);
    block.draw(`${'x'.repeat(100)}\nshort`);
    let redraws = 0;
    const stop = block.onResize(() => {
      redraws++;
      block.draw('y'.repeat(50));
    });
    // The terminal narrows to 60 columns and reflows the 100-column line onto two rows.
    (stream as { columns?: number }).columns = 60;
    stream.emit('resize');
    expect(redraws).to.equal(1);
    expect(writes[1]).to.match(/^\x1b\[3A/);
    stop();
    stream.emit('resize');
    expect(redraws).to.equal(1);
  });

  it('tells whether a frame fits the screen as the terminal shows it, wrapped lines counted', () => {
    const { stream } = fakeStream(true, 6, 40);
    const block = new LiveBlock(stream, true);
    // 5 rows may be used (one is kept for the cursor).
    expect(block.fits('1\n2\n3\n4\n5')).to.equal(true);
    expect(block.fits('1\n2\n3\n4\n5\n6')).to.equal(false);
    // A 60-column line takes two rows at 40 columns.
    expect(block.fits(`1\n2\n3\n${'x'.repeat(60)}`)).to.equal(true);
    expect(block.fits(`1\n2\n3\n4\n${'x'.repeat(60)}`)).to.equal(false);
    expect(new LiveBlock(fakeStream(false, 2, 10).stream, false).fits('x'.repeat(500))).to.equal(true);
  });

  it('follows no resize when not live', () => {
    const { stream } = fakeStream(false);
    const block = new LiveBlock(stream, false);
    let called = false;
    block.onResize(() => {
      called = true;
    });
    stream.emit('resize');
    expect(called).to.equal(false);
  });
});
