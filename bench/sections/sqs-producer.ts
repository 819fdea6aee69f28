import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { startFauxqs } from '../../testkit/aws/fauxqs.js';
import { type AwsStandIn, startAwsStandIn } from '../../testkit/aws/stand-in.js';
import { childEnv, parseOutput, type StreamSummary } from '../lib/cli.js';
import type { BenchContext, Section } from '../lib/context.js';
import { ROOT } from '../lib/dataset.js';
import type { Part4Options, Part4Result } from '../lib/part4-producer.js';
import { int, type Row } from '../lib/report.js';
import { makeTempDir, removeTemp } from '../lib/temp.js';

const TIME = '/usr/bin/time';
/** --interval-ms 0.1: 10,000 events/s asked. */
const INTERVAL_MS = 0.1;
const ASKED = 1000 / INTERVAL_MS;
const PACING_TOLERANCE_PERCENT = 3;
const UNPACED_TARGET = 20_000;
const AWS_ENV = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDBENCH', AWS_SECRET_ACCESS_KEY: 'bench' };

/** What one producer run gave, the CLI's or the baseline's, and what the endpoint saw of it. */
interface Run {
  sent: number;
  failed: number;
  /** The producer's own rate: sent / its elapsedMs (first send to last answer). */
  ratePerSecond: number;
  /**
   * The rate the schedule was kept at, start to end: (sent - 1) intervals over the elapsed time less
   * the mean round trip (the last answer's); as the local pacing section measures it.
   */
  pacedPerSecond: number;
  /** The most the stream fell behind its schedule, ms (paced runs). */
  maxBehindMs: number | null;
  /** The rate at which events arrived at the endpoint, past the first tenth (endpointRate). */
  endpointPerSecond: number;
  /** CPU per event, µs: start-up subtracted for the CLI, in-stream for the baseline. */
  cpuUsPerEvent: number;
  /** The most requests in flight, as the producer counted them and as the endpoint saw them open. */
  inFlight: number;
  openAtEndpoint: number;
  rateHeld?: boolean | null;
  limitedBy?: string | null;
}

/**
 * `stream --target aws` (the built CLI) against a stand-in for SQS on 127.0.0.1 that accepts every
 * SendMessageBatch after a fixed delay (0, 50, 100 ms), and against fauxqs; each run next to the
 * part-4 producer (bench/lib/part4-producer.ts: 16 requests in flight, the SDK's default client)
 * streaming the same dataset to a fresh stand-in of the same delay, one after the other.
 *
 * - Paced at --interval-ms 0.1 (10,000 events/s, 10 s of events): the judged figure is the pacing
 *   error, the rate the schedule was kept at from its start to its end, (sent - 1) intervals over
 *   elapsedMs less the mean round trip (the last answer's), against 10,000/s, as the local pacing
 *   section measures it, with the stream never more than 1 s behind (rateHeld). Beside it: the most
 *   it fell behind, its own sent / elapsedMs, and the rate at which events arrived at the endpoint
 *   past the first tenth (a catch-up after a slow start shows there as faster than asked).
 * - Unpaced (--interval-ms 0): the CLI's own rate, sent / elapsedMs.
 * - CPU per event: the CLI's user + system time (/usr/bin/time) less a 10-event run's (start-up and
 *   exit), over the events; the baseline measures its own CPU over its stream (process.cpuUsage).
 * - In flight: the most the producer had (the CLI's summary) and the most the endpoint had open.
 *
 * The stand-in runs in this process, so it shares the machine's two cores with the producer: the
 * load average before each run is in its detail.
 */
