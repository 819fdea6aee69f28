import { type Config, Help, type Interfaces } from '@oclif/core';

/** Help is laid out for at most this many columns, as man pages are; narrower terminals get their width. */
export const HELP_COLUMNS = 80;

/**
 * oclif's Help, laid out for the terminal's width up to 80 columns. Lines of 80 read better than
 * lines as wide as the screen, and a fixed width lets the build render help once (scripts/help.js)
 * for bin/run.js to print without loading oclif.
 */
export default class SensorpipeHelp extends Help {
  constructor(config: Config, options: Partial<Interfaces.HelpOptions> = {}) {
    super(config, options);
    this.opts.maxWidth = Math.min(this.opts.maxWidth ?? HELP_COLUMNS, HELP_COLUMNS);
  }
}
