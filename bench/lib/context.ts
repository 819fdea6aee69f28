import type { Cli } from './cli.js';
import type { Dataset } from './dataset.js';
import type { Row } from './report.js';

export interface BenchContext {
  /** Scaled-down counts for a smoke run: the figures are not comparable with the targets. */
  quick: boolean;
  cli: Cli;
  dataset: Dataset;
  /** A progress line, so a long section shows it is alive. */
  log(line: string): void;
}

export interface Section {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<Row[]>;
}
