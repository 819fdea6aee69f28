import { expect } from 'chai';
import { styleFor } from '../../src/render/style.js';
import {
  colorEnabled,
  isLiveTerminal,
  MIN_COLUMNS,
  terminalColumns,
  terminalView,
} from '../../src/render/terminal.js';

const tty = { isTTY: true, columns: 100, rows: 30 };
const pipe = { isTTY: false };

describe('render/terminal', () => {
  describe('isLiveTerminal', () => {
    it('is live on a terminal only, and not in CI or on TERM=dumb', () => {
      expect(isLiveTerminal(tty, {})).to.equal(true);
      expect(isLiveTerminal(pipe, {})).to.equal(false);
      expect(isLiveTerminal(tty, { CI: 'true' })).to.equal(false);
      expect(isLiveTerminal(tty, { TERM: 'dumb' })).to.equal(false);
      expect(isLiveTerminal(tty, { TERM: 'xterm-256color' })).to.equal(true);
    });
  });

  describe('colorEnabled', () => {
    it('colours a terminal, not a pipe, not TERM=dumb', () => {
      expect(colorEnabled(tty, {})).to.equal(true);
      expect(colorEnabled(pipe, {})).to.equal(false);
      expect(colorEnabled(tty, { TERM: 'dumb' })).to.equal(false);
    });

    it('respects NO_COLOR (when not empty) on a terminal', () => {
      expect(colorEnabled(tty, { NO_COLOR: '1' })).to.equal(false);
      expect(colorEnabled(tty, { NO_COLOR: '' })).to.equal(true);
    });

    it('lets FORCE_COLOR colour a pipe, and FORCE_COLOR=0 or false turn it off, as Node does', () => {
      expect(colorEnabled(pipe, { FORCE_COLOR: '1' })).to.equal(true);
      expect(colorEnabled(pipe, { FORCE_COLOR: '' })).to.equal(true);
      expect(colorEnabled(tty, { FORCE_COLOR: '0' })).to.equal(false);
      expect(colorEnabled(tty, { FORCE_COLOR: 'false' })).to.equal(false);
      expect(colorEnabled(tty, { FORCE_COLOR: '1', NO_COLOR: '1' })).to.equal(true);
    });
  });

  describe('terminalColumns', () => {
    it("is a terminal's width, never below the minimum the renderers fit", () => {
      expect(terminalColumns(tty, {})).to.equal(100);
      expect(terminalColumns({ isTTY: true, columns: 40 }, {})).to.equal(MIN_COLUMNS);
    });

    it('is unlimited on a pipe unless COLUMNS is set, as ls and git do', () => {
      expect(terminalColumns(pipe, {})).to.equal(undefined);
      expect(terminalColumns(pipe, { COLUMNS: '72' })).to.equal(72);
      expect(terminalColumns(pipe, { COLUMNS: 'wide' })).to.equal(undefined);
    });
  });

  it('terminalView gathers them for one stream', () => {
    expect(terminalView(tty, { NO_COLOR: '1' })).to.deep.equal({
      columns: 100,
      rows: 30,
      color: false,
      live: true,
    });
    expect(terminalView(pipe, {})).to.deep.equal({
      columns: undefined,
      rows: undefined,
      color: false,
      live: false,
    });
  });

  it('styles text only when colour is on', () => {
    expect(styleFor(false).red('FAIL')).to.equal('FAIL');
    expect(styleFor(true).red('FAIL')).to.equal('\x1b[31mFAIL\x1b[39m');
    expect(styleFor(true).green('PASS')).to.equal('\x1b[32mPASS\x1b[39m');
    expect(styleFor(true).dim('')).to.equal('');
  });
});
