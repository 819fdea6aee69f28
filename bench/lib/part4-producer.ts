/**
 * The sqs-producer section's baseline, in a child process of its own as `stream` is: the dataset
 * streamed into an SQS endpoint by the part-4 producer, through the same CSV source, streamer and
 * sender as `stream`, but with part 4's settings: 16 SendMessageBatch requests in flight, always,
 * and an SQS client with only the retry policy set (the SDK's MD5 checks, its per-request middleware
 * resolution, its pool of 50 sockets). Prints one JSON line (Part4Result).
 *
 * Usage: node --import tsx bench/lib/part4-producer.ts '{"endpoint":..., "intervalMs":..., ...}'
 */
import { performance } from 'node:perf_hooks';
import { SQSClient } from '@aws-sdk/client-sqs';
import { systemClock } from '../../src/core/clock.js';
import { streamEvents } from '../../src/core/streamer.js';
import { csvSource } from '../../src/source/csv.js';
import { AWS_RETRY_POLICY } from '../../src/targets/aws/environment.js';
import { SqsEventSender } from '../../src/targets/aws/sqs-sender.js';

export interface Part4Options {
  endpoint: string;
  queueUrl: string;
  file: string;
  intervalMs: number;
  limit: number;
}

export interface Part4Result {
  sent: number;
  failed: number;
  elapsedMs: number;
  ratePerSecond: number;
  maxInFlight: number;
  roundTripMs: number | null;
  maxBehindMs: number | null;
  /** CPU of the process (user + system) from the stream's start to its end, ms. */
  cpuMs: number;
}

const PART4_IN_FLIGHT = 16;

async function main(options: Part4Options): Promise<Part4Result> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const client = new SQSClient({
    region: 'us-east-1',
    endpoint: options.endpoint,
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
    ...AWS_RETRY_POLICY,
  });
  const sender = new SqsEventSender({
    client,
    queueUrl: options.queueUrl,
    maxInFlight: PART4_IN_FLIGHT,
    minInFlight: PART4_IN_FLIGHT,
  });
  try {
    const cpu = process.cpuUsage();
    const stats = await streamEvents(csvSource({ file: options.file, loop: true }), sender, {
      intervalMs: options.intervalMs,
      limit: options.limit,
      clock: systemClock,
      busyMs: () => performance.eventLoopUtilization().active,
    });
    const used = process.cpuUsage(cpu);
    return {
      sent: stats.sent,
      failed: stats.failed,
      elapsedMs: stats.elapsedMs,
      ratePerSecond: stats.ratePerSecond,
      maxInFlight: stats.maxInFlight,
      roundTripMs: stats.roundTripMs,
      maxBehindMs: stats.maxBehindMs,
      cpuMs: (used.user + used.system) / 1000,
    };
  } finally {
    client.destroy();
  }
}

console.log(JSON.stringify(await main(JSON.parse(process.argv[2] ?? '{}') as Part4Options)));