export const sqsProducer: Section = {
  name: 'sqs-producer',
  title: 'SQS producer (stream on AWS)',
  async run(ctx) {
    const paced = ctx.quick ? 10_000 : 100_000;
    const unpaced = ctx.quick ? 20_000 : 200_000;
    const dir = makeTempDir('sqs-producer');
    const rows: Row[] = [];
    try {
      ctx.log('start-up: a 10-event stream, to subtract its CPU...');
      const startup = await withStandIn(0, (standIn) => cliStream(ctx, dir, standIn, 0, 10));
      const startupCpuMs = startup.cpuMs;

      for (const delayMs of [0, 50, 100]) {
        ctx.log(`${delayMs} ms round trip, --interval-ms ${INTERVAL_MS}: ${int(paced)} events...`);
        const load = loadAverage();
        const ours = await withStandIn(delayMs, (s) => cliStream(ctx, dir, s, INTERVAL_MS, paced));
        const base = await withStandIn(delayMs, (s) => part4Stream(ctx, s, INTERVAL_MS, paced));
        const run = cliRun(ours, startupCpuMs);
        const error = percentError(run.pacedPerSecond, ASKED);
        rows.push(
          {
            figure: `${delayMs} ms round trip, --interval-ms ${INTERVAL_MS}: pacing error`,
            value: signedPercent(error),
            target: `within ±${PACING_TOLERANCE_PERCENT} % of ${int(ASKED)} /s`,
            met:
              run.sent === paced &&
              run.failed === 0 &&
              run.rateHeld === true &&
              Math.abs(error) <= PACING_TOLERANCE_PERCENT,
            detail: `${describe(run)}; load ${load}`,
          },
          baselineRow(`${delayMs} ms round trip, --interval-ms ${INTERVAL_MS}`, base, paced, true),
        );
      }

      for (const delayMs of [0, 50]) {
        ctx.log(`${delayMs} ms round trip, unpaced: ${int(unpaced)} events...`);
        const load = loadAverage();
        const ours = await withStandIn(delayMs, (s) => cliStream(ctx, dir, s, 0, unpaced));
        const base = await withStandIn(delayMs, (s) => part4Stream(ctx, s, 0, unpaced));
        const run = cliRun(ours, startupCpuMs);
        const judged = delayMs === 0;
        rows.push(
          {
            figure: `${delayMs} ms round trip, unpaced: events/s`,
            value: `${int(run.ratePerSecond)} /s`,
            target: judged ? `>= ${int(UNPACED_TARGET)} /s` : 'info',
            met: judged
              ? run.sent === unpaced && run.failed === 0 && run.ratePerSecond >= UNPACED_TARGET
              : null,
            detail: `${describe(run)}; load ${load}`,
          },
          baselineRow(`${delayMs} ms round trip, unpaced`, base, unpaced, false),
        );
      }

      rows.push(...(await againstFauxqs(ctx, dir, ctx.quick ? 5_000 : 30_000, startupCpuMs)));
      rows.push({
        figure: 'start-up CPU subtracted',
        value: `${int(startupCpuMs)} ms`,
        target: '—',
        met: null,
        detail:
          'user + system of `stream --limit 10` to the stand-in: loading the CLI and the SDK, and exiting',
      });
    } finally {
      removeTemp(dir);
    }
    return rows;
  },
};

interface CliStream {
  summary: StreamSummary;
  cpuMs: number;
  standIn: Pick<AwsStandIn, 'requests' | 'maxOpen'>;
}

/** The built CLI streams the dataset to `standIn`, under /usr/bin/time where it exists. */
async function cliStream(
  ctx: BenchContext,
  dir: string,
  endpoint: { url: string; queueUrl: string },
  intervalMs: number,
  limit: number,
): Promise<Omit<CliStream, 'standIn'>> {
  const timeFile = join(dir, 'time.txt');
  const timed = existsSync(TIME);
  const args = [
    'stream',
    '--target',
    'aws',
    '--queue-url',
    endpoint.queueUrl,
    '--endpoint-url',
    endpoint.url,
    '--interval-ms',
    String(intervalMs),
    '--limit',
    String(limit),
    '--file',
    ctx.dataset.path,
    '--json',
  ];
  const run = await ctx.cli.start(args, timed ? [TIME, '-f', '%U %S', '-o', timeFile] : [], AWS_ENV).done;
  const summary = parseOutput<StreamSummary>(args, run);
  const [user, system] = timed
    ? (readFileSync(timeFile, 'utf8').trim().split('\n').at(-1) ?? '').split(' ').map(Number)
    : [Number.NaN, Number.NaN];
  return { summary, cpuMs: ((user ?? Number.NaN) + (system ?? Number.NaN)) * 1000 };
}

