/**
 * The sensorpipe benchmark: measures the local target against its performance targets and prints
 * tables of figures (not a test: a missed target does not change the exit code; a section that
 * crashes does). Usage: `npm run bench -- [section...] [--quick]`; see USAGE.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Cli, killRunningChildren } from './lib/cli.js';
import type { BenchContext, Section } from './lib/context.js';
import { DATASET_PATH, datasetExists, loadDataset } from './lib/dataset.js';
import { int, type Row, renderSection, renderSummary, type SectionResult } from './lib/report.js';
import { makeTempDir, removeAllTemp } from './lib/temp.js';
import { aggregation } from './sections/aggregation.js';
import { aws } from './sections/aws.js';
import { awsAggregation } from './sections/aws-aggregation.js';
import { coldstart } from './sections/coldstart.js';
import { pacing } from './sections/pacing.js';
import { render } from './sections/render.js';
import { rss } from './sections/rss.js';
import { sqsProducer } from './sections/sqs-producer.js';
import { throughput } from './sections/throughput.js';

const SECTIONS: Section[] = [
  throughput,
  pacing,
  aggregation,
  rss,
  coldstart,
  render,
  aws,
  awsAggregation,
  sqsProducer,
];
const ALIASES: Record<string, string> = {
  memory: 'rss',
  'cold-start': 'coldstart',
  aggregate: 'aggregation',
  'many-counties': 'render',
};

const USAGE = `Usage: npm run bench -- [section...] [--quick]

Sections (default: all, in this order):
  throughput   end-to-end local throughput at batch sizes 1, 10, 100 (200,000 events each)
  pacing       achieved vs requested rate at --interval-ms 100, 10, 1, 0.1 (10 s each)
  aggregation  aggregation time with 10k, 100k and 1M events in the window
  rss          peak RSS while streaming a 500 MiB CSV (written to the temp directory)
  coldstart    wall time of --version, help, and show/status/aggregate --json, next to node -e 0 and aws --version
  render       aggregate and show, --json and tables, with 100,000 counties (alias: many-counties)
  aws          AWS requests, units and estimated cost per event, on fauxqs and dynalite; bundle sizes
  aws-aggregation  the aggregation on AWS with 10k to 3M events in the window: reads, client CPU, dynalite, model
  sqs-producer stream on AWS against a stand-in for SQS at 0, 50 and 100 ms and against fauxqs:
               pacing error at 10,000/s, unpaced events/s, CPU per event, requests in flight,
               each next to the part-4 producer (16 in flight, the SDK's default client)

  --quick      scaled-down counts for a smoke run (figures not comparable with the targets)`;

function parseArgs(argv: string[]): { quick: boolean; help: boolean; sections: Section[] } | string {
  const names: string[] = [];
  let quick = false;
  let help = false;
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else {
      const name = ALIASES[arg] ?? arg;
      if (!SECTIONS.some((s) => s.name === name)) return `Unknown section or option: ${arg}`;
      names.push(name);
    }
  }
  const sections = names.length === 0 ? SECTIONS : SECTIONS.filter((s) => names.includes(s.name));
  return { quick, help, sections };
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  if (typeof options === 'string') {
    console.error(`${options}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  if (!datasetExists()) {
    console.log(
      `The dataset is not at ${DATASET_PATH}, so there is nothing to measure.\n` +
        'Put Recommended_Fishing_Rivers_And_Streams.csv in ../shared/data/ beside the project to run the benchmark.',
    );
    return 0;
  }
  const dataset = loadDataset();
  const cli = Cli.snapshot(makeTempDir('cli'));
  const ctx: BenchContext = {
    quick: options.quick,
    cli,
    dataset,
    log: (line) => console.log(`  · ${line}`),
  };
  const load = os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
  console.log(
    `sensorpipe benchmark${options.quick ? ' (--quick: scaled down, figures not comparable with the targets)' : ''}\n` +
      `node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), load average ${load}\n` +
      `dataset ${DATASET_PATH} (${int(dataset.rows.length)} rows); CLI build copied to ${cli.root}`,
  );

  const results: SectionResult[] = [];
  let crashed = false;
  for (const section of options.sections) {
    console.log(`\n== ${section.title} ==`);
    const t0 = performance.now();
    let rows: Row[];
    try {
      rows = await section.run(ctx);
    } catch (error) {
      crashed = true;
      rows = [
        {
          figure: 'section failed',
          value: '—',
          target: 'completes',
          met: false,
          detail: error instanceof Error ? error.message : String(error),
        },
      ];
    }
    console.log(renderSection(rows));
    console.log(`(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    results.push({ title: section.title, rows });
  }
  console.log('\n== Summary ==');
  console.log(renderSummary(results));
  return crashed ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killRunningChildren();
    removeAllTemp();
    process.exit(130);
  });
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  removeAllTemp();
}