/** The part-4 producer streams the dataset to `standIn`, in a child process. */
async function part4Stream(
  ctx: BenchContext,
  endpoint: { url: string; queueUrl: string },
  intervalMs: number,
  limit: number,
): Promise<Part4Result> {
  const options: Part4Options = {
    endpoint: endpoint.url,
    queueUrl: endpoint.queueUrl,
    file: ctx.dataset.path,
    intervalMs,
    limit,
  };
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench', 'lib', 'part4-producer.ts'), JSON.stringify(options)],
    { cwd: ROOT, env: childEnv(AWS_ENV), maxBuffer: 1024 * 1024 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Part4Result;
}

/** Runs `produce` against a fresh stand-in that accepts everything after `delayMs`. */
async function withStandIn<T extends object>(
  delayMs: number,
  produce: (endpoint: { url: string; queueUrl: string }) => Promise<T>,
): Promise<T & { standIn: Pick<AwsStandIn, 'requests' | 'maxOpen'> }> {
  const standIn = await startAwsStandIn({ answer: () => ({ kind: 'accept' }), delayMs, keepBodies: false });
  try {
    const result = await produce({ url: standIn.url, queueUrl: `${standIn.url}/123456789012/bench` });
    return { ...result, standIn: { requests: standIn.requests, maxOpen: standIn.maxOpen } };
  } finally {
    await standIn.close();
  }
}

function cliRun(run: CliStream, startupCpuMs: number): Run {
  const { summary } = run;
  return {
    sent: summary.sent,
    failed: summary.failed,
    ratePerSecond: summary.ratePerSecond,
    pacedPerSecond: pacedRate(summary.sent, summary.elapsedMs, summary.roundTripMs),
    maxBehindMs: summary.maxBehindMs,
    endpointPerSecond: endpointRate(run.standIn.requests),
    cpuUsPerEvent: ((run.cpuMs - startupCpuMs) * 1000) / Math.max(1, summary.sent - 10),
    inFlight: summary.maxInFlight,
    openAtEndpoint: run.standIn.maxOpen,
    rateHeld: summary.rateHeld,
    limitedBy: summary.limitedBy,
  };
}

function baselineRow(
  label: string,
  base: Part4Result & { standIn: Pick<AwsStandIn, 'requests' | 'maxOpen'> },
  events: number,
  paced: boolean,
): Row {
  const run: Run = {
    sent: base.sent,
    failed: base.failed,
    ratePerSecond: base.ratePerSecond,
    pacedPerSecond: pacedRate(base.sent, base.elapsedMs, base.roundTripMs),
    maxBehindMs: base.maxBehindMs,
    endpointPerSecond: endpointRate(base.standIn.requests),
    cpuUsPerEvent: (base.cpuMs * 1000) / Math.max(1, base.sent),
    inFlight: base.maxInFlight,
    openAtEndpoint: base.standIn.maxOpen,
  };
  return {
    figure: `baseline, part-4 producer: ${label}`,
    value: paced ? signedPercent(percentError(run.pacedPerSecond, ASKED)) : `${int(run.ratePerSecond)} /s`,
    target: 'baseline',
    met: null,
    headline: true,
    detail: `${describe(run)}${run.sent === events ? '' : ` (sent ${int(run.sent)} of ${int(events)})`}`,
  };
}

function describe(run: Run): string {
  const held =
    run.rateHeld === undefined || run.rateHeld === null
      ? ''
      : run.rateHeld
        ? '; rate held'
        : `; rate not held, limited by ${run.limitedBy}`;
  const kept =
    run.maxBehindMs === null
      ? ''
      : `schedule kept at ${int(run.pacedPerSecond)} /s, at most ${int(run.maxBehindMs)} ms behind; `;
  return (
    `${kept}${int(run.endpointPerSecond)} /s at the endpoint, ` +
    `${int(run.ratePerSecond)} /s its own (sent/elapsed)` +
    `; CPU ${run.cpuUsPerEvent.toFixed(1)} µs/event; in flight ${run.inFlight} (endpoint saw ${run.openAtEndpoint} open)` +
    `; sent ${int(run.sent)}, failed ${int(run.failed)}${held}`
  );
}

/** The rate the schedule was kept at: (sent - 1) intervals in elapsedMs less the last round trip. */
function pacedRate(sent: number, elapsedMs: number, roundTripMs: number | null): number {
  const span = elapsedMs - (roundTripMs ?? 0);
  return span > 0 ? ((sent - 1) * 1000) / span : 0;
}

/**
 * Events per second at the endpoint, from the request that completes the first tenth of the events
 * to the last request: the events between them over the time between their arrivals. The first
 * tenth is left out as warm-up: the very first request also sets up the SDK and its connection, and
 * arrives late, which would make the rest look faster than it was.
 */
function endpointRate(requests: readonly { at: number; entries?: number }[]): number {
  const total = requests.reduce((sum, r) => sum + (r.entries ?? 0), 0);
  let events = 0;
  let from: { at: number; events: number } | undefined;
  for (const request of requests) {
    events += request.entries ?? 0;
    if (!from && events >= total / 10) from = { at: request.at, events };
  }
  const last = requests.at(-1);
  if (!from || !last || last.at <= from.at) return 0;
  return ((total - from.events) * 1000) / (last.at - from.at);
}

/**
 * For realism: the same unpaced stream into fauxqs (an SQS emulator in this process), the CLI and the
 * baseline, each to a queue of its own; every event must be in its queue.
 */
async function againstFauxqs(ctx: BenchContext, dir: string, events: number, startupCpuMs: number) {
  ctx.log(`fauxqs, unpaced: ${int(events)} events...`);
  const sqs = await startFauxqs();
  try {
    const count = async (queueUrl: string) =>
      Number(
        (
          await sqs.client.send(
            new GetQueueAttributesCommand({
              QueueUrl: queueUrl,
              AttributeNames: ['ApproximateNumberOfMessages'],
            }),
          )
        ).Attributes?.ApproximateNumberOfMessages ?? 0,
      );
    const load = loadAverage();
    const oursQueue = await sqs.createQueue();
    const ours = await cliStream(ctx, dir, { url: sqs.endpoint, queueUrl: oursQueue }, 0, events);
    const baseQueue = await sqs.createQueue();
    const base = await part4Stream(ctx, { url: sqs.endpoint, queueUrl: baseQueue }, 0, events);
    const [inOurs, inBase] = [await count(oursQueue), await count(baseQueue)];
    const cpu = ((ours.cpuMs - startupCpuMs) * 1000) / Math.max(1, ours.summary.sent - 10);
    return [
      {
        figure: 'fauxqs, unpaced: events/s',
        value: `${int(ours.summary.ratePerSecond)} /s`,
        target: 'all in the queue',
        met: inOurs === events && ours.summary.failed === 0,
        detail: `CPU ${cpu.toFixed(1)} µs/event; in flight ${ours.summary.maxInFlight}; ${int(inOurs)} of ${int(events)} in the queue; load ${load}`,
      },
      {
        figure: 'baseline, part-4 producer: fauxqs, unpaced',
        value: `${int(base.ratePerSecond)} /s`,
        target: 'baseline',
        met: null,
        headline: true,
        detail: `CPU ${((base.cpuMs * 1000) / Math.max(1, base.sent)).toFixed(1)} µs/event; in flight ${base.maxInFlight}; ${int(inBase)} of ${int(events)} in the queue`,
      },
    ] satisfies Row[];
  } finally {
    await sqs.close();
  }
}

function percentError(achieved: number, asked: number): number {
  return ((achieved - asked) / asked) * 100;
}

function signedPercent(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(2)} %`;
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
}
